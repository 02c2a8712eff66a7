"""Several epochs per compiled call: train, test and validate each epoch, and follow it on the device.

Dispatching one program per epoch costs milliseconds a small model never gets back, so the
trainers scan up to :data:`MAX_EPOCHS_PER_CALL` epochs in one call (a fixed length, so one
compile serves every call; ``n``, the epochs to run, is a traced argument). After each epoch the
call builds the epoch's history row on the device (float32), hands it to the callbacks' device
hooks (early stopping, SWA, a loss limit) and to ``ReduceLROnPlateau``, and ends early when the
loss is NaN/inf or a hook says stop. The host reads the stacked rows once per call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.extend.core import jaxpr_as_fun
from jax.sharding import NamedSharding

from jaxdl.schedules import Plateau
from jaxdl.train._epoch import evaluate_fn, train_epoch_fn
from jaxdl.train._objective import Objective, RegressionScale
from jaxdl.train._state import TrainState
from jaxdl.train._xla import TrainerJit
from jaxdl.transforms import Transform

if TYPE_CHECKING:
    from jaxdl.callbacks import DeviceHook

MAX_EPOCHS_PER_CALL = 16
"""The scan length of the compiled call (the most epochs one call can run)."""

TARGET_CALL_SECONDS = 0.2
"""Epochs are grouped so one call takes about this long (once an epoch's time is known)."""

SPLITS = ("train", "test", "val")


class Scale(NamedTuple):
    """How a regressor's rows are finished: squared errors in original units and R² (float32 scalars).

    Attributes:
      mse_factor: std² of the target standardizer (1 when targets are not standardized).
      test_variance, val_variance: the variance of the test / validation targets in training
        units (R² = 1 - mse / variance); rows hold ``*_r2`` only where it is > 0.
    """

    mse_factor: jax.Array
    test_variance: jax.Array
    val_variance: jax.Array


class CallSpec(NamedTuple):
    """What the compiled call is built from (hashable: a change compiles a new program).

    Attributes:
      batch_size, objective, transform, eval_transform, batch_sharding: as for ``train_epoch_fn``.
      hooks: the callbacks' :class:`~jaxdl.callbacks.DeviceHook` objects, in order.
      plateau: a ``ReduceLROnPlateau`` stepped after each epoch with the row's ``monitor``.
      monitor: the row key the plateau watches.
      r2: the splits whose rows get ``*_r2`` (regressors with non-constant targets).
    """

    batch_size: int
    objective: Objective
    transform: Transform | None = None
    eval_transform: Transform | None = None
    batch_sharding: NamedSharding | None = None
    hooks: tuple[DeviceHook, ...] = ()
    plateau: Plateau | None = None
    monitor: str = "test_loss"
    r2: tuple[str, ...] = ()


def scale_of(regression: RegressionScale | None, val: tuple | None = None) -> tuple[Scale | None, tuple[str, ...]]:
    """A regressor's :class:`Scale` and the splits whose rows get ``*_r2``."""
    if regression is None:
        return None, ()
    val_variance = 0.0
    if val is not None:
        y = np.asarray(val[1], np.float64).reshape(len(val[1]), -1)
        val_variance = float(np.square(y - y.mean(axis=0)).mean())
    r2 = tuple(s for s, v in (("test", regression.test_variance), ("val", val_variance)) if v > 0)
    values = (regression.mse_factor, regression.test_variance or 1.0, val_variance or 1.0)
    return Scale(*(jnp.float32(v) for v in values)), r2


def epoch_row(metrics: dict[str, dict[str, jax.Array]], scale: Scale | None, r2: tuple[str, ...]) -> dict:
    """One history row (float32 scalars) from an epoch's metrics per split.

    ``metrics`` maps ``"train"``, ``"test"`` (and ``"val"``) to ``{"loss", "acc" | "mse"}``;
    a regressor's squared errors are multiplied by ``scale.mse_factor``, and ``*_r2`` added.

    >>> epoch_row({"train": {"loss": jnp.float32(0.5)}, "test": {"loss": jnp.float32(0.7)}}, None, ())
    {'train_loss': Array(0.5, dtype=float32), 'test_loss': Array(0.7, dtype=float32)}
    """
    row = {}
    for split in SPLITS:
        for key, value in metrics.get(split, {}).items():
            if key != "nonfinite_step":
                row[f"{split}_{key}"] = value * scale.mse_factor if key == "mse" and scale is not None else value
        if split in r2 and scale is not None:
            variance = scale.test_variance if split == "test" else scale.val_variance
            row[f"{split}_r2"] = 1.0 - metrics[split]["mse"] / variance
    return row


def row_keys(objective: Objective, *, has_val: bool, r2: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of :func:`epoch_row`'s rows, in order.

    >>> from jaxdl import losses
    >>> row_keys(Objective(losses.cross_entropy, "classification"), has_val=False, r2=())
    ('train_loss', 'train_acc', 'test_loss', 'test_acc')
    """
    names = ("loss", "acc" if objective.classifier else "mse")
    keys: list[str] = []
    for split in SPLITS if has_val else SPLITS[:2]:
        keys += [f"{split}_{name}" for name in names] + ([f"{split}_r2"] if split in r2 else [])
    return tuple(keys)


def _inner_and_scale(state: TrainState) -> tuple[optax.OptState, optax.InjectStatefulHyperparamsState]:
    """The state of a plateau-driven optimizer: ``chain(opt(lr=1), inject_hyperparams(scale))``."""
    return cast(tuple[optax.OptState, optax.InjectStatefulHyperparamsState], state.opt_state)


def rate_of(state: TrainState) -> jax.Array:
    """The rate a plateau-driven optimizer applies now."""
    return jnp.asarray(_inner_and_scale(state)[1].hyperparams["step_size"])


def with_rate(state: TrainState, lr: jax.Array) -> TrainState:
    """``state`` whose plateau-driven optimizer applies ``lr`` from the next step on."""
    inner, scale = _inner_and_scale(state)
    scale = scale._replace(hyperparams={**scale.hyperparams, "step_size": lr})
    return state.replace(opt_state=(inner, scale))


def scan_epochs(epoch: Callable[[Any], tuple[Any, dict, jax.Array]], carry: Any, n: jax.Array) -> tuple[Any, dict]:
    """Run ``epoch`` on ``carry`` up to ``n`` (<= :data:`MAX_EPOCHS_PER_CALL`) times, stopping after one that says so.

    ``epoch(carry) -> (carry, outputs, stop)`` (``stop`` a bool scalar). Returns the carry after
    the last epoch run and the stacked outputs (leading axis :data:`MAX_EPOCHS_PER_CALL`) with
    ``"ran"``, True for the epochs that ran; the other entries are zeros.
    """
    closed, shapes = jax.make_jaxpr(epoch, return_shape=True)(carry)  # traced once, run in the cond below
    traced = jaxpr_as_fun(closed)
    tree = jax.tree.structure(shapes)

    def run_epoch(carry):
        return jax.tree.unflatten(tree, traced(*jax.tree.leaves(carry)))

    def skip(carry):
        return carry, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes[1]), jnp.bool_(False)

    def body(state, i):
        carry, going = state
        run = going & (i < n)
        carry, outputs, stop = jax.lax.cond(run, run_epoch, skip, carry)
        return (carry, run & ~stop), {**outputs, "ran": run}

    (carry, _), outputs = jax.lax.scan(body, (carry, jnp.bool_(True)), jnp.arange(MAX_EPOCHS_PER_CALL))
    return carry, outputs


def fit_call_fn(
    state: TrainState,
    carries: tuple,
    arrays: tuple,
    scale: Scale | None,
    first: jax.Array,
    n: jax.Array,
    *,
    spec: CallSpec,
) -> tuple[TrainState, tuple, dict]:
    """Run up to ``n`` epochs of one model from epoch ``first``, each followed by its evaluations.

    Args:
      state: the state before the first epoch.
      carries: ``(hook carries, plateau state or None)``.
      arrays: ``((X, y), (X_test, y_test), ...)``: the training arrays, then each set to
        evaluate after every epoch (test, and validation when there is one).
      scale: a regressor's :class:`Scale` (None for classifiers).
      first: the number of the first epoch of the call (int32, from 1).
      n: how many epochs to run (a traced int32, so every ``n`` shares one compile).

    Returns:
      The state and carries after the last epoch run, and the stacked outputs: ``row`` (the
      history row's float32 values), ``nonfinite_step`` (the first step with a NaN/inf loss,
      -1 if none), ``lr`` (the plateau's rate, when there is one) and ``ran``.
    """
    (X, y), evals = arrays[0], arrays[1:]
    kwargs = {"batch_size": spec.batch_size, "objective": spec.objective, "batch_sharding": spec.batch_sharding}

    def epoch(carry):
        state, hooks, plateau, number = carry
        state, train = train_epoch_fn(state, X, y, transform=spec.transform, **kwargs)
        metrics = {"train": train}
        for split, (Xe, ye) in zip(SPLITS[1:], evals, strict=False):
            metrics[split] = evaluate_fn(state, Xe, ye, transform=spec.eval_transform, **kwargs)
        row = epoch_row(metrics, scale, spec.r2)
        outputs = {"row": row, "nonfinite_step": train["nonfinite_step"]}
        stop = train["nonfinite_step"] >= 0
        updated = []
        for hook, hook_carry in zip(spec.hooks, hooks, strict=True):
            hook_carry, hook_stop = hook.update(hook_carry, number, state, row)
            updated.append(hook_carry)
            stop = stop | hook_stop
        if spec.plateau is not None:
            outputs["lr"] = rate_of(state)
            plateau, lr = spec.plateau.step(plateau, row[spec.monitor])
            state = with_rate(state, lr)
        return (state, tuple(updated), plateau, number + 1), outputs, stop

    hooks, plateau = carries
    (state, hooks, plateau, _), outputs = scan_epochs(epoch, (state, hooks, plateau, first), n)
    return state, (hooks, plateau), outputs


fit_call = TrainerJit(fit_call_fn, static_argnames=("spec",), donate_argnums=0)


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
    >>> epochs_per_call(0.001, remaining=5, until_wanted=None), epochs_per_call(1.0, remaining=10, until_wanted=None)
    (5, 1)
    >>> epochs_per_call(None, remaining=100, until_wanted=None)
    1
    """
    if seconds_per_epoch is None:
        return 1
    wanted = max(1, math.ceil(TARGET_CALL_SECONDS / max(seconds_per_epoch, 1e-9)))
    limits = [wanted, remaining, MAX_EPOCHS_PER_CALL] + ([until_wanted] if until_wanted is not None else [])
    return max(1, min(limits))
