"""The run folder of ``jaxdl train``: checkpoints as it goes, ``--resume``, and clean stops.

While a run trains, ``--out`` holds one file, ``checkpoint``: the state, config and history
after the last checkpointed epoch, replaced atomically (see :func:`jaxdl.checkpoint.save_run`).
``metrics.json``, ``timing.json`` and ``curves.png`` appear when the run ends (or on Ctrl-C),
all from the same epoch, so the folder never holds half-written or mismatched files. Nothing
in ``--out`` changes before the first checkpoint of the new run is ready to be written.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import threading
from collections.abc import Iterator

import numpy as np

from jaxdl import checkpoint
from jaxdl.cli import args as types
from jaxdl.cli.signals import Terminated
from jaxdl.data import Dataset
from jaxdl.errors import ConfigError
from jaxdl.train import FitResult
from jaxdl.train.resume import epochs_done

CHECKPOINT = "checkpoint"
OUTPUTS = ("metrics.json", "metrics.csv", "timing.json", "curves.png")
RUN_OPTIONS = {"resume", "checkpoint_every", "given", "out", "overwrite", "tensorboard"}
"""Options that say how to run, not what to train: never part of a run's saved config."""
MAY_CHANGE = {"epochs", "data_dir"}
"""Saved settings ``--resume`` lets the user change: train longer, find the data elsewhere."""
CHECKPOINTS_PER_RUN = 50
DIVERGENCE_FACTOR = 1000.0


