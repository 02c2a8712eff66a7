"""Several epochs per compiled call: train, test and validate each epoch inside one program.

Dispatching one program per epoch costs milliseconds a small model never gets back, so
``fit`` scans up to :data:`MAX_EPOCHS_PER_CALL` epochs in one call (a fixed length, so one
compile serves every call; ``n``, the epochs actually run, is a traced argument) and reads
the stacked metrics once per call. An epoch whose loss is NaN/inf or above ``max_loss``
ends the call on the device, so the host names its epoch and step as before.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding

from jaxdl.train.epoch import evaluate_fn, train_epoch_fn
from jaxdl.train.objective import Objective
from jaxdl.train.state import TrainState
from jaxdl.transforms import Transform

MAX_EPOCHS_PER_CALL = 16
"""The scan length of the compiled call (the most epochs one call can run)."""

TARGET_CALL_SECONDS = 0.2
"""Epochs are grouped so one call takes about this long (once an epoch's time is known)."""


def _epoch(state, arrays, *, batch_size, objective, transform, eval_transform, batch_sharding):
    (X, y), evals = arrays[0], arrays[1:]
    state, train = train_epoch_fn(
        state, X, y, batch_size=batch_size, objective=objective, transform=transform, batch_sharding=batch_sharding
    )
    scores = tuple(
        evaluate_fn(
            state,
            Xe,
            ye,
            batch_size=batch_size,
            objective=objective,
            transform=eval_transform,
            batch_sharding=batch_sharding,
        )
        for Xe, ye in evals
    )
    return state, (train, scores)


def run_epochs_fn(
    state: TrainState,
    arrays: tuple,
    n: jax.Array,
    max_loss: jax.Array,
    *,
    batch_size: int,
    objective: Objective,
    transform: Transform | None = None,
    eval_transform: Transform | None = None,
    batch_sharding: NamedSharding | None = None,
) -> tuple[TrainState, tuple[dict, tuple[dict, ...]]]:
    """Run ``n`` (<= :data:`MAX_EPOCHS_PER_CALL`) epochs, each followed by its evaluations.

    Args:
      state: the state before the first epoch.
      arrays: ``((X, y), (X_test, y_test), ...)``: the training arrays, then each set to
        evaluate after every epoch (test, and validation when there is one).
      n: how many epochs to run (a traced int32, so every ``n`` shares one compile).
      max_loss: an epoch whose mean training loss is above it (or NaN/inf) is the last one run.

    Returns:
      The state after the last epoch run, and ``(train, evals)``: metric dicts whose values
      have shape (MAX_EPOCHS_PER_CALL,); entries past the epochs run are zeros.
    """

    def epoch(state):
        return _epoch(
            state,
            arrays,
            batch_size=batch_size,
            objective=objective,
            transform=transform,
            eval_transform=eval_transform,
            batch_sharding=batch_sharding,
        )

    shapes = jax.eval_shape(epoch, state)[1]

    def skip(state):
        return state, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

    def body(carry, i):
        state, going = carry
        state, metrics = jax.lax.cond(going & (i < n), epoch, skip, state)
        train = metrics[0]
        bad = (train["nonfinite_step"] >= 0) | ~(train["loss"] <= max_loss)
        return (state, going & (i < n) & ~bad), metrics

    (state, _), metrics = jax.lax.scan(body, (state, jnp.bool_(True)), jnp.arange(MAX_EPOCHS_PER_CALL))
    return state, metrics


run_epochs = jax.jit(
    run_epochs_fn,
    static_argnames=("batch_size", "objective", "transform", "eval_transform", "batch_sharding"),
    donate_argnums=0,
)


def epochs_per_call(seconds_per_epoch: float | None, *, remaining: int, until_wanted: int | None) -> int:
    """How many epochs the next call runs.

    Args:
      seconds_per_epoch: the measured time of one epoch (None before a call without
        compilation was timed: then 1).
      remaining: epochs left in the run.
      until_wanted: epochs up to and including the next one whose state a callback wants
        (None when none does).

    >>> epochs_per_call(0.01, remaining=100, until_wanted=None)
    16
    >>> epochs_per_call(0.01, remaining=100, until_wanted=3)
    3
    >>> epochs_per_call(None, remaining=100, until_wanted=None)
    1
    """
    if seconds_per_epoch is None:
        return 1
    wanted = max(1, math.ceil(TARGET_CALL_SECONDS / max(seconds_per_epoch, 1e-9)))
    limits = [wanted, remaining, MAX_EPOCHS_PER_CALL] + ([until_wanted] if until_wanted is not None else [])
    return max(1, min(limits))
