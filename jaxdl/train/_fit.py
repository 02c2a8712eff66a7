"""``fit``: create the state, run compiled epochs, evaluate, keep the history; callbacks do the rest."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, cast

import flax.linen as nn
import jax
import numpy as np
from jax.sharding import Mesh

from jaxdl import optim, parallel
from jaxdl._checks import ceil_div
from jaxdl.callbacks import Callback, CallbackList, EarlyStopping, TrainInfo, safe_copy
from jaxdl.checkpoint import SavedRun
from jaxdl.data import Dataset
from jaxdl.train._driver import Loop, Row
from jaxdl.train._host_keys import seed_key
from jaxdl.train._lr import LrSchedule, OptimizerArg, plan, replay_plateau
from jaxdl.train._prepare import prepare_run, with_validation_split
from jaxdl.train._program import CallSpec, Scale, fit_call, row_keys, scale_of
from jaxdl.train._resume import Progress, own_buffers, resume_point
from jaxdl.train._state import TrainState, create_train_state
from jaxdl.train._validate import check_seed, nonfinite_error
from jaxdl.transforms import Transform


@dataclasses.dataclass
class FitResult:
    """The final state and one value per epoch for each metric.

    Attributes:
      state: the :class:`TrainState` after the last epoch (the best epoch's, when early stopping restored it).
      history: one list per metric, one value per epoch: ``train_loss``, ``test_loss``,
        ``epoch_time`` (seconds of the compiled epoch with its evaluations; when one call ran
        several epochs, its time divided by them; the first epoch includes compilation), and for
        classifiers ``train_acc``, ``test_acc``; for regressors ``train_mse``, ``test_mse`` (in
        the original target units when the dataset has a ``target_standardizer``) and ``test_r2``
        (1 - SSE/SST over the test set). With validation data the same metrics of it appear as
        ``val_*``; with a schedule, ``lr`` is the rate each epoch trained with.
      best_epoch, stopped_epoch: set by early stopping (the best epoch of the monitored metric;
        the epoch training stopped after, None when it ran to the end).
      interrupted: True when Ctrl-C stopped the run (the result of the ``KeyboardInterrupt``).
      calls: the compiled calls the run took (each runs several epochs; the first one compiles).
    """

    state: TrainState
    history: dict[str, list[float]]
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    interrupted: bool = False
    calls: int = 0

    def __repr__(self) -> str:
        epochs = max((len(v) for v in self.history.values()), default=0)
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if k != "epoch_time" and v)
        extra = "" if self.stopped_epoch is None else f", stopped after epoch {self.stopped_epoch}"
        extra += "" if self.best_epoch is None else f", best epoch {self.best_epoch}"
        return f"FitResult({epochs} epochs{extra}: {last})"


class _FitEngine:
    """One model's compiled call (:func:`~jaxdl.train._program.fit_call`) and how to read it."""

    def __init__(
        self,
        spec: CallSpec,
        arrays: tuple,
        scale: Scale | None,
        keys: tuple[str, ...],
        public_tx: Any,
        lr_at_epoch: Callable | None,
    ) -> None:
        self.spec, self.arrays, self.scale, self.keys = spec, arrays, scale, keys
        self.public_tx, self.lr_at_epoch = public_tx, lr_at_epoch

    def dispatch(self, state: Any, carries: Any, first: int, n: int) -> tuple[Any, Any, Any]:
        state, carries, outputs = fit_call(
            state, carries, self.arrays, self.scale, np.int32(first), np.int32(n), spec=self.spec
        )
        return state, carries, (first, outputs)

    def read(self, outputs: Any) -> tuple[list[Row], BaseException | None]:
        first, outputs = outputs
        host = jax.device_get(outputs)
        rows: list[Row] = []
        for i in range(int(np.sum(host["ran"]))):
            epoch = first + i
            if host["nonfinite_step"][i] >= 0:
                return rows, nonfinite_error(epoch, int(host["nonfinite_step"][i]))
            row = {k: float(host["row"][k][i]) for k in self.keys}
            if "lr" in host:
                row["lr"] = float(host["lr"][i])
            elif self.lr_at_epoch is not None:
                row["lr"] = self.lr_at_epoch(epoch - 1)
            rows.append(row)
        return rows, None

    def public(self, tree: Any) -> Any:
        """``tree`` with each state's optimizer as it was given (its float arguments back from the state)."""
        if self.public_tx is None:
            return tree
        return jax.tree.map(
            lambda s: (
                s.replace(tx=self.public_tx, opt_state=cast(optim.HyperparamState, s.opt_state).inner)
                if isinstance(s, TrainState)
                else s
            ),
            tree,
            is_leaf=lambda s: isinstance(s, TrainState),
        )


def _lift(state: TrainState) -> tuple[TrainState, Any]:
    """``state`` with its optimizer's float arguments in the optimizer state, and the optimizer as given.

    The compiled call then serves a later ``fit`` that differs only in ``lr``, ``momentum``,
    ``weight_decay``, ... (see :func:`jaxdl.optim.float_args_as_arrays`). Callbacks and the
    result get the state back as the optimizer made it (None: nothing was lifted).
    """
    lifted = optim.float_args_as_arrays(state.tx)
    if lifted is None:
        return state, None
    return state.replace(tx=lifted.tx, opt_state=lifted.wrap(state.opt_state)), state.tx


def fit(
    model: nn.Module,
    data: Dataset,
    *,
    optimizer: OptimizerArg,
    epochs: int,
    batch_size: int,
    loss: str | Callable[..., jax.Array] | None = None,
    seed: int = 0,
    schedule: LrSchedule | None = None,
    transform: Transform | None = None,
    eval_transform: Transform | None = None,
    validation_split: float | None = None,
    initial: Progress | SavedRun | None = None,
    mesh: Mesh | None = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
) -> FitResult:
    """Train ``model`` on ``data.train`` for ``epochs`` shuffled epochs, evaluating on ``data.test``.

    Epochs run in compiled calls of several epochs each (the history is the same as one epoch
    per call); the first call compiles, the others reuse the program, and so does a later
    ``fit`` of an equal model that differs only in numbers (``lr``, ``momentum``, a schedule's
    arguments). ``seed`` fixes the init, the shuffling and dropout.

    Args:
      model: any ``flax.linen`` module: its task comes from ``model.task`` or the data.
      data: a :class:`jaxdl.data.Dataset`: ``train`` (N, ...), ``test``, and ``val`` when it has one.
      optimizer: an optax transformation (e.g. ``jaxdl.optim.sgd(lr=0.1)``); with ``schedule``,
        a function of the rate (``functools.partial(jaxdl.optim.sgd, momentum=0.9)``).
      epochs: epochs of the whole run (counting those of ``initial``).
      batch_size: examples per step; the last partial batch is padded and masked.
      loss: a name (``"cross_entropy"``, ``"mse"``, ...), a function like :func:`jaxdl.losses.mse`,
        or None for the model's default.
      seed: the run's seed (0 <= seed < 2**63).
      schedule: a :mod:`jaxdl.schedules` schedule, stepped after each epoch as PyTorch's loop
        steps ``scheduler.step()`` (after each optimizer step: :func:`jaxdl.schedules.per_step`),
        or :func:`jaxdl.schedules.reduce_lr_on_plateau`, stepped after each epoch with
        ``val_loss`` when there is validation data, else with ``test_loss``. The history gains
        ``lr``, the rate each epoch trained with.
      transform: augments training batches inside the compiled epoch (:mod:`jaxdl.transforms`).
      eval_transform: what test and validation batches get; by default the deterministic part
        of ``transform`` (its resize and normalize, not its random flips).
      validation_split: hold out this fraction of the training data as ``data.val`` (the same as
        ``fit(model, jaxdl.data.split(data, val=0.1, seed=seed))``): the history gains ``val_*``.
      initial: a previous ``FitResult``, or the ``SavedRun`` of :func:`jaxdl.checkpoint.load_run`
        (e.g. written by :class:`jaxdl.callbacks.Checkpoint`), to continue: the epochs it has
        are skipped and ``seed`` is not used (the state carries its key), so k epochs, then the
        rest from the result, give bit-identical parameters and history.
      mesh: a device mesh (:func:`jaxdl.parallel.make_mesh`): data-parallel training, each batch
        split over its devices (``batch_size`` must divide by their number), the same numbers
        up to float rounding.
      callbacks: :class:`jaxdl.callbacks.Callback` instances: :class:`~jaxdl.callbacks.EarlyStopping`,
        :class:`~jaxdl.callbacks.Checkpoint`, :class:`~jaxdl.callbacks.CSVLogger`,
        :class:`~jaxdl.callbacks.TensorBoard`, :class:`~jaxdl.callbacks.LivePlot`,
        :class:`~jaxdl.callbacks.LossLimit`, :class:`~jaxdl.callbacks.LambdaCallback`, your own.
      verbose: 0 silent; 1 a progress bar (a widget in Jupyter, plain lines in a log); 2 plain lines.

    Returns:
      A :class:`FitResult`. Ctrl-C raises ``KeyboardInterrupt`` after every finished epoch was
      recorded; its ``result`` attribute holds the run so far.

    Raises:
      ConfigError: bad arguments or a model that does not fit the data.
      DivergenceError: the loss became NaN/inf (the message names the epoch and step), or a
        :class:`~jaxdl.callbacks.LossLimit` was passed.

    >>> from jaxdl import data, models, optim
    >>> r = fit(models.SoftmaxRegression(10), data.load("digits"), optimizer=optim.sgd(lr=0.5),
    ...         epochs=2, batch_size=64, verbose=0)
    >>> len(r.history["test_acc"])
    2
    """
    data = with_validation_split("fit", data, validation_split, seed)
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
    check_seed("fit", seed)
    (X, y), (X_test, y_test) = data.train, data.test
    val = getattr(data, "val", None)
    steps = ceil_div(int(X.shape[0]), batch_size)
    lr_plan = plan(optimizer, schedule, steps_per_epoch=steps, epochs=epochs)
    if mesh is not None:
        parallel.check_batch_split(batch_size, mesh)
    cbs = CallbackList(callbacks, where="fit", verbose=verbose)
    if initial is None:
        state = own_buffers(create_train_state(model, lr_plan.optimizer, sample, key=seed_key(seed)))
        history, first = {}, 1
    else:
        state, history, first = resume_point(initial, model, lr_plan.optimizer, sample, epochs=epochs)
    monitor = "val_loss" if val is not None else "test_loss"
    scale, r2 = scale_of(regression, val)
    keys = row_keys(objective, has_val=val is not None, r2=r2)
    has_lr = lr_plan.plateau is not None or lr_plan.lr_at_epoch is not None
    info = TrainInfo(
        total_epochs=epochs,
        first_epoch=first,
        steps_per_epoch=steps,
        label="fit",
        metrics=(*keys, *(["lr"] if has_lr else []), "epoch_time"),
    )
    cbs.on_train_begin(info)
    hooked = cbs.hooks()
    state, public_tx = _lift(state)
    plateau = replay_plateau(lr_plan.plateau, history, monitor) if lr_plan.plateau else None
    carries = (safe_copy(tuple(hook.init(state) for _, hook in hooked)), plateau)
    arrays = ((X, y), (X_test, y_test)) + ((tuple(val),) if val is not None else ())
    batch_sharding = None
    if mesh is not None:
        state, carries, arrays = parallel.replicate((state, carries, arrays), mesh)
        batch_sharding = parallel.data_sharding(mesh)
    spec = CallSpec(
        batch_size=batch_size,
        objective=objective,
        transform=transform,
        eval_transform=eval_transform,
        batch_sharding=batch_sharding,
        hooks=tuple(hook for _, hook in hooked),
        plateau=lr_plan.plateau,
        monitor=monitor,
        r2=r2,
    )
    engine = _FitEngine(spec, arrays, scale, keys, public_tx, lr_plan.lr_at_epoch)
    loop = Loop(engine, cbs, [cb for cb, _ in hooked], first=first, epochs=epochs, history=history)

    def make_result(state: Any, history: dict, *, interrupted: bool) -> FitResult:
        return FitResult(state=engine.public(state), history=history, interrupted=interrupted, calls=loop.calls)

    result = loop.run(state, carries, make_result)
    stopper = _deciding_stopper(cbs)
    if stopper is not None:
        result.best_epoch, result.stopped_epoch = stopper.best_epoch, stopper.stopped_epoch
        if stopper.restore_best and stopper.best_state is not None:
            result.state = stopper.best_state
    try:
        cbs.on_train_end(result)
    except BaseException:
        cbs.close()
        raise
    return result


def _deciding_stopper(callbacks: CallbackList) -> EarlyStopping | None:
    """The early stopper that decides the result: the one that stopped, else the first one."""
    stoppers = [cb for cb in callbacks if isinstance(cb, EarlyStopping)]
    stopped = [cb for cb in stoppers if cb.stopped_epoch is not None]
    return (stopped or stoppers or [None])[0]
