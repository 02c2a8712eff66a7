"""Schedules made of other schedules: ``SequentialLR`` and ``ChainedScheduler``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast, overload

import jax
import jax.numpy as jnp

from jaxdl import _checks
from jaxdl.errors import ConfigError
from jaxdl.schedules._plateau import Plateau, with_warmup
from jaxdl.schedules._schedule import CountFn, Schedule, as_float, chainable


def _check_schedulers(where: str, schedulers: object) -> list[Schedule]:
    if isinstance(schedulers, Plateau):
        schedulers = [schedulers]
    if not isinstance(schedulers, Sequence) or len(schedulers) == 0:
        raise _checks.fail(where, "schedulers", schedulers, "a non-empty list of jaxdl schedules")
    for i, s in enumerate(schedulers):
        if isinstance(s, Plateau):
            raise _checks.fail(
                where,
                f"schedulers[{i}]",
                s,
                "a count-based schedule (like PyTorch, only those combine: ReduceLROnPlateau needs a metric per step)",
                got="ReduceLROnPlateau",
            )
        if not isinstance(s, Schedule):
            raise _checks.fail(where, f"schedulers[{i}]", s, "a jaxdl Schedule")
    return list(schedulers)


@overload
def sequential_lr(schedulers: Sequence[Schedule], milestones: Sequence[int]) -> Schedule: ...


@overload
def sequential_lr(schedulers: Sequence[Schedule | Plateau], milestones: Sequence[int]) -> Schedule | Plateau: ...


def sequential_lr(schedulers: Sequence[Schedule | Plateau], milestones: Sequence[int]) -> Schedule | Plateau:
    """``SequentialLR``: ``schedulers[i]`` runs from ``milestones[i-1]``, restarted at count 0.

    As in PyTorch, each later schedule starts fresh at its milestone, except
    ``multiplicative_lr``, which continues from the previous schedule's last rate.
    The last entry may be a :func:`reduce_lr_on_plateau` (PyTorch refuses it): the result is
    then a plateau warmed up by the schedulers before it (see its ``warmup`` argument),
    e.g. ``sequential_lr([linear_lr(0.1, 0.1, total_iters=5), reduce_lr_on_plateau(0.1)], [5])``.

    >>> from jaxdl.schedules import exponential_lr, linear_lr
    >>> warm = linear_lr(1.0, start_factor=0.5, total_iters=2)
    >>> s = sequential_lr([warm, exponential_lr(1.0, gamma=0.5)], milestones=[2])
    >>> [float(v) for v in s(jnp.arange(5))]
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """
    last = schedulers[-1] if isinstance(schedulers, Sequence) and len(schedulers) > 1 else None
    plateau = last if isinstance(last, Plateau) else None
    schedulers = _check_schedulers("SequentialLR", schedulers if plateau is None else schedulers[:-1])
    if plateau is not None:
        schedulers = [*schedulers, schedulers[-1]]  # a stand-in, so the milestones are checked as one list
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
        raise _checks.fail("SequentialLR", "milestones", milestones, "a list of integers >= 0")
    if len(milestones) != len(schedulers) - 1:
        raise _checks.fail(
            "SequentialLR",
            "milestones",
            list(milestones),
            f"a list one shorter than schedulers ({len(schedulers)} schedulers)",
        )
    marks = [_checks.integer("SequentialLR", "milestones", m, low=0) for m in milestones]
    if marks != sorted(marks):
        raise _checks.fail("SequentialLR", "milestones", marks, "non-decreasing")
    if plateau is not None:
        warm = schedulers[0] if len(schedulers) == 2 else _sequential(schedulers[:-1], marks[:-1])
        return with_warmup(plateau, warm, marks[-1])
    return _sequential(schedulers, marks)


def _sequential(schedulers: list[Schedule], marks: list[int]) -> Schedule:
    """``sequential_lr`` of checked count-based ``schedulers`` and ``marks``."""
    starts = [0, *marks]
    previous = [
        (s.resume, _sequential(schedulers[:i], marks[: i - 1])) if s.resume is not None and starts[i] > 0 else None
        for i, s in enumerate(schedulers)
    ]

    def fn(count: jax.Array) -> jax.Array:
        index = jnp.searchsorted(jnp.asarray(marks, dtype=count.dtype), count, side="right")
        values = []
        for s, start, prev in zip(schedulers, starts, previous, strict=True):
            local = jnp.maximum(count - start, 0)
            if prev is None:
                values.append(s(local))
            else:
                resume, before = prev
                values.append(resume(before(jnp.asarray(start - 1)), local))
        return jnp.choose(index, values, mode="clip")

    def update(rate: jax.Array, t: jax.Array) -> jax.Array:
        # PyTorch: the first schedule's constructor step at count 0; a later schedule's closed form
        # at its milestone (MultiplicativeLR: the running rate times lr_lambda(0)); step() otherwise.
        index = jnp.searchsorted(jnp.asarray(marks, dtype=t.dtype), t, side="right")
        values = []
        for s, start in zip(schedulers, starts, strict=True):
            local = jnp.maximum(t - start, 0)
            first = _update(s)(jnp.full_like(rate, s.lr), jnp.zeros_like(t))
            milestone = s.resume(rate, local) if s.resume is not None else jnp.asarray(s(local), rate.dtype)
            at_start = jnp.where(t == 0, first, milestone)
            values.append(jnp.where(local == 0, at_start, _update(s)(rate, local)))
        return jnp.choose(index, values, mode="clip")

    sets_rate = all(s.update is None for s in schedulers)
    momentum = _sequential_momentum(schedulers, starts)
    return Schedule("SequentialLR", fn, schedulers[0].lr, momentum=momentum, update=None if sets_rate else update)


def _sequential_momentum(schedulers: list[Schedule], starts: list[int]) -> CountFn | None:
    """The momentum PyTorch's ``SequentialLR`` leaves in the optimizer when one of ``schedulers`` cycles it.

    That scheduler's constructor sets its momentum at count 0, which holds until its milestone; from there it
    cycles, restarted at 0; after its span the momentum of its last step holds. PyTorch's cycling schedulers share
    one momentum range in the optimizer (the last constructed one's), so two of them are refused.
    """
    cycling = [i for i, s in enumerate(schedulers) if s.momentum is not None]
    if not cycling:
        return None
    if len(cycling) > 1:
        names = " and ".join(f"schedulers[{i}] ({schedulers[i].name})" for i in cycling)
        raise ConfigError(
            f"SequentialLR: {names} cycle the momentum, whose range PyTorch's schedulers share (each overwrites "
            "the other's): give all but one cycle_momentum=False."
        )
    (i,) = cycling
    cycle = cast(CountFn, schedulers[i].momentum)
    last = max(starts[i + 1] - starts[i] - 1, 0) if i + 1 < len(starts) else None

    def momentum(count: jax.Array) -> jax.Array:
        return cycle(jnp.clip(count - starts[i], 0, last))

    return momentum


def _update(s: Schedule) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """PyTorch's ``get_lr`` of ``s`` as ``(running lr, count) -> lr``; rate-setting schedulers ignore the lr."""
    if s.update is not None:
        return s.update
    return lambda rate, t: jnp.asarray(s(t), rate.dtype)


def _chain_update(schedulers: list[Schedule]) -> Callable[[jax.Array, jax.Array], jax.Array]:
    updates = [_update(s) for s in schedulers]

    def update(rate: jax.Array, t: jax.Array) -> jax.Array:
        for step in updates:
            rate = step(rate, t)
        return rate

    return update


def chained_scheduler(schedulers: Sequence[Schedule]) -> Schedule:
    """``ChainedScheduler``: every schedule steps the same running rate, in order, at every count.

    PyTorch's chained rate is a recursion: each ``step()`` applies each scheduler's ``get_lr``
    to the rate the previous one left (``CosineAnnealingLR`` with ``eta_min > 0`` after a
    ``StepLR`` is not a product, and can go negative). jaxdl replays that recursion as a pure
    function of the count: a product of factors when every schedule multiplies (O(1)), only
    the last count when one of them sets the rate (``LambdaLR``, ``CyclicLR``, ``OneCycleLR``,
    ``CosineAnnealingWarmRestarts``: O(1)), else a ``fori_loop`` over counts 0..count
    (O(count), fine for per-epoch schedulers). The chain starts from ``schedulers[0].lr`` (the
    optimizer's lr); each schedule's own ``lr`` is its PyTorch ``base_lrs``.

    >>> from jaxdl.schedules import constant_lr, cosine_annealing_lr, exponential_lr, linear_lr
    >>> s = chained_scheduler([constant_lr(1.0, factor=0.5, total_iters=2), exponential_lr(1.0, gamma=0.5)])
    >>> [float(v) for v in s(jnp.arange(4))]
    [0.5, 0.25, 0.25, 0.125]
    >>> s = chained_scheduler([linear_lr(1.0, start_factor=0.5, total_iters=2), cosine_annealing_lr(1.0, T_max=4)])
    >>> [round(float(v), 4) for v in s(jnp.arange(5))]
    [0.5, 0.6402, 0.5, 0.1464, 0.0]
    """
    schedulers = _check_schedulers("ChainedScheduler", schedulers)
    start = schedulers[0].lr
    factors = [s.factor for s in schedulers if s.factor is not None]
    if len(factors) == len(schedulers):

        def factor(count: jax.Array) -> jax.Array:
            out = factors[0](count)
            for f in factors[1:]:
                out = out * f(count)
            return out

        return chainable("ChainedScheduler", start, factor, update=_chain_update(schedulers))
    update = _chain_update(schedulers)
    sets_rate = any(s.update is None for s in schedulers)

    def at(count: jax.Array) -> jax.Array:
        last = jnp.floor(count).astype(int)
        if sets_rate:  # a rate-setting schedule forgets every count before this one
            return update(as_float(start), last)
        rate = update(as_float(start), jnp.zeros_like(last))
        return jax.lax.fori_loop(1, last + 1, lambda t, r: update(r, t), rate)

    fn = jnp.vectorize(at)
    cycling = [s.momentum for s in schedulers if s.momentum is not None]  # each step sets it in turn: the last wins
    momentum = cycling[-1] if cycling else None
    return Schedule("ChainedScheduler", fn, start, momentum=momentum, update=None if sets_rate else update)
