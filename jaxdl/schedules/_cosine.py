"""``CosineAnnealingLR`` and ``CosineAnnealingWarmRestarts`` (SGDR), with PyTorch's ``eta_min`` and ``T_mult``."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.schedules._schedule import Schedule, as_float


def cosine_annealing_lr(lr: ArrayLike, T_max: int, eta_min: float = 0.0) -> Schedule:
    """``CosineAnnealingLR``: ``eta_min + (lr - eta_min) * (1 + cos(pi * count / T_max)) / 2``.

    Like PyTorch (and unlike ``optax.cosine_decay_schedule``) it keeps oscillating after
    ``T_max``: back up to ``lr`` at ``2 * T_max``, down again at ``3 * T_max``. ``eta_min``
    is an absolute rate, not a fraction of ``lr``.

    >>> [round(float(v), 6) for v in cosine_annealing_lr(1.0, T_max=2)(jnp.arange(5))]
    [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    lr = _checks.learning_rate("CosineAnnealingLR", "lr", lr)
    T_max = _checks.integer("CosineAnnealingLR", "T_max", T_max, low=1)
    eta_min = _checks.number("CosineAnnealingLR", "eta_min", eta_min)

    def update(rate: jax.Array, t: jax.Array) -> jax.Array:
        x = as_float(t)
        bump = rate + (lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        ratio = (1 + jnp.cos(jnp.pi * x / T_max)) / (1 + jnp.cos(jnp.pi * (x - 1) / T_max))
        rest = jnp.where(jnp.mod(t - 1 - T_max, 2 * T_max) == 0, bump, ratio * (rate - eta_min) + eta_min)
        return jnp.where(t == 0, rate, rest)

    return Schedule(
        "CosineAnnealingLR",
        lambda count: eta_min + (lr - eta_min) * (1 + jnp.cos(jnp.pi * as_float(count) / T_max)) / 2,
        lr,
        update=update,
    )


def _restart_table(T_0: int, T_mult: int, limit: int) -> tuple[list[int], list[int]]:
    """Cycle starts ``T_0 * (T_mult**n - 1) / (T_mult - 1)`` up to ``limit`` and the cycle lengths."""
    starts, lengths = [0], [T_0]
    while starts[-1] + lengths[-1] <= limit:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    return starts, lengths


def cosine_annealing_warm_restarts(
    lr: ArrayLike,
    T_0: int,
    T_mult: int = 1,
    eta_min: float = 0.0,
) -> Schedule:
    """``CosineAnnealingWarmRestarts`` (SGDR): cosine from ``lr`` to ``eta_min``, restarting forever.

    Cycle ``i`` lasts ``T_0 * T_mult**i`` steps. Integer counts follow ``scheduler.step()``;
    float counts follow ``scheduler.step(epoch)``, e.g. ``epoch + i / iters`` for per-batch
    annealing inside epochs. (PyTorch finds the cycle of a float epoch with a float log,
    which at a few exact restart epochs rounds down, e.g. ``T_0=3, T_mult=3, epoch=363``,
    and gives ``eta_min``; jaxdl counts cycles exactly and restarts at ``lr`` there, as
    ``step()`` does.)

    >>> [round(float(v), 6) for v in cosine_annealing_warm_restarts(1.0, T_0=2)(jnp.arange(4))]
    [1.0, 0.5, 1.0, 0.5]
    """
    where = "CosineAnnealingWarmRestarts"
    lr = _checks.learning_rate(where, "lr", lr)
    T_0 = _checks.integer(where, "T_0", T_0, low=1)
    T_mult = _checks.integer(where, "T_mult", T_mult, low=1)
    eta_min = _checks.number(where, "eta_min", eta_min)

    def cycle_position(count: jax.Array) -> tuple[jax.Array, jax.Array]:
        if T_mult == 1:
            return as_float(jnp.mod(count, T_0)), as_float(T_0)
        integer = jnp.issubdtype(count.dtype, jnp.integer)
        starts, lengths = _restart_table(T_0, T_mult, int(jnp.iinfo(count.dtype).max) if integer else 2**53)
        n = jnp.sum(count[..., None] >= jnp.asarray(starts[1:], count.dtype), axis=-1)
        t_cur = count - jnp.asarray(starts, count.dtype)[n]
        return as_float(t_cur), as_float(jnp.asarray([float(length) for length in lengths]))[n]

    def fn(count: jax.Array) -> jax.Array:
        t_cur, t_i = cycle_position(count)
        return eta_min + (lr - eta_min) * (1 + jnp.cos(jnp.pi * t_cur / t_i)) / 2

    return Schedule(where, fn, lr)
