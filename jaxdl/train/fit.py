"""``fit``: create the state, run compiled epochs, evaluate, and keep the history."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from typing import cast

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax  # noqa: F401 (the docstring example uses optax)
from jax.sharding import Mesh

from jaxdl import compilation_cache, optim, parallel
from jaxdl._checks import ceil_div
from jaxdl.callbacks import Callback, EarlyStopping, TrainInfo
from jaxdl.data import Dataset, split
from jaxdl.errors import ConfigError
from jaxdl.train import hooks, lr
from jaxdl.train.checks import check_divergence, check_max_loss, check_optimizer, check_seed
from jaxdl.train.loop import epochs_per_call, run_epochs
from jaxdl.train.objective import RegressionScale, epoch_row
from jaxdl.train.prepare import prepare_run
from jaxdl.train.resume import Progress, SavedRun, own_buffers, replay_plateau, resume_point
from jaxdl.train.state import TrainState, create_train_state
from jaxdl.transforms import Transform

EpochCallback = Callable[[int, dict[str, float]], None]


@dataclasses.dataclass
class FitResult:
    """The final state and one value per epoch for each metric.

    ``history`` keys: ``train_loss``, ``test_loss``, ``epoch_time`` (seconds of the compiled
    epoch with its evaluations; when one call ran several epochs, its time divided by them;
    the first epoch includes compilation), and for classifiers ``train_acc``, ``test_acc``;
    for regressors ``train_mse``, ``test_mse`` (in the original target units when the dataset
    has a ``target_standardizer``) and ``test_r2`` (1 - SSE/SST over the test set). With
    validation data the same metrics of it appear as ``val_*``.
    ``best_epoch`` / ``stopped_epoch``: set by early stopping (the best epoch of the monitored
    metric; the epoch training stopped after, None when it ran to the end).
    """

    state: TrainState
    history: dict[str, list[float]]
    best_epoch: int | None = None
    stopped_epoch: int | None = None


def _split(data: Dataset, fraction: float, seed: int) -> Dataset:
    if getattr(data, "val", None) is not None:
        raise ConfigError(
            "fit: validation_split= was given, but the data already has a validation part (data.val): pass one of them."
        )
    return split(data, val=fraction, seed=seed)


def fit(
    model: nn.Module,
    data: Dataset,
    *,
    optimizer: lr.OptimizerArg,
    epochs: int,
    batch_size: int,
    loss: str | Callable[..., jax.Array] | None = None,
    seed: int = 0,
    callback: EpochCallback | None = None,
    transform: Transform | None = None,
    eval_transform: Transform | None = None,
    initial: Progress | SavedRun | None = None,
    max_loss: float | None = None,
    on_epoch_end: Callable[[FitResult], None] | None = None,
    schedule: lr.LrSchedule | None = None,
    schedule_unit: str = "epoch",
    mesh: Mesh | None = None,
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
    validation_split: float | None = None,
    early_stopping: EarlyStopping | None = None,
    plot: bool = False,
    cache: bool = True,
) -> FitResult:
    """Train ``model`` on ``data.train`` for ``epochs`` shuffled epochs, evaluating on ``data.test``.

    Epochs run in one compiled program (see :mod:`jaxdl.train.loop`) that trains and
    evaluates several epochs per call once an epoch's time is known (the history is the
    same as one epoch per call); the first call compiles it, the others reuse it.
    ``seed`` fixes the init, the shuffling and dropout.
    ``callbacks`` (:class:`jaxdl.callbacks.Callback` instances) are called after each epoch,
    in order; ``callback(epoch, row)`` too (epoch counts from 1). ``progress`` shows a bar
    over the epochs (stderr, or a widget in Jupyter); ``plot=True`` adds
    ``jaxdl.callbacks.LivePlot()``. ``cache`` turns on the persistent compilation cache
    (:mod:`jaxdl.compilation_cache`) once per process.

    Validation: when ``data.val`` is set (``jaxdl.data.split``), or with
    ``validation_split=0.1`` (the same as ``fit(model, jaxdl.data.split(data, val=0.1, seed=seed))``),
    each epoch also evaluates it and the history gains ``val_*`` keys.
    ``early_stopping`` (:class:`jaxdl.callbacks.EarlyStopping`, also accepted in
    ``callbacks``) stops when its metric stops improving; the result then holds
    ``best_epoch``, ``stopped_epoch`` and, with ``restore_best``, the best epoch's state.
    ``schedule`` (a :mod:`jaxdl.schedules` schedule, stepped per ``schedule_unit``, or
    ``reduce_lr_on_plateau``, stepped after each epoch with ``val_loss`` when there is
    validation data, else with ``test_loss``) then sets the
    rate, and ``optimizer`` is a function of it (``functools.partial(optim.sgd, momentum=0.9)``);
    the history gains ``lr``, the rate each epoch trained with.
    ``transform`` (see :mod:`jaxdl.transforms`) augments training batches inside the compiled
    epoch; test batches get ``eval_transform``, by default the deterministic part of
    ``transform`` (e.g. its resize and normalize, not its random flips).

    ``initial`` (a previous ``FitResult``, or the ``SavedRun`` of
    :func:`jaxdl.checkpoint.load_run`) continues that run: ``epochs`` counts the whole run,
    the epochs already in ``initial.history`` are skipped, the history is extended, and
    ``seed`` is not used (the state carries its key), so training k epochs, then
    ``epochs - k`` more from the result, gives bit-identical parameters and history.
    ``max_loss`` stops training when an epoch's mean training loss exceeds it (a loss
    that exploded but stayed finite); a NaN/inf loss always stops it.
    ``on_epoch_end(result)`` gets the run so far after each good epoch, e.g. to save it with
    :func:`jaxdl.checkpoint.save_run`; ``result.state`` is a copy that is safe to keep and
    ``result.history`` keeps growing.

    ``mesh`` (:func:`jaxdl.parallel.make_mesh`) trains data-parallel on its devices: each
    batch is split over them (``batch_size`` must divide by their number), the state and the
    dataset are replicated, and the numbers equal a one-device ``fit`` up to float rounding.

    Raises:
      ConfigError: bad arguments or a model that does not fit the data.
      DivergenceError: the loss became NaN/inf (the message names the epoch and step)
        or exceeded ``max_loss``.

    >>> from jaxdl import data, models
    >>> r = fit(models.SoftmaxRegression(10), data.load("digits"), optimizer=optax.sgd(0.5),
    ...         epochs=2, batch_size=64, progress=False)
    >>> len(r.history["test_acc"])
    2
    """
    if validation_split is not None:
        data = _split(data, validation_split, seed)
    objective, eval_transform, sample, regression = prepare_run(
        "fit",
        model,
        data,
        epochs=epochs,
        batch_size=batch_size,
        loss=loss,
        transform=transform,
        eval_transform=eval_transform,
    )
    (X, y), (X_test, y_test) = data.train, data.test
    val = getattr(data, "val", None)
    steps = ceil_div(int(X.shape[0]), batch_size)
    lr_plan = lr.plan(optimizer, schedule, unit=schedule_unit, steps_per_epoch=steps, epochs=epochs)
    optimizer = check_optimizer(lr_plan.optimizer)
    check_max_loss(max_loss)
    check_seed("fit", seed)
    if mesh is not None:
        parallel.check_batch_split(batch_size, mesh)
    cbs = hooks.assemble(
        "fit",
        callbacks,
        callback=callback,
        on_epoch_end=on_epoch_end,
        progress=progress,
        early_stopping=early_stopping,
        plot=plot,
        make_result=lambda state, history: FitResult(state=state, history=history),
    )
    if cache:
        compilation_cache.enable_default()
    if initial is None:
        state = own_buffers(create_train_state(model, optimizer, sample, key=jax.random.key(seed)))
        history, first = {}, 1
    else:
        state, history, first = resume_point(initial, model, optimizer, sample, epochs=epochs)
    state, public = _floats_as_arrays(state)
    arrays = ((X, y), (X_test, y_test)) + ((tuple(val),) if val is not None else ())
    batch_sharding = None
    if mesh is not None:
        state, arrays = parallel.replicate((state, arrays), mesh)
        batch_sharding = parallel.data_sharding(mesh)
    monitor = "val_loss" if val is not None else "test_loss"
    plateau_state = replay_plateau(lr_plan.plateau, history, monitor) if lr_plan.plateau else None
    rows = _Rows(regression, val, lr_plan)
    info = TrainInfo(
        total_epochs=epochs, first_epoch=first, steps_per_epoch=steps, label="fit", metrics=rows.keys(objective)
    )
    limit = jnp.float32(jnp.inf if max_loss is None else max_loss)
    program = functools.partial(
        run_epochs,
        batch_size=batch_size,
        objective=objective,
        transform=transform,
        eval_transform=eval_transform,
        batch_sharding=batch_sharding,
    )
    try:
        for cb in cbs:
            cb.on_train_begin(info)
        epoch, per_epoch, stopped = first, None, False
        while epoch <= epochs and not stopped:
            wanted = hooks.until_wanted(cbs, epoch, epochs)
            n = 1 if lr_plan.plateau else epochs_per_call(per_epoch, remaining=epochs - epoch + 1, until_wanted=wanted)
            rate = lr.current_rate(state) if lr_plan.plateau else None
            start = time.perf_counter()
            state, (train, evals) = program(state, arrays, jnp.int32(n), limit)
            train, evals = jax.device_get((train, evals))
            seconds = (time.perf_counter() - start) / n
            per_epoch = seconds if epoch > first else None
            for i in range(n):
                check_divergence({k: v[i] for k, v in train.items()}, epoch + i, max_loss)
                row = rows.row(epoch + i, train, evals, i, seconds, rate)
                if lr_plan.plateau and plateau_state is not None:
                    plateau_state, state = lr.plateau_step(lr_plan.plateau, plateau_state, state, row[monitor])
                for key, value in row.items():
                    history.setdefault(key, []).append(value)
                last = i == n - 1
                stopped = hooks.epoch_end(cbs, epoch + i, row, public(state) if last else None, history)
            epoch += n
        result = FitResult(state=public(state), history=history)
        stopper = hooks.deciding_stopper(cbs)
        if stopper is not None:
            result.best_epoch, result.stopped_epoch = stopper.best_epoch, stopper.stopped_epoch
            if stopper.restore_best and stopper.best_state is not None:
                result.state = stopper.best_state
        for cb in cbs:
            cb.on_train_end(result)
    except BaseException:
        hooks.close_all(cbs)
        raise
    return result


def _floats_as_arrays(state: TrainState) -> tuple[TrainState, Callable[[TrainState], TrainState]]:
    """``state`` with its optimizer's float arguments in the optimizer state, and the way back.

    The compiled epoch then serves a later ``fit`` that differs only in ``lr``, ``momentum``,
    ``weight_decay``, ... (see :func:`jaxdl.optim.float_args_as_arrays`). Callbacks and the
    result get the state back as the optimizer made it, so it saves and restores as before.
    """
    lifted = optim.float_args_as_arrays(state.tx)
    if lifted is None:
        return state, lambda s: s
    tx = state.tx
    return (
        state.replace(tx=lifted.tx, opt_state=lifted.wrap(state.opt_state)),
        lambda s: s.replace(tx=tx, opt_state=cast(optim.HyperparamState, s.opt_state).inner),
    )


class _Rows:
    """Builds one history row per epoch from the stacked metrics of a call."""

    def __init__(self, regression, val, lr_plan):
        self.regression, self.lr_plan, self.has_val = regression, lr_plan, val is not None
        self.val_scale = None
        if regression is not None and val is not None:
            self.val_scale = RegressionScale.of(val[1]).test_variance

    def keys(self, objective) -> tuple[str, ...]:
        """The keys each row will hold."""
        names = ["loss"] + (["acc"] if objective.classifier else ["mse"])
        sets = ["train", "test"] + (["val"] if self.has_val else [])
        keys = [f"{s}_{m}" for s in sets for m in names]
        if self.regression is not None:
            keys += ["test_r2"] + (["val_r2"] if "val" in sets else [])
        return tuple(keys + ["epoch_time"] + (["lr"] if self.lr_plan.plateau or self.lr_plan.lr_at_epoch else []))

    def row(self, epoch: int, train: dict, evals: tuple, i: int, seconds: float, rate: float | None) -> dict:
        """The history row of the ``i``-th epoch of a call (``epoch`` counts the run from 1)."""
        test = {k: v[i] for k, v in evals[0].items()}
        row = epoch_row({k: v[i] for k, v in train.items()}, test, seconds)
        if len(evals) > 1:
            row.update({f"val_{k}": float(v[i]) for k, v in evals[1].items()})
        if rate is None and self.lr_plan.lr_at_epoch:
            rate = self.lr_plan.lr_at_epoch(epoch - 1)
        if rate is not None:
            row["lr"] = rate
        if self.regression is not None:
            row = self.regression.finish(row)
            if "val_mse" in row:
                row["val_mse"] = row["val_mse"] * self.regression.mse_factor
                if self.val_scale is not None and self.val_scale > 0:
                    row["val_r2"] = 1.0 - row["val_mse"] / self.regression.mse_factor / self.val_scale
        return row
