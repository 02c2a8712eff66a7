"""Learning-rate schedules in the trainers: stepped per epoch or per optimizer step, or driven by a plateau.

PyTorch users call ``scheduler.step()`` once per epoch (or per batch) and
``ReduceLROnPlateau.step(val_loss)`` once per epoch; here the optimizer reads the rate from
its own step count, so a per-epoch schedule gives the rate at ``count // steps_per_epoch``, and a
plateau sets the rate after each epoch inside the compiled call through ``optax.inject_hyperparams``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxdl import optim
from jaxdl._checks import fail
from jaxdl.schedules import PerStep, Plateau, PlateauState
from jaxdl.train._validate import check_optimizer

LrSchedule = optax.Schedule | Plateau
"""What ``fit(schedule=...)`` takes: a ``count -> lr`` schedule or a ``reduce_lr_on_plateau`` pair."""
OptimizerArg = optax.GradientTransformation | Callable[..., optax.GradientTransformation]
"""What ``fit(optimizer=...)`` takes: an optimizer, or (with a schedule) a function of the learning rate."""


INT32_MAX = 2**31 - 1
"""The last step count an optimizer can hold: optax counts steps in int32, and so do jitted schedules."""
TABLE_LIMIT = 2**22
"""The most rates a :class:`jaxdl.optim.RateTable` holds (16 MB); a longer run evaluates its schedule each step."""


class LrPlan(NamedTuple):
    """The optimizer a trainer runs, the rate of each epoch, and the plateau (if any)."""

    optimizer: optax.GradientTransformation
    lr_at_epoch: Callable[[int], float] | None
    plateau: Plateau | None


def plan(
    optimizer: OptimizerArg,
    schedule: LrSchedule | None,
    *,
    steps_per_epoch: int,
    epochs: int | None = None,
) -> LrPlan:
    """Combine ``optimizer`` with ``schedule`` the way the trainers run them.

    Args:
      optimizer: a ``GradientTransformation`` when ``schedule`` is None, else a function of the
        learning rate, e.g. ``functools.partial(jaxdl.optim.sgd, momentum=0.9)``.
      schedule: None; a ``count -> lr`` schedule (:mod:`jaxdl.schedules`), stepped after each
        epoch, or after each optimizer step when wrapped in :func:`jaxdl.schedules.per_step`; or
        a :func:`jaxdl.schedules.reduce_lr_on_plateau` pair, stepped after each epoch with the
        watched loss (with ``warmup=`` or as the last entry of ``sequential_lr`` its first epochs
        follow the warm-up schedule and the first epoch trains at the warm-up's first rate).
      steps_per_epoch: optimizer steps in one epoch.
      epochs: epochs of the whole run. Given, the schedule reaches the optimizer as a
        :class:`jaxdl.optim.RateTable` of its rates (one per epoch or per step), so they travel
        as an array and a later run with other schedule arguments reuses the compiled epoch;
        None (under ``vmap``, where the base rate is traced), or a table longer than
        :data:`TABLE_LIMIT`, evaluates the schedule each step.

    Raises:
      ConfigError: a run whose step count overflows int32 (``epochs * steps_per_epoch >= 2**31``),
        or a schedule with numbers beyond int32 (``linear_lr(total_iters=2**31)``).
    """
    if schedule is None:
        return LrPlan(check_optimizer(optimizer), None, None)
    if isinstance(optimizer, optax.GradientTransformation) or not callable(optimizer):
        raise fail(
            "fit",
            "optimizer",
            optimizer,
            "a function of the learning rate with schedule=, e.g. functools.partial(jaxdl.optim.sgd, momentum=0.9)",
        )
    _check_takes_lr(optimizer)
    if isinstance(schedule, Plateau):
        first = float(schedule.init().lr)
        tx = optax.chain(optimizer(lr=1.0), optax.inject_hyperparams(optax.scale)(step_size=first))
        return LrPlan(tx, None, schedule)
    if not callable(schedule):
        raise fail("fit", "schedule", schedule, "a jaxdl.schedules schedule or reduce_lr_on_plateau")
    every = 1 if isinstance(schedule, PerStep) else steps_per_epoch
    if epochs is not None and epochs * steps_per_epoch > INT32_MAX:
        raise fail(
            "fit",
            "epochs",
            epochs,
            f"at most {INT32_MAX // steps_per_epoch} with a schedule (the optimizer counts its {steps_per_epoch} "
            "steps per epoch in int32, up to 2**31 - 1)",
        )
    try:
        jax.eval_shape(schedule, jax.ShapeDtypeStruct((), jnp.int32))
    except OverflowError as err:
        reason = str(err).splitlines()[0]
        raise fail("fit", "schedule", None, "a schedule whose numbers fit int32 (below 2**31)", got=reason) from None
    if epochs is None or epochs * steps_per_epoch // every > TABLE_LIMIT:
        tx = scheduled(optimizer, schedule, steps_per_epoch=steps_per_epoch)
        return LrPlan(tx, lambda epoch: float(jax.device_get(schedule(epoch * steps_per_epoch // every))), None)
    counts = jnp.arange(epochs * steps_per_epoch // every)

    def table(fn: Callable[[Any], Any]) -> optim.RateTable:
        return optim.RateTable(jnp.broadcast_to(jnp.asarray(fn(counts)), counts.shape), every=every)

    rates = table(schedule)
    tx = _with_cycled_momentum(optimizer(lr=rates), schedule, table)
    values = np.asarray(jax.device_get(rates.values))
    return LrPlan(tx, lambda epoch: float(values[epoch * steps_per_epoch // every]), None)


def scheduled(
    optimizer: Callable[..., optax.GradientTransformation], schedule: Callable[[Any], Any], *, steps_per_epoch: int
) -> optax.GradientTransformation:
    """``optimizer`` driven by ``schedule`` the way a PyTorch loop drives it with ``scheduler.step()``.

    The rate is the schedule's after as many steps as epochs done (or, for a schedule wrapped in
    :func:`jaxdl.schedules.per_step`, as many as updates done); a ``CyclicLR`` or ``OneCycleLR`` with
    ``cycle_momentum=True`` also sets the optimizer's momentum or ``beta1`` (see
    :func:`jaxdl.optim.cycle_momentum`). ``fit`` runs schedules this way.

    Args:
      optimizer: a function of the rate, called as ``optimizer(lr=rate)``, e.g. ``jaxdl.optim.sgd``.
      schedule: a ``count -> lr`` schedule of :mod:`jaxdl.schedules` (or any ``count -> lr`` function).
      steps_per_epoch: optimizer updates per epoch.

    >>> from jaxdl import optim, schedules
    >>> tx = scheduled(optim.sgd, schedules.step_lr(1.0, step_size=1, gamma=0.5), steps_per_epoch=2)
    >>> params, rates = {"w": jnp.zeros(())}, []
    >>> state = tx.init(params)
    >>> for _ in range(4):
    ...     updates, state = tx.update({"w": jnp.ones(())}, state, params)
    ...     rates.append(-float(updates["w"]))
    >>> rates
    [1.0, 1.0, 0.5, 0.5]
    """
    every = 1 if isinstance(schedule, PerStep) else steps_per_epoch
    return _with_cycled_momentum(optimizer(lr=_stepped(schedule, every)), schedule, lambda m: _stepped(m, every))


def _stepped(schedule: Callable[[Any], Any], every: int) -> Callable[[Any], Any]:
    """``count -> schedule(count // every)``: a schedule stepped once every ``every`` optimizer updates."""

    def value(count: Any) -> Any:
        return schedule(count // every)

    return value


def _with_cycled_momentum(
    tx: optax.GradientTransformation,
    schedule: Callable[[Any], Any],
    read: Callable[[Callable[[Any], Any]], Callable[[Any], Any]],
) -> optax.GradientTransformation:
    """``tx``, with its momentum (or ``beta1``) set before each update from ``read(schedule.momentum)`` when
    ``schedule`` (or the one inside ``per_step``) is a ``CyclicLR`` or ``OneCycleLR`` with ``cycle_momentum=True``,
    as PyTorch's cycling schedulers do (see :func:`jaxdl.optim.cycle_momentum`).

    ``read`` turns the schedule's ``count -> momentum`` into what the optimizer reads at its update count, the way
    the rate is read (stepped per epoch, or from a table).
    """
    inner = schedule.schedule if isinstance(schedule, PerStep) else schedule
    momentum = getattr(inner, "momentum", None)
    if momentum is None:
        return tx
    return optim.cycle_momentum(tx, read(momentum), scheduler=getattr(inner, "name", "the schedule"))


def _check_takes_lr(optimizer: Callable[..., Any]) -> None:
    """Raise unless ``optimizer`` can be called as ``optimizer(lr=rate)``, as ``fit`` calls it with a schedule."""
    try:
        params = inspect.signature(optimizer).parameters
    except (TypeError, ValueError):  # no signature to read (a builtin): the call itself will tell
        return
    if "lr" in params and params["lr"].kind is not inspect.Parameter.POSITIONAL_ONLY:
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    raise fail(
        "fit",
        "optimizer",
        optimizer,
        "a function that takes the rate as lr= with schedule=, e.g. lambda lr: optax.adam(lr) or "
        "functools.partial(jaxdl.optim.sgd, momentum=0.9)",
        got=f"a function of ({', '.join(params)})",
    )


def replay_plateau(plateau: Plateau, history: dict[str, list[float]], monitor: str) -> PlateauState:
    """The plateau's state after the epochs of ``history``: its steps replayed on ``monitor``.

    ``ReduceLROnPlateau`` is a deterministic function of the losses it has seen, so a resumed
    run rebuilds its counters exactly instead of saving them.
    """
    pstate = plateau.init()
    step = jax.jit(plateau.step)
    for loss in history.get(monitor, []):
        pstate, _ = step(pstate, np.float32(loss))
    return pstate