def checkpoint_every(epochs: int, every: int | None) -> int:
    """Epochs between checkpoints: ``every``, or by default about 50 checkpoints per run."""
    return every if every is not None else max(1, epochs // CHECKPOINTS_PER_RUN)


def max_loss_for(ds: Dataset) -> float | None:
    """The training loss above which ``jaxdl train`` calls a run diverged.

    1000 times the loss of a model that knows nothing: ``ln(num_classes)`` (cross-entropy of
    a uniform guess) for classifiers, the variance of the training targets (MSE of
    predicting their mean) for regressors; ``None`` when that is 0.
    """
    if ds.num_classes is not None:
        return DIVERGENCE_FACTOR * math.log(ds.num_classes) if ds.num_classes > 1 else None
    y = np.asarray(ds.train[1], np.float64)
    variance = float(np.square(y - y.mean(axis=0)).mean())
    return DIVERGENCE_FACTOR * variance if variance > 0 else None


def flag(dest: str) -> str:
    """The option of an argparse ``dest``: ``batch_norm`` -> ``--batch-norm``."""
    return "--" + dest.replace("_", "-")


def _as_config(value):
    return list(value) if isinstance(value, tuple) else value


def load_saved(folder: str) -> checkpoint.SavedRun:
    """The run saved in ``folder`` by ``jaxdl train``, for ``--resume folder``."""
    path = os.path.join(folder, CHECKPOINT)
    if not os.path.isfile(path):
        raise ConfigError(
            f"--resume {folder!r}: no {CHECKPOINT} file there; expected the --out folder of an earlier jaxdl train run."
        )
    return checkpoint.load_run(path)


def resumed_args(args: argparse.Namespace, saved: checkpoint.SavedRun, folder: str) -> argparse.Namespace:
    """``args`` with the saved run's settings; options typed now must agree with them.

    Only ``--epochs`` (to train longer) and ``--data-dir`` (the data moved) may differ.

    Raises:
      ConfigError: listing every typed option that differs from the saved run.
    """
    typed = types.given(args) - (RUN_OPTIONS - {"out"})
    conflicts = []
    for dest in sorted(typed - MAY_CHANGE - {"out"}):
        value = _as_config(getattr(args, dest))
        if dest not in saved.config:
            conflicts.append(f"{flag(dest)} {value!r} (not a setting of the saved run)")
        elif value != saved.config[dest]:
            conflicts.append(f"{flag(dest)} {value!r} (saved: {saved.config[dest]!r})")
    if "out" in typed and os.path.abspath(args.out) != os.path.abspath(folder):
        conflicts.append(f"--out {args.out!r} (a resumed run writes into {folder!r})")
    if conflicts:
        raise ConfigError(
            f"--resume {folder!r} continues that run with its saved settings, but you gave "
            f"{'; '.join(conflicts)}: leave those out, or start a new run with another --out."
        )
    merged = dict(vars(args))
    merged.update({k: tuple(v) if isinstance(v, list) else v for k, v in saved.config.items() if k not in typed})
    merged["out"] = folder
    done = saved.epochs_done
    if merged["epochs"] < done:
        raise ConfigError(
            f"--epochs {merged['epochs']}: the run in {folder!r} has already done {done} epochs; "
            f"expected --epochs >= {done}."
        )
    return argparse.Namespace(**merged)


def prepare(out: str, *, fresh: bool) -> None:
    """Create ``out`` and remove what a new chunk of training makes stale.

    The result files always go (they are rewritten at the end); a fresh run also removes
    an earlier run's checkpoint; temporary files of a killed save go in any case.
    """
    os.makedirs(out, exist_ok=True)
    checkpoint.remove_partial_writes(out)
    stale = OUTPUTS + ((CHECKPOINT,) if fresh else ())
    for name in stale:
        path = os.path.join(out, name)
        if os.path.isfile(path):
            os.unlink(path)


class RunFolder:
    """Writes a run's checkpoint into ``out`` every ``every`` epochs and after the last one.

    Pass :meth:`save_epoch` as ``fit(..., on_epoch_end=...)``. :attr:`history` is the
    history of the checkpoint on disk (``None`` before the first).
    """

    def __init__(
        self, out: str, config: dict, *, epochs: int, every: int, history: dict[str, list[float]] | None = None
    ) -> None:
        self.out, self.path = out, os.path.join(out, CHECKPOINT)
        self.config, self.epochs, self.every = config, epochs, every
        self.history = history
        self._fresh, self._prepared = history is None, False

    @property
    def epochs_saved(self) -> int:
        """Epochs in the checkpoint on disk (0 before the first)."""
        return 0 if self.history is None else epochs_done(self.history)

    def save_epoch(self, result: FitResult) -> None:
        """Save ``result`` atomically if its epoch is a multiple of ``every`` or the last one."""
        done = epochs_done(result.history)
        if done % self.every and done != self.epochs:
            return
        self.save_final(result)

    def save_final(self, result: FitResult) -> None:
        """Save ``result`` atomically whatever its epoch (a run that stopped early ends here)."""
        history = {k: list(v) for k, v in result.history.items()}
        with _interrupt_held():
            try:
                if not self._prepared:
                    prepare(self.out, fresh=self._fresh)
                    self._prepared = True
                checkpoint.save_run(self.path, result.state, config=self.config, history=history)
            except OSError as err:
                raise ConfigError(f"--out {self.out!r}: cannot write the checkpoint ({err.strerror or err}).") from None
            self.history = history


@contextlib.contextmanager
def _interrupt_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, so :attr:`RunFolder.history` always matches the file on disk."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    first = previous[signal.Signals(caught[0])] if caught else None
    if callable(first):
        first(caught[0], None)


def divergence_message(err: Exception, folder: RunFolder) -> str:
    """One line for a diverged run: what happened and which checkpoint was kept."""
    why = (
        ""
        if getattr(err, "step", None) is not None
        else (f" jaxdl train sets max_loss to {DIVERGENCE_FACTOR:g} x the loss of a model that knows nothing.")
    )
    if folder.history is None:
        kept = "No checkpoint of this run was written: no epoch before it finished cleanly."
    else:
        kept = f"The last good checkpoint, after epoch {folder.epochs_saved}, is kept in {folder.path}."
    return f"{err}{why} {kept}"


def interrupted_message(folder: RunFolder, out: str, stop: KeyboardInterrupt | None = None) -> str:
    """One line for Ctrl-C (or SIGTERM, when ``stop`` is :class:`~jaxdl.cli.signals.Terminated`)."""
    what = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
    if folder.history is None:
        return f"{what} before the first checkpoint; nothing was written."
    return (
        f"{what}; metrics.json, metrics.csv, timing.json and curves.png hold the {folder.epochs_saved} epochs of "
        f"the checkpoint. Continue with: jaxdl train --resume {out}"
    )
