"""``ReduceLROnPlateau`` as a pure ``(init, step)`` pair over a NamedTuple state of arrays.

The rate depends on the metrics seen so far, not on the step count, so it is a small state
machine rather than a schedule: ``state, lr = plateau.step(state, metric)``. The state is
arrays only, so it lives in a training carry, under ``jax.jit``, ``jax.lax.scan`` and
``jax.vmap``. Feed the rate to optax through ``optax.inject_hyperparams``::

    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    opt_state.hyperparams["learning_rate"] = plateau_state.lr
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.schedules._schedule import Schedule, as_float


class PlateauState(NamedTuple):
    """The state of :func:`reduce_lr_on_plateau`; every field is a scalar array.

    Attributes:
        lr: the current learning rate.
        best: the best metric so far (``inf`` in "min" mode, ``-inf`` in "max", before any step).
        num_bad_epochs: steps since the last improvement (int32).
        cooldown_counter: steps of cooldown left after a reduction (int32).
        count: steps taken so far, warm-up included (int32).
    """

    lr: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array
    count: jax.Array | int = 0  # pyright: ignore[reportIncompatibleMethodOverride]  # shadows tuple.count


class Plateau(NamedTuple):
    """A pure pair: ``init() -> state`` and ``step(state, metric) -> (state, lr)``."""

    init: Callable[[], PlateauState]
    step: Callable[[PlateauState, ArrayLike], tuple[PlateauState, jax.Array]]


def reduce_lr_on_plateau(
    lr: ArrayLike,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
    warmup: Schedule | None = None,
    warmup_epochs: int | None = None,
) -> Plateau:
    """``ReduceLROnPlateau``: multiply the rate by ``factor`` after ``patience + 1`` steps without improvement.

    A metric improves when it beats the best so far by ``threshold`` (relative or absolute);
    after ``patience`` bad steps the next bad one reduces the rate (never below ``min_lr``,
    and not when the change is ``<= eps``), then ``cooldown`` steps ignore bad metrics.
    Step ``t`` (1-based) returns PyTorch's ``get_last_lr()[0]`` after its ``t``-th ``step(metric)``.

    ``warmup`` (a count-based schedule, e.g. ``linear_lr``) sets the rate for the first
    ``warmup_epochs`` steps, whose metrics are ignored; the plateau then starts from
    ``warmup(warmup_epochs)``. That is the PyTorch loop
    ``warmup.step() if epoch < warmup_epochs else plateau.step(val_loss)``; the same is
    ``sequential_lr([warmup, reduce_lr_on_plateau(...)], milestones=[warmup_epochs])``.

    >>> p = reduce_lr_on_plateau(1.0, patience=1)
    >>> state = p.init()
    >>> for loss in [3.0, 3.0, 3.0]:
    ...     state, lr = p.step(state, loss)
    >>> round(float(lr), 6)
    0.1
    """
    where = "ReduceLROnPlateau"
    lr = _checks.learning_rate(where, "lr", lr)
    mode = _checks.choice(where, "mode", mode, ("min", "max"))
    factor = _checks.number(where, "factor", factor, low=0.0, high=1.0, high_open=True)
    patience = _checks.integer(where, "patience", patience, low=0)
    threshold = _checks.number(where, "threshold", threshold, low=0.0)
    threshold_mode = _checks.choice(where, "threshold_mode", threshold_mode, ("rel", "abs"))
    cooldown = _checks.integer(where, "cooldown", cooldown, low=0)
    min_lr = _checks.number(where, "min_lr", min_lr, low=0.0)
    eps = _checks.number(where, "eps", eps, low=0.0)
    warm: tuple[Schedule, int] | None = None
    if warmup is not None:
        if not isinstance(warmup, Schedule):
            raise _checks.fail(where, "warmup", warmup, "a jaxdl.schedules schedule (e.g. linear_lr)")
        if warmup_epochs is None:
            raise _checks.fail(
                where, "warmup_epochs", None, f"the number of epochs {warmup.name} runs before the plateau"
            )
        warm = (warmup, _checks.integer(where, "warmup_epochs", warmup_epochs, low=0))
        if not isinstance(lr, jax.Array) and not isinstance(warmup.lr, jax.Array) and float(warmup.lr) != lr:
            raise _checks.fail(where, "lr", lr, f"warmup's lr {warmup.lr!r} (both are the optimizer's base rate)")
    elif warmup_epochs is not None:
        raise _checks.fail(
            where, "warmup", None, f"a schedule with warmup_epochs={warmup_epochs!r}, e.g. linear_lr(...)"
        )
    sign = 1.0 if mode == "min" else -1.0

    def is_better(current: jax.Array, best: jax.Array) -> jax.Array:
        if threshold_mode == "rel":
            bar = best * ((1.0 - threshold) if mode == "min" else (threshold + 1.0))
        else:
            bar = best - sign * threshold
        return current < bar if mode == "min" else current > bar

    def init() -> PlateauState:
        zero = jnp.zeros((), jnp.int32)
        return PlateauState(as_float(lr), as_float(sign * jnp.inf), zero, zero, zero)

    def step(state: PlateauState, metric: ArrayLike) -> tuple[PlateauState, jax.Array]:
        current = jnp.asarray(metric, state.best.dtype)
        better = is_better(current, state.best)
        best = jnp.where(better, current, state.best)
        bad = jnp.where(better, 0, state.num_bad_epochs + 1)
        in_cooldown = state.cooldown_counter > 0
        counter = jnp.where(in_cooldown, state.cooldown_counter - 1, state.cooldown_counter)
        bad = jnp.where(in_cooldown, 0, bad)
        reduce = bad > patience
        reduced = jnp.maximum(state.lr * factor, min_lr)
        new_lr = jnp.where(reduce & (state.lr - reduced > eps), reduced, state.lr)
        new_state = PlateauState(
            lr=new_lr,
            best=best,
            num_bad_epochs=jnp.where(reduce, 0, bad).astype(jnp.int32),
            cooldown_counter=jnp.where(reduce, cooldown, counter).astype(jnp.int32),
            count=jnp.asarray(state.count, jnp.int32) + 1,
        )
        return new_state, new_lr

    plateau = Plateau(init, step)
    return plateau if warm is None else with_warmup(plateau, *warm)


def with_warmup(plateau: Plateau, warmup: Schedule, epochs: int) -> Plateau:
    """``plateau`` whose first ``epochs`` steps follow ``warmup`` (their metrics unseen), then plateau steps."""

    def init() -> PlateauState:
        state = plateau.init()
        return state._replace(lr=jnp.asarray(warmup(0), state.lr.dtype))

    def step(state: PlateauState, metric: ArrayLike) -> tuple[PlateauState, jax.Array]:
        count = jnp.asarray(state.count, jnp.int32)
        warming = count < epochs
        warm = state._replace(lr=jnp.asarray(warmup(count + 1), state.lr.dtype), count=count + 1)
        after, _ = plateau.step(state, metric)
        new = PlateauState(*(jnp.where(warming, a, b) for a, b in zip(warm, after, strict=True)))
        return new, new.lr

    return Plateau(init, step)
