"""Threefry keys whose random bits come from the host: the parameter init compiles in a fraction of the time.

JAX's threefry random bits (``jax_threefry_partitionable``, the default) compile to one loop fusion per
parameter shape, and LLVM spends seconds on them (~5 s of CPU for the digits MLP 64-256-10, against ~0.3 s
for the rest of its init). :func:`host_key` re-labels a threefry key with an implementation that computes
the same numbers (``random_bits``, ``split``, ``fold_in``) in NumPy through ``jax.pure_callback``, so the
compiled init holds a few host calls instead: the parameters are bit for bit those of ``model.init``.
:func:`seed_key` makes ``jax.random.key(seed)`` without compiling anything.
"""

from __future__ import annotations

import functools
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import random as jax_random

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def threefry2x32(k1: np.ndarray, k2: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Threefry-2x32 hash of the counter pairs ``(x1, x2)`` under the key ``(k1, k2)`` (uint32, broadcast).

    The same 20 rounds as JAX's ``threefry2x32`` primitive; returns two uint32 arrays of the broadcast shape.

    >>> [int(v[0]) for v in threefry2x32(*(np.zeros(1, np.uint32),) * 4)]
    [1797259609, 2579123966]
    """
    k1, k2 = np.asarray(k1, np.uint32), np.asarray(k2, np.uint32)
    ks = (k1, k2, k1 ^ k2 ^ np.uint32(0x1BD11BDA))
    x = [np.asarray(x1, np.uint32) + ks[0], np.asarray(x2, np.uint32) + ks[1]]
    with np.errstate(over="ignore"):
        for i in range(5):
            for r in _ROTATIONS[i % 2]:
                x[0] = x[0] + x[1]
                x[1] = x[0] ^ ((x[1] << np.uint32(r)) | (x[1] >> np.uint32(32 - r)))
            x[0] = x[0] + ks[(i + 1) % 3]
            x[1] = x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x[0], x[1]


def _counted(key: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Both hash words of ``key`` (..., 2) over the 64-bit counters 0..prod(shape)-1: (..., prod(shape)) each."""
    key = np.asarray(key, np.uint32)
    count = np.arange(int(np.prod(shape)), dtype=np.uint64)
    hi, lo = (count >> np.uint64(32)).astype(np.uint32), count.astype(np.uint32)
    return threefry2x32(key[..., :1], key[..., 1:], hi, lo)


def random_bits(key: np.ndarray, bit_width: int, shape: tuple[int, ...]) -> np.ndarray:
    """``jax.random.bits`` of the threefry key data ``key`` (..., 2), partitionable scheme: (..., *shape)."""
    b1, b2 = _counted(key, shape)
    if bit_width == 64:
        bits = (b1.astype(np.uint64) << np.uint64(32)) | b2
    else:
        bits = (b1 ^ b2).astype(_UINT[bit_width])
    return bits.reshape(key.shape[:-1] + tuple(shape))


def split(key: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``jax.random.split`` of the threefry key data ``key`` (..., 2), partitionable scheme: (..., *shape, 2)."""
    b1, b2 = _counted(key, shape)
    return np.stack([b1, b2], -1).reshape(key.shape[:-1] + tuple(shape) + (2,))


def fold_in(key: np.ndarray, data: np.ndarray) -> np.ndarray:
    """``jax.random.fold_in`` of the threefry key data ``key`` (..., 2) and uint32 ``data`` (...): (..., 2)."""
    key, data = np.asarray(key, np.uint32), np.asarray(data, np.uint32)
    b1, b2 = threefry2x32(key[..., 0], key[..., 1], np.zeros_like(data), data)
    return np.stack([b1, b2], -1)


def _call(fn: Any, shape: tuple[int, ...], dtype: Any, *args: jax.Array) -> jax.Array:
    return jax.pure_callback(fn, jax.ShapeDtypeStruct(shape, dtype), *args, vmap_method="expand_dims")


_IMPL = jax_random.define_prng_impl(
    key_shape=(2,),
    seed=jax_random.threefry_prng_impl.seed,
    split=lambda key, shape: _call(lambda k: split(k, shape), (*shape, 2), jnp.uint32, key),
    random_bits=lambda key, bit_width, shape: _call(
        lambda k: random_bits(k, bit_width, shape), tuple(shape), _UINT[bit_width], key
    ),
    fold_in=lambda key, data: _call(fold_in, (2,), jnp.uint32, key, jnp.asarray(data, jnp.uint32)),
    name="threefry2x32_host",
    tag="hfry",
)


def _host_array(a: np.ndarray) -> jax.Array:
    """``a`` as ``wrap_key_data`` takes it: a NumPy array is transferred, nothing compiles (``jnp.asarray`` would)."""
    return cast(jax.Array, a)


@functools.cache
def _spec(impl: Any) -> Any:
    """The ``jax.random.key_impl`` of keys of ``impl`` (a name or a PRNG implementation)."""
    return jax.random.key_impl(jax.random.wrap_key_data(_host_array(np.zeros(2, np.uint32)), impl=impl))


def _is_threefry(key: jax.Array) -> bool:
    return (
        jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
        and jax.random.key_impl(key) == _spec("threefry2x32")
        and bool(jax.config.jax_threefry_partitionable)  # pyright: ignore[reportAttributeAccessIssue]
    )


def host_key(key: jax.Array) -> jax.Array:
    """``key`` with its random bits computed on the host (same numbers), when it is a typed threefry key
    under JAX's default partitionable scheme; any other key as it is. Shapes: a key array of any shape.

    >>> k = jax.random.key(0)
    >>> bool((jax.random.uniform(host_key(k), (3,)) == jax.random.uniform(k, (3,))).all())
    True
    """
    if not _is_threefry(key):
        return key
    return jax.random.wrap_key_data(jax.random.key_data(key), impl=_IMPL)


def threefry_keys(tree: Any) -> Any:
    """``tree`` with every key made by :func:`host_key` (and those derived from one) a plain threefry key again."""

    def back(leaf: Any) -> Any:
        if isinstance(leaf, jax.Array) and jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            if jax.random.key_impl(leaf) == _spec(_IMPL):
                return jax.random.wrap_key_data(jax.random.key_data(leaf), impl="threefry2x32")
        return leaf

    return jax.tree.map(back, tree)


def seed_key(seed: int) -> jax.Array:
    """``jax.random.key(seed)`` (a scalar key), built on the host when the default PRNG is threefry, so the
    first key of a process compiles nothing.

    >>> bool(jax.random.key_data(seed_key(7)).tolist() == jax.random.key_data(jax.random.key(7)).tolist())
    True
    """
    if jax.config.jax_default_prng_impl != "threefry2x32":  # pyright: ignore[reportAttributeAccessIssue]
        return jax.random.key(seed)
    high = (seed >> 32) & 0xFFFFFFFF if jax.config.jax_enable_x64 else 0  # pyright: ignore[reportAttributeAccessIssue]
    return jax.random.wrap_key_data(_host_array(np.array([high, seed & 0xFFFFFFFF], np.uint32)), impl="threefry2x32")
