"""``train_and_evaluate``: what ``jaxdl train`` does, as one library call.

While a run trains, its folder holds one file, ``checkpoint``: the state, config and history after the
last checkpointed epoch, replaced atomically (see :func:`jaxdl.checkpoint.save_run`). ``metrics.json``,
``metrics.csv``, ``timing.json`` and ``curves.png`` appear when the run ends (or on Ctrl-C), all from the
same epoch, so the folder never holds half-written or mismatched files. Nothing in it changes before the
first checkpoint of the new run is ready to be written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import os
import sys
import threading
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl import _signals, checkpoint, data, models, optim, parallel, schedules
from jaxdl.callbacks import Callback, Checkpoint, EarlyStopping, LossLimit, ProgressBar, TensorBoard
from jaxdl.errors import ConfigError, DivergenceError
from jaxdl.experiments import _outputs, _rundir
from jaxdl.experiments._config import TrainConfig
from jaxdl.experiments._devices import mesh_for, placed
from jaxdl.experiments._outputs import write_csv, write_json
from jaxdl.experiments._phases import PhaseClock
from jaxdl.experiments._summary import summary_table
from jaxdl.train import FitResult, check_fit_args, fit

CHECKPOINT_SECONDS = 60.0
"""``jaxdl train`` writes its checkpoint at the first epoch this long after the last one, and at the end."""
DIVERGENCE_FACTOR = 1000.0


def max_loss_for(ds: data.Dataset) -> float | None:
    """The training loss above which a run counts as diverged.

    1000 times the loss of a model that knows nothing: ``ln(num_classes)`` (cross-entropy of
    a uniform guess) for classifiers, the variance of the training targets (MSE of
    predicting their mean) for regressors; ``None`` when that is 0.
    """
    if ds.num_classes is not None:
        return DIVERGENCE_FACTOR * math.log(ds.num_classes) if ds.num_classes > 1 else None
    y = np.asarray(ds.train[1], np.float64)
    variance = float(np.square(y - y.mean(axis=0)).mean())
    return DIVERGENCE_FACTOR * variance if variance > 0 else None


class RunFolder(Checkpoint):
    """The checkpoint of a run in ``out``: every ``every`` epochs (None: once :data:`CHECKPOINT_SECONDS` have
    passed since the last one), at the end and on Ctrl-C.

    A :class:`jaxdl.callbacks.Checkpoint` whose first save also removes what the new run makes stale
    in the folder (the old outputs; an earlier run's checkpoint unless it is resumed).
    """

    def __init__(
        self,
        out: str,
        config: dict,
        *,
        every: int | None,
        history: dict[str, list[float]] | None = None,
        clock: PhaseClock | None = None,
    ) -> None:
        every_seconds = CHECKPOINT_SECONDS if every is None else None
        super().__init__(
            os.path.join(out, _rundir.CHECKPOINT), config=config, every_epochs=every, every_seconds=every_seconds
        )
        self.out, self.history, self._fresh, self.clock = out, history, history is None, clock

    def save(self, state: Any, history: Any) -> None:
        """Write the checkpoint (see :meth:`Checkpoint.save`), its seconds counted as the ``checkpoints`` phase."""
        start = time.perf_counter()
        super().save(state, history)
        if self.clock is not None:
            self.clock.add("checkpoints", time.perf_counter() - start)

    def prepare(self) -> None:
        """Create ``out``; remove the old outputs, a killed save's temporary files and, for a new run, the old
        checkpoint."""
        try:
            os.makedirs(self.out, exist_ok=True)
            checkpoint.remove_partial_writes(self.out)
            for name in _rundir.RUN_FILES:
                path = os.path.join(self.out, name)
                if os.path.isfile(path) and (self._fresh or name != _rundir.CHECKPOINT):
                    os.unlink(path)
        except OSError as err:
            raise ConfigError(f"--out {self.out!r}: cannot write the checkpoint ({err.strerror or err}).") from None

    def kept(self, stop: KeyboardInterrupt) -> str:
        """One line for Ctrl-C (or SIGTERM): what the folder holds and how to continue."""
        what = _signals.stopped_by(stop)
        if self.history is None:
            return f"{what} before the first checkpoint; nothing was written."
        return (
            f"{what}; metrics.json, metrics.csv, timing.json and curves.png hold the {self.epochs_saved} epochs of "
            f"the checkpoint. Continue with: jaxdl train --resume {self.out}"
        )

    def kept_after(self, err: DivergenceError) -> str:
        """What a diverged run leaves: which checkpoint was kept (and why training stopped, for a loss limit)."""
        why = (
            ""
            if err.step is not None
            else f"jaxdl train sets max_loss to {DIVERGENCE_FACTOR:g} x the loss of a model that knows nothing. "
        )
        epoch = err.epoch or 1
        if self.history is None and epoch == 1:
            return f"{why}No checkpoint of this run was written: no epoch before it finished cleanly."
        if self.history is None:
            done = "epoch 1" if epoch == 2 else f"epochs 1-{epoch - 1}"
            return (
                f"{why}No checkpoint of this run was written: {done} finished cleanly before the first save "
                "(once a minute; --checkpoint-every K saves every K epochs)."
            )
        return f"{why}The last good checkpoint, after epoch {self.epochs_saved}, is kept in {self.path}."


class _PlotsInBackground(Callback):
    """Prepares matplotlib (:func:`~jaxdl.experiments._outputs.prepare_plots`) in a background thread from
    the end of the first compiled call on, while the device trains: not during the init and the compile,
    whose tracing needs the interpreter too."""

    can_stop = False

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    def on_epoch_end(self, epoch: int, row: Any, state: Any, history: Any) -> None:
        """Start the thread after the first call's epochs."""
        del epoch, row, state, history
        if self.thread is None:
            self.thread = _outputs.prepare_plots()

    def join(self) -> None:
        """Wait until matplotlib is ready (at once when the thread never started)."""
        if self.thread is not None:
            self.thread.join()


def _optimizer(config: TrainConfig, plain: Any) -> dict[str, Any]:
    """``fit``'s ``optimizer`` (and ``schedule``) arguments; ``plain`` is the optimizer at the fixed ``lr``."""
    if config.scheduler is None and not config.warmup_epochs:
        return {"optimizer": plain}
    return {
        "optimizer": functools.partial(optim.by_name, config.optimizer, **config.optimizer_args),
        "schedule": config.build_schedule(config.lr),
    }


def _check_resumable(config: TrainConfig, saved: checkpoint.SavedRun, out: str) -> None:
    """The saved run's settings must be ``config``'s, apart from those that may change."""
    may_change = {f.name for f in dataclasses.fields(TrainConfig) if f.metadata.get("may_change")}
    mine = config.to_dict()
    differ = [
        f"{name}={mine[name]!r} (saved: {value!r})"
        for name, value in sorted(saved.config.items())
        if name in mine and name not in may_change and mine[name] != value
    ]
    if differ:
        raise ConfigError(
            f"train_and_evaluate: resume continues the run in {out!r} with its saved config, but config has "
            f"{'; '.join(differ)}: start from TrainConfig.from_dict(jaxdl.checkpoint.load_run(path).config)."
        )


def _write_outputs(
    out: str,
    config: TrainConfig,
    ds: data.Dataset,
    history: dict[str, list[float]],
    calls: int | None = None,
    *,
    clock: PhaseClock | None = None,
) -> None:
    """Write metrics.json, metrics.csv, timing.json (each epoch's seconds, the compiled calls and the seconds
    per phase when known) and curves.png into ``out`` at once; SIGINT and SIGTERM wait (the run has already
    decided to stop). A failed write (a full disk) leaves none of them and is one :class:`ConfigError` line."""
    from jaxdl.plots import plot_history

    metrics = {k: v for k, v in history.items() if k != "epoch_time"}
    try:
        with _signals.held(deliver=False), _rundir.staged(out) as stage:
            write_json(os.path.join(stage, "metrics.json"), {"config": config.to_dict(), "history": metrics})
            write_csv(os.path.join(stage, "metrics.csv"), metrics)
            figure = plot_history(history, title=f"{config.model} on {ds.name}")
            figure.savefig(os.path.join(stage, "curves.png"), dpi=100)
            timing: dict[str, Any] = {"epoch_time": history["epoch_time"]}
            if calls is not None:
                timing["calls"] = calls
            if clock is not None:
                clock.lap("outputs")
                timing["phases"] = clock.table()
            write_json(os.path.join(stage, "timing.json"), timing)
    except OSError as err:
        raise ConfigError(
            f"cannot write the outputs to {out!r} ({err.strerror or err}); nothing half-written is left and the "
            f"checkpoint of the {len(metrics[next(iter(metrics))])} epochs is kept: make room, then write them "
            f"with jaxdl train --resume {out}"
        ) from None


def _print_model(model: Any, ds: data.Dataset, transform: Any) -> None:
    """The model's layers and parameter counts (``jaxdl.models.summary``) for the inputs it sees."""
    shape = tuple(ds.input_shape)
    if transform is not None:
        sample = jax.ShapeDtypeStruct((1, *shape), jnp.float32)
        shape = jax.eval_shape(lambda x: transform(x, key=None), sample).shape[1:]
    print(models.summary(model, shape), flush=True)


def _print_result(config: TrainConfig, ds: data.Dataset, result: FitResult, out: str, resumed_after: int) -> None:
    """The summary table: final metrics (4 significant digits, so lr 1e-06 stays readable) and the times of
    this process's epochs (a run resumed after ``resumed_after`` epochs reports its own compile)."""
    history = {k: v for k, v in result.history.items() if k != "epoch_time"}
    times = result.history["epoch_time"][resumed_after:]
    rows = [(k, f"{v[-1]:.4g}") for k, v in history.items()]
    if result.stopped_epoch is not None:
        rows.append(("early stop", f"epoch {result.stopped_epoch}, best epoch {result.best_epoch} kept"))
    if resumed_after:
        rows.append(("resumed after epoch", str(resumed_after)))
    if times:
        rows.append(("compile + first epoch (s)", f"{times[0]:.2f}"))
    if len(times) > 1:
        rows.append(("steady epoch, median (s)", f"{sorted(times[1:])[len(times[1:]) // 2]:.4f}"))
    rows.append(("outputs", out))
    summary_table(f"jaxdl train: {config.model} on {ds.name}, {config.epochs} epochs", rows)


def train_and_evaluate(
    config: TrainConfig,
    out: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    resume: bool = False,
    verbose: int = 1,
) -> FitResult:
    """Train as ``jaxdl train`` does: checkpoints as it goes, then metrics.json, metrics.csv, timing.json and
    curves.png in the run folder.

    The folder follows :func:`claim_run_folder`'s policy: ``out=None`` numbers ``runs/train``,
    ``runs/train-2``, ...; a folder holding a run is refused unless ``overwrite`` (or ``resume``). SIGTERM
    stops the run as Ctrl-C does; either keeps the last checkpoint, writes the outputs for its epochs and
    re-raises, its message saying what was kept. On several devices or hosts every process trains its part
    and process 0 writes the folder.

    Args:
      config: what to train (validated with :meth:`TrainConfig.checked`).
      out: the run folder; None for the next free ``runs/train``.
      overwrite: replace the run already in ``out``.
      resume: continue the run in ``out`` from its checkpoint; ``config`` must be its saved config apart
        from ``epochs`` (to train longer) and ``data_dir``, e.g.
        ``dataclasses.replace(TrainConfig.from_dict(jaxdl.checkpoint.load_run(path).config), epochs=600)``.
      verbose: 1 prints the run folder, the model's summary, progress and a summary table on stdout; 0 nothing.

    Returns:
      ``fit``'s :class:`~jaxdl.train.FitResult`.

    Raises:
      ConfigError: a bad config or folder (one line, nothing written).
      DivergenceError: the loss became NaN/inf or 1000 times that of a model that knows nothing; the last
        good checkpoint is kept (the message says which).
      KeyboardInterrupt: Ctrl-C, or :class:`Terminated` for SIGTERM.
    """
    clock = PhaseClock()
    with _signals.terminate_as_interrupt():
        mesh = mesh_for(config)
        config = config.checked()
        saved = None
        if resume:
            if out is None or overwrite:
                raise ConfigError("train_and_evaluate: resume=True continues the run in out: give out, not overwrite.")
            path = os.path.join(out, _rundir.CHECKPOINT)
            if not os.path.isfile(path):
                raise ConfigError(f"train_and_evaluate: no {_rundir.CHECKPOINT} in {os.fspath(out)!r} to resume.")
            saved = checkpoint.load_run(path)
            _check_resumable(config, saved, os.fspath(out))
        ds = data.load(config.dataset, data_dir=config.data_dir, seed=config.seed)
        model = config.build_model(ds)
        plain = optim.by_name(config.optimizer, lr=config.lr, **config.optimizer_args)
        transform = models.input_transform(config.model, ds.input_shape)
        check_fit_args(
            model, ds, optimizer=plain, epochs=config.epochs, batch_size=config.batch_size, transform=transform
        )
        optimizer = _optimizer(config, plain)
        train_data = placed(ds, mesh, config.shard_data, batch_size=config.batch_size)
        main = parallel.is_main_process()
        claim = (
            _rundir.claim_run_folder(
                out, kind="train", default=TrainConfig.default_out, overwrite=overwrite, resume=resume
            )
            if main
            else contextlib.nullcontext(os.fspath(out or TrainConfig.default_out))
        )
        with claim as folder:
            if main and overwrite:
                _rundir.clear_old_run(folder)
            if main and verbose:
                print(f"jaxdl train: run folder {folder}", flush=True)
                if config.scheduler is not None and schedules.resolve(config.scheduler)[0] == "ReduceLROnPlateau":
                    watched = (
                        "val_loss (the --val split)"
                        if config.val is not None
                        else "test_loss (add --val 0.1 to watch a validation split instead)"
                    )
                    print(f"jaxdl train: ReduceLROnPlateau watches {watched}", flush=True)
                _print_model(model, ds, transform)
            saver = RunFolder(
                folder,
                config.to_dict(),
                every=config.checkpoint_every,
                history=None if saved is None else saved.history,
                clock=clock,
            )
            max_loss = max_loss_for(ds)
            plots = _PlotsInBackground() if main else None
            callbacks = [
                clock,
                plots,
                ProgressBar(file=sys.stdout) if verbose else None,
                LossLimit(max_loss) if max_loss is not None else None,
                saver if main else None,
                EarlyStopping(monitor="val_loss", patience=config.early_stopping)
                if config.early_stopping is not None
                else None,
                TensorBoard(os.path.join(folder, "tensorboard")) if config.tensorboard else None,
            ]
            clock.lap("data")
            try:
                result = fit(
                    model,
                    train_data,
                    **optimizer,
                    epochs=config.epochs,
                    batch_size=config.batch_size,
                    seed=config.seed,
                    validation_split=config.val,
                    callbacks=[cb for cb in callbacks if cb is not None],
                    verbose=0,
                    transform=transform,
                    initial=saved,
                    mesh=mesh,
                )
            except DivergenceError as err:
                err.args = (f"{err} {saver.kept_after(err)}",)
                raise
            except KeyboardInterrupt as stop:
                with _signals.held(deliver=False):
                    if plots is not None:  # matplotlib must not be drawn in two threads at once
                        plots.join()
                    if main and saver.history is not None:
                        _write_outputs(folder, config, ds, saver.history)
                    stop.args = (saver.kept(stop),)
                raise
            clock.lap("training")
            if main:
                if plots is not None:
                    plots.join()
                _write_outputs(folder, config, ds, result.history, result.calls, clock=clock)
    if main and verbose:
        _print_result(config, ds, result, folder, 0 if saved is None else saved.epochs_done)
    return result
