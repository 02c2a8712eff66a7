"""The order of a shuffled epoch: the indices of ``jax.random.permutation``, sorted the fast way on CPU."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl import _checks

_ROUNDS_EXPONENT = 3
"""``jax.random.permutation`` sorts ``ceil(3 log n / log(2**32 - 1))`` times, on fresh keys each time."""


def permutation(key: jax.Array, n: int) -> jax.Array:
    """A random order of ``range(n)``, (n,) integers: exactly what ``jax.random.permutation(key, n)`` gives.

    JAX shuffles by stable sorts of the indices on random 32-bit keys, sorts of (key, index) pairs, which
    XLA's CPU backend runs several times slower than a sort of one array. Here each key and its index
    are one 64-bit number, ``key << 32 | index``, sorted alone: the same order, since equal keys keep
    their indices' order as in a stable sort. The compiled epoch of ``fit`` and :class:`DataLoader`
    shuffle with it. Jittable and vmappable; ``n`` is static.

    >>> key = jax.random.key(0)
    >>> bool((permutation(key, 10) == jax.random.permutation(key, 10)).all())
    True
    >>> permutation(key, 2.5)
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: permutation: n must be an integer >= 0, got 2.5
    """
    return _permutation(_checks.random_key("permutation", "key", key), _checks.integer("permutation", "n", n, low=0))


@functools.partial(jax.jit, static_argnums=1)
def _permutation(key: jax.Array, n: int) -> jax.Array:
    rounds = math.ceil(_ROUNDS_EXPONENT * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max))
    order = jnp.arange(n)
    for _ in range(rounds):
        key, subkey = jax.random.split(key)
        sort_keys = jax.random.bits(subkey, (n,), jnp.uint32)
        with jax.enable_x64(True):
            packed = (sort_keys.astype(jnp.uint64) << 32) | jnp.arange(n, dtype=jnp.uint64)
            stable = (jnp.sort(packed) & 0xFFFFFFFF).astype(jnp.int32)
        order = order[stable]
    return order
