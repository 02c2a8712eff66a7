"""``LambdaLR`` and ``MultiplicativeLR``: schedules made from the user's function of the count."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.schedules._schedule import Schedule, as_float


def lambda_lr(lr: ArrayLike, lr_lambda: Callable[[jax.Array], ArrayLike]) -> Schedule:
    """``LambdaLR``: ``lr * lr_lambda(count)``.

    ``lr_lambda`` receives the count as a JAX scalar, so it must be traceable: write
    ``jnp.where(e < 10, 1.0, 0.1)``, not ``1.0 if e < 10 else 0.1``.

    >>> float(lambda_lr(1.0, lambda epoch: 0.5 ** epoch)(3))
    0.125
    """
    lr = _checks.learning_rate("LambdaLR", "lr", lr)
    traced = _checks.traceable("LambdaLR", "lr_lambda", lr_lambda, example=0)
    return Schedule("LambdaLR", lambda count: lr * traced(count), lr)


def _running_product(lr_lambda: Callable, first: int, last: jax.Array, init: ArrayLike) -> jax.Array:
    """``init * lr_lambda(first) * ... * lr_lambda(last)``, multiplied in PyTorch's order; scalar."""
    init = as_float(init)
    last = jnp.floor(last).astype(int)
    return jax.lax.fori_loop(first, last + 1, lambda k, acc: acc * jnp.asarray(lr_lambda(k), acc.dtype), init)


def multiplicative_lr(lr: ArrayLike, lr_lambda: Callable[[jax.Array], ArrayLike]) -> Schedule:
    """``MultiplicativeLR``: ``lr * lr_lambda(1) * ... * lr_lambda(count)``.

    There is no closed form for an arbitrary ``lr_lambda``: the product is a ``fori_loop``
    of ``count`` steps (O(count) per call; fine for epoch-level schedules). ``lr_lambda``
    must be traceable by JAX (see :func:`lambda_lr`).

    >>> float(multiplicative_lr(1.0, lambda epoch: 0.5)(3))
    0.125
    """
    lr = _checks.learning_rate("MultiplicativeLR", "lr", lr)
    lr_lambda = _checks.traceable("MultiplicativeLR", "lr_lambda", lr_lambda, example=1)
    return Schedule(
        "MultiplicativeLR",
        jnp.vectorize(lambda count: _running_product(lr_lambda, 1, count, lr)),
        lr,
        factor=jnp.vectorize(lambda count: _running_product(lr_lambda, 1, count, 1.0)),
        resume=lambda prev, count: jnp.vectorize(lambda c: _running_product(lr_lambda, 0, c, prev))(count),
        update=lambda rate, t: jnp.where(t == 0, rate, rate * jnp.asarray(lr_lambda(t), rate.dtype)),
    )
