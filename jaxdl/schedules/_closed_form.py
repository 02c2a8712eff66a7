"""The chainable decays in closed form: step, multi-step, constant, linear, exponential, polynomial.

PyTorch multiplies the previous rate step by step; each function here evaluates the closed form
that telescopes to the same number, so ``.factor(count)`` is the rate over the base ``lr`` and
``ChainedScheduler`` can multiply factors.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.schedules._schedule import Schedule, as_float, chainable


def step_lr(lr: ArrayLike, step_size: int, gamma: float = 0.1) -> Schedule:
    """``StepLR``: ``lr * gamma ** (count // step_size)``.

    >>> float(step_lr(1.0, step_size=2, gamma=0.5)(5))
    0.25
    """
    lr = _checks.learning_rate("StepLR", "lr", lr)
    step_size = _checks.integer("StepLR", "step_size", step_size, low=1)
    gamma = _checks.number("StepLR", "gamma", gamma, low=0.0, low_open=True)
    return chainable(
        "StepLR",
        lr,
        lambda count: gamma ** as_float(jnp.floor_divide(count, step_size)),
        update=lambda rate, t: jnp.where((t > 0) & (t % step_size == 0), rate * gamma, rate),
    )


def multi_step_lr(lr: ArrayLike, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """``MultiStepLR``: ``lr * gamma ** (number of milestones <= count)`` (repeats count twice).

    >>> float(multi_step_lr(1.0, milestones=[2, 4], gamma=0.5)(4))
    0.25
    """
    lr = _checks.learning_rate("MultiStepLR", "lr", lr)
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
        raise _checks.fail("MultiStepLR", "milestones", milestones, "a list of integers >= 0")
    marks = sorted(_checks.integer("MultiStepLR", "milestones", m, low=0) for m in milestones)
    gamma = _checks.number("MultiStepLR", "gamma", gamma, low=0.0, low_open=True)

    def factor(count: jax.Array) -> jax.Array:
        passed = jnp.sum(count[..., None] >= jnp.asarray(marks, dtype=count.dtype), axis=-1)
        return gamma ** as_float(passed)

    def update(rate: jax.Array, t: jax.Array) -> jax.Array:
        hits = jnp.sum(t[..., None] == jnp.asarray(marks, dtype=t.dtype), axis=-1)
        return jnp.where(hits > 0, rate * gamma ** as_float(hits), rate)

    return chainable("MultiStepLR", lr, factor, update=update)


def constant_lr(lr: ArrayLike, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """``ConstantLR``: ``lr * factor`` until ``total_iters``, then ``lr``.

    ``factor`` must be in (0, 1] (PyTorch accepts 0 and then divides by zero at
    ``total_iters``); ``total_iters`` >= 1.

    >>> [float(v) for v in constant_lr(1.0, factor=0.5, total_iters=2)(jnp.arange(4))]
    [0.5, 0.5, 1.0, 1.0]
    """
    lr = _checks.learning_rate("ConstantLR", "lr", lr)
    factor = _checks.number("ConstantLR", "factor", factor, low=0.0, high=1.0, low_open=True)
    total_iters = _checks.integer("ConstantLR", "total_iters", total_iters, low=1)
    after = factor * (1.0 / factor)  # PyTorch multiplies by factor, later by 1/factor
    return chainable(
        "ConstantLR",
        lr,
        lambda count: jnp.where(count < total_iters, factor, after),
        update=lambda rate, t: jnp.where(
            t == 0, rate * factor, jnp.where(t == total_iters, rate * (1.0 / factor), rate)
        ),
    )


def linear_lr(lr: ArrayLike, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5) -> Schedule:
    """``LinearLR``: factor moves linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    >>> [float(v) for v in linear_lr(1.0, start_factor=0.5, total_iters=2)(jnp.arange(4))]
    [0.5, 0.75, 1.0, 1.0]
    """
    lr = _checks.learning_rate("LinearLR", "lr", lr)
    start = _checks.number("LinearLR", "start_factor", start_factor, low=0.0, high=1.0, low_open=True)
    end = _checks.number("LinearLR", "end_factor", end_factor, low=0.0, high=1.0)
    total_iters = _checks.integer("LinearLR", "total_iters", total_iters, low=1)

    def factor(count: jax.Array) -> jax.Array:
        t = as_float(count)
        return jnp.where(t >= total_iters, end, start + (end - start) * t / total_iters)

    def update(rate: jax.Array, t: jax.Array) -> jax.Array:
        step = 1.0 + (end - start) / (total_iters * start + (as_float(t) - 1) * (end - start))
        return jnp.where(t == 0, rate * start, jnp.where(t > total_iters, rate, rate * step))

    return chainable("LinearLR", lr, factor, update=update)


def exponential_lr(lr: ArrayLike, gamma: float) -> Schedule:
    """``ExponentialLR``: ``lr * gamma ** count``.

    >>> float(exponential_lr(1.0, gamma=0.5)(3))
    0.125
    """
    lr = _checks.learning_rate("ExponentialLR", "lr", lr)
    gamma = _checks.number("ExponentialLR", "gamma", gamma, low=0.0, low_open=True)
    return chainable(
        "ExponentialLR",
        lr,
        lambda count: gamma ** as_float(count),
        update=lambda rate, t: jnp.where(t == 0, rate, rate * gamma),
    )


def polynomial_lr(lr: ArrayLike, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """``PolynomialLR``: ``lr * (1 - min(count, total_iters) / total_iters) ** power``.

    >>> [float(v) for v in polynomial_lr(1.0, total_iters=2, power=2.0)(jnp.arange(4))]
    [1.0, 0.25, 0.0, 0.0]
    """
    lr = _checks.learning_rate("PolynomialLR", "lr", lr)
    total_iters = _checks.integer("PolynomialLR", "total_iters", total_iters, low=1)
    power = _checks.number("PolynomialLR", "power", power, low=0.0)
    return chainable(
        "PolynomialLR",
        lr,
        # (T - min(T, t)) / T, not 1 - t / T: XLA may divide by multiplying with 1 / T, and
        # 1 - t * (1 / T) can be -1e-16 at t = T, where a fractional power gives NaN.
        lambda count: ((total_iters - jnp.minimum(total_iters, as_float(count))) / total_iters) ** power,
        update=lambda rate, t: jnp.where(
            (t == 0) | (t > total_iters),
            rate,
            rate * (jnp.maximum(total_iters - as_float(t), 0.0) / (total_iters - as_float(t) + 1)) ** power,
        ),
    )
