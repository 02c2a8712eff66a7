"""``TensorBoard(log_dir)``: torch's ``SummaryWriter`` for ``fit``/``fit_many``, without TensorFlow (tensorboardX)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from jaxdl._checks import fail
from jaxdl._install import pip_install
from jaxdl.callbacks._callback import Callback, TrainInfo
from jaxdl.errors import ConfigError

EVENTS_PREFIX = "events.out.tfevents"
SPLITS = ("train", "val", "test")


def scalar_tag(key: str) -> str:
    """The TensorBoard tag of a history key: ``train_loss`` -> ``loss/train``, so splits share a section.

    >>> scalar_tag("val_acc"), scalar_tag("lr")
    ('acc/val', 'lr')
    """
    split, _, metric = key.partition("_")
    return f"{metric}/{split}" if split in SPLITS and metric else key


def run_name(run: Mapping[str, Any]) -> str:
    """A folder name for one run of ``fit_many`` from its hyperparameters, e.g. ``lr=0.1,seed=0``.

    >>> run_name({"seed": 0, "lr": 0.1, "momentum": 0.9})
    'lr=0.1,momentum=0.9,seed=0'
    """
    parts = [f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}" for key, value in sorted(run.items())]
    return ",".join(parts).replace(os.sep, "_") or "run"


def _writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ConfigError(
            f"TensorBoard needs tensorboardX (no TensorFlow needed): {pip_install('tensorboard')}."
        ) from None
    return SummaryWriter


def _event_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"{EVENTS_PREFIX}*")) if folder.is_dir() else []


class TensorBoard(Callback):
    """Write each epoch's history row as TensorBoard scalars (``tensorboard --logdir LOG_DIR``).

    One run per folder: ``fit`` writes into ``log_dir``; ``fit_many`` writes one sub-folder per
    run named by its hyperparameters (``lr=0.1,seed=0``), so TensorBoard lists the runs side by
    side. Tags group the splits: ``loss/train``, ``loss/val``, ``loss/test``, ``acc/...``, ``lr``;
    the step is the epoch (from 1). A ``log_dir`` that already holds event files is refused
    before training (runs would mix) unless ``overwrite=True``, which deletes those files.

    Needs the optional ``tensorboardX`` package: ``pip install "jaxdl-course[tensorboard]"``.

    Args:
      log_dir: the folder for the event files (created if missing).
      overwrite: delete event files already in ``log_dir`` instead of refusing.

    >>> TensorBoard("runs/tb").log_dir.name          # nothing is written before training
    'tb'
    """

    can_stop: bool = False

    def __init__(self, log_dir: str | os.PathLike, *, overwrite: bool = False) -> None:
        if not isinstance(log_dir, (str, os.PathLike)) or not os.fspath(log_dir):
            raise fail("TensorBoard", "log_dir", log_dir, "a folder path, e.g. 'runs/tb'")
        self.log_dir = Path(log_dir)
        if self.log_dir.exists() and not self.log_dir.is_dir():
            raise fail("TensorBoard", "log_dir", str(self.log_dir), "a folder", got=f"the file {str(self.log_dir)!r}")
        self.overwrite = bool(overwrite)
        self._writer_class = _writer_class()
        self._writer = None

    def on_train_begin(self, info: TrainInfo) -> None:
        """Refuse a folder that holds an earlier run's events (unless ``overwrite``); open the writer."""
        del info
        old = _event_files(self.log_dir)
        if old and not self.overwrite:
            raise fail(
                "TensorBoard",
                "log_dir",
                str(self.log_dir),
                "a folder of its own (one run per folder), or pass overwrite=True",
                got=f"{str(self.log_dir)!r}, which holds {len(old)} event file(s) of another run",
            )
        for path in old:
            path.unlink()
        self._writer = None

    def _open(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        return self._writer_class(logdir=str(folder))

    def on_epoch_end(self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]) -> None:
        """Write ``row``'s scalars at step ``epoch`` (rows of ``fit_many``, arrays per run, wait for the end)."""
        del state, history
        if any(np.ndim(value) for value in row.values()):
            return
        if self._writer is None:
            self._writer = self._open(self.log_dir)
        for key, value in row.items():
            self._writer.add_scalar(scalar_tag(key), float(value), epoch)

    def on_train_end(self, result: Any) -> None:
        """Flush and close; for a ``fit_many`` result write each run's history into its own folder."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        runs = getattr(result, "runs", None)
        if runs is None:
            return
        for index, run in enumerate(runs):
            writer = self._open(self.log_dir / run_name(run))
            for key, values in result.history.items():
                for epoch, value in enumerate(np.asarray(values)[index], start=1):
                    writer.add_scalar(scalar_tag(key), float(value), epoch)
            writer.close()
