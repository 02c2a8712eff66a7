"""Schedules made of other schedules: ``SequentialLR`` and ``ChainedScheduler``."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jaxdl import _checks
from jaxdl.errors import ConfigError
from jaxdl.schedules._plateau import Plateau
from jaxdl.schedules._schedule import Schedule, chainable


def _check_schedules(where: str, schedules: object) -> list[Schedule]:
    if isinstance(schedules, Plateau):
        schedules = [schedules]
    if not isinstance(schedules, Sequence) or len(schedules) == 0:
        raise ConfigError(f"{where}: schedules must be a non-empty list of jaxdl schedules, got {schedules!r}")
    for i, s in enumerate(schedules):
        if isinstance(s, Plateau):
            raise ConfigError(
                f"{where}: schedules[{i}] is ReduceLROnPlateau, which needs a metric per step; "
                "like PyTorch, only count-based schedules can be combined"
            )
        if not isinstance(s, Schedule):
            raise ConfigError(f"{where}: schedules[{i}] must be a jaxdl Schedule, got {s!r}")
    return list(schedules)


def sequential_lr(schedules: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    """``SequentialLR``: ``schedules[i]`` runs from ``milestones[i-1]``, restarted at count 0.

    As in PyTorch, each later schedule starts fresh at its milestone, except
    ``multiplicative_lr``, which continues from the previous schedule's last rate.

    >>> from jaxdl.schedules import exponential_lr, linear_lr
    >>> warm = linear_lr(1.0, start_factor=0.5, total_iters=2)
    >>> s = sequential_lr([warm, exponential_lr(1.0, gamma=0.5)], milestones=[2])
    >>> [float(v) for v in s(jnp.arange(5))]
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """
    schedules = _check_schedules("SequentialLR", schedules)
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
        raise ConfigError(f"SequentialLR: milestones must be a list of integers >= 0, got {milestones!r}")
    if len(milestones) != len(schedules) - 1:
        raise ConfigError(
            f"SequentialLR: milestones must have one entry fewer than schedules "
            f"({len(schedules)} schedules), got {len(milestones)} milestones {list(milestones)!r}"
        )
    marks = [_checks.integer("SequentialLR", "milestones", m, low=0) for m in milestones]
    if marks != sorted(marks):
        raise ConfigError(f"SequentialLR: milestones must be non-decreasing, got {marks!r}")
    starts = [0, *marks]
    previous = [
        sequential_lr(schedules[:i], marks[: i - 1]) if s.resume is not None and starts[i] > 0 else None
        for i, s in enumerate(schedules)
    ]

    def fn(count: jax.Array) -> jax.Array:
        index = jnp.searchsorted(jnp.asarray(marks, dtype=count.dtype), count, side="right")
        values = []
        for s, start, prev in zip(schedules, starts, previous):
            local = jnp.maximum(count - start, 0)
            values.append(s(local) if prev is None else s.resume(prev(jnp.asarray(start - 1)), local))
        return jnp.choose(index, values, mode="clip")

    return Schedule("SequentialLR", fn, schedules[0].lr)


CHAINABLE = ("MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
             "PolynomialLR", "ChainedScheduler")


def chained_scheduler(schedules: Sequence[Schedule]) -> Schedule:
    """``ChainedScheduler``: the product of multiplicative schedules that share one base ``lr``.

    PyTorch steps every scheduler on the same optimizer, each multiplying the current rate;
    for the chainable schedules (``CHAINABLE``) that is ``lr * prod_i factor_i(count)``.

    >>> from jaxdl.schedules import constant_lr, exponential_lr
    >>> s = chained_scheduler([constant_lr(1.0, factor=0.5, total_iters=2), exponential_lr(1.0, gamma=0.5)])
    >>> [float(v) for v in s(jnp.arange(4))]
    [0.5, 0.25, 0.25, 0.125]
    """
    schedules = _check_schedules("ChainedScheduler", schedules)
    for i, s in enumerate(schedules):
        if s.factor is None:
            raise ConfigError(
                f"ChainedScheduler: schedules[{i}] is {s.name}, which sets the rate instead of "
                f"multiplying it; chainable schedules are {', '.join(CHAINABLE)}"
            )
    lrs = [s.lr for s in schedules]
    if any(isinstance(v, jax.Array) for v in lrs) or len(set(lrs)) != 1:
        raise ConfigError(f"ChainedScheduler: all schedules must share one base lr (one optimizer), got {lrs!r}")

    def factor(count: jax.Array) -> jax.Array:
        out = schedules[0].factor(count)
        for s in schedules[1:]:
            out = out * s.factor(count)
        return out

    return chainable("ChainedScheduler", lrs[0], factor)
