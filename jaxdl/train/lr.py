"""Learning-rate schedules in ``fit``: stepped per optimizer step or per epoch, or driven by a plateau.

PyTorch users call ``scheduler.step()`` once per epoch (or per batch) and
``ReduceLROnPlateau.step(val_loss)`` once per epoch; here the optimizer reads the rate from
its own step count, so a per-epoch schedule gives the rate at ``count // steps_per_epoch``, and a
plateau sets the rate between compiled epochs through ``optax.inject_hyperparams``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, cast

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import optim
from jaxdl.errors import ConfigError
from jaxdl.schedules import Plateau, PlateauState
from jaxdl.train.checks import check_optimizer
from jaxdl.train.state import TrainState

UNITS = ("epoch", "step")

LrSchedule = optax.Schedule | Plateau
"""What ``fit(schedule=...)`` takes: a ``count -> lr`` schedule or a ``reduce_lr_on_plateau`` pair."""
OptimizerArg = optax.GradientTransformation | Callable[..., optax.GradientTransformation]
"""What ``fit(optimizer=...)`` takes: an optimizer, or (with a schedule) a function of the learning rate."""


class LrPlan(NamedTuple):
    """The optimizer ``fit`` trains with, the rate of each epoch, and the plateau (if any)."""

    optimizer: optax.GradientTransformation
    lr_at_epoch: Callable[[int], float] | None
    plateau: Plateau | None


def plan(
    optimizer: OptimizerArg,
    schedule: LrSchedule | None,
    *,
    unit: str,
    steps_per_epoch: int,
    epochs: int | None = None,
) -> LrPlan:
    """Combine ``optimizer`` with ``schedule`` the way ``fit`` runs them.

    Args:
      optimizer: a ``GradientTransformation`` when ``schedule`` is None, else a function of the
        learning rate, e.g. ``functools.partial(jaxdl.optim.sgd, momentum=0.9)``.
      schedule: None, a ``count -> lr`` schedule (:mod:`jaxdl.schedules`), or a
        :func:`jaxdl.schedules.reduce_lr_on_plateau` pair (driven by the watched loss after each
        epoch; with ``warmup=`` or as the last entry of ``sequential_lr`` its first epochs
        follow the warm-up schedule and the first epoch trains at the warm-up's first rate).
      unit: ``"epoch"`` (torch's usual ``scheduler.step()`` after each epoch) or ``"step"``.
      steps_per_epoch: optimizer steps in one epoch.
      epochs: epochs of the whole run. Given, the schedule reaches the optimizer as a
        :class:`jaxdl.optim.RateTable` of its rates (one per epoch or per step), so they travel
        as an array and a later run with other schedule arguments reuses the compiled epoch;
        None (under ``vmap``, where the base rate is traced) evaluates the schedule each step.
    """
    if schedule is None:
        return LrPlan(check_optimizer(optimizer), None, None)
    if unit not in UNITS:
        raise ConfigError(f"schedule_unit={unit!r}: expected 'epoch' or 'step'.")
    if isinstance(optimizer, optax.GradientTransformation) or not callable(optimizer):
        raise ConfigError(
            "with schedule=, optimizer must be a function of the learning rate, e.g. "
            "functools.partial(jaxdl.optim.sgd, momentum=0.9) or lambda lr: jaxdl.optim.adam(lr=lr)."
        )
    if isinstance(schedule, Plateau):
        first = float(schedule.init().lr)
        tx = optax.chain(optimizer(lr=1.0), optax.inject_hyperparams(optax.scale)(step_size=first))
        return LrPlan(tx, None, schedule)
    if not callable(schedule):
        raise ConfigError(f"schedule={schedule!r}: expected a jaxdl.schedules schedule or reduce_lr_on_plateau.")
    every = steps_per_epoch if unit == "epoch" else 1
    if epochs is None:

        def rate(count):
            return schedule(count // every)

        return LrPlan(
            optimizer(lr=rate), lambda epoch: float(jax.device_get(schedule(epoch * steps_per_epoch // every))), None
        )
    counts = jnp.arange(epochs * steps_per_epoch // every)
    table = optim.RateTable(jnp.broadcast_to(jnp.asarray(schedule(counts)), counts.shape), every=every)
    rates = jax.device_get(table.values)
    return LrPlan(optimizer(lr=table), lambda epoch: float(rates[epoch * steps_per_epoch // every]), None)


def _inner_and_scale(state: TrainState) -> tuple[optax.OptState, optax.InjectStatefulHyperparamsState]:
    """The optimizer state of ``plan``'s plateau optimizer: ``chain(optimizer, inject_hyperparams(scale))``."""
    return cast(tuple[optax.OptState, optax.InjectStatefulHyperparamsState], state.opt_state)


@jax.jit
def _set_rate(state: TrainState, lr: jax.Array) -> TrainState:
    inner, scale = _inner_and_scale(state)
    scale = scale._replace(hyperparams={**scale.hyperparams, "step_size": lr})
    return state.replace(opt_state=(inner, scale))


def plateau_step(
    plateau: Plateau, pstate: PlateauState, state: TrainState, metric: ArrayLike
) -> tuple[PlateauState, TrainState]:
    """Feed ``metric`` to the plateau and set the rate the next epoch trains with."""
    pstate, lr = jax.jit(plateau.step)(pstate, metric)
    return pstate, _set_rate(state, lr)


def current_rate(state: TrainState) -> float:
    """The rate a plateau-driven optimizer applies now."""
    return float(jnp.asarray(_inner_and_scale(state)[1].hyperparams["step_size"]))
