"""``Checkpoint``: save the run as it trains, atomically, to resume it exactly (Keras's ``BackupAndRestore``)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jaxdl import _checks, _signals, checkpoint
from jaxdl.callbacks._callback import Callback, TrainInfo
from jaxdl.errors import ConfigError


class Checkpoint(Callback):
    """Save state, config and history to one checksummed file while ``fit`` trains.

    The file (:func:`jaxdl.checkpoint.save_run`) is replaced atomically, with Ctrl-C and SIGTERM
    held while it is written, so it always holds one whole epoch. It is written

    - every ``every_epochs`` epochs (each such epoch ends a compiled call), and/or
    - at the first epoch that ends ``every_seconds`` or more after the last save, and
    - when the run ends: at its last epoch, after an early stop, and after Ctrl-C (then with
      the state after the last finished epoch).

    Resume with ``fit(..., initial=jaxdl.checkpoint.load_run(path))``: training k epochs, then
    the rest from the file, gives the same parameters and history as one run.

    Args:
      path: the checkpoint file (its folder is created when the first save happens).
      config: JSON values saved with the run (e.g. the settings it was trained with).
      every_epochs: save after every this many epochs (None: not by epoch).
      every_seconds: save once this many seconds have passed since the last save (None: not by time).

    Attributes:
      history: the history in the file on disk (None before the first save).

    >>> import os, tempfile
    >>> from jaxdl import data, models, optim
    >>> from jaxdl.train import fit
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saver = Checkpoint(os.path.join(folder, "run.ckpt"), every_epochs=2)
    ...     r = fit(models.SoftmaxRegression(10), data.load("digits"), optimizer=optim.sgd(lr=0.5), epochs=3,
    ...             batch_size=256, verbose=0, callbacks=[saver])
    ...     saver.epochs_saved
    3
    """

    can_stop = False

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        config: Mapping[str, Any] | None = None,
        every_epochs: int | None = None,
        every_seconds: float | None = 60.0,
    ) -> None:
        where = "Checkpoint"
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise _checks.fail(where, "path", path, "a file path such as 'runs/run.ckpt'")
        self.path = Path(path)
        if self.path.is_dir():
            raise _checks.fail(
                where,
                "path",
                str(self.path),
                "a file path (one inside that folder)",
                got=f"the folder {str(self.path)!r}",
            )
        self.config = dict(config or {})
        self.every_epochs = None if every_epochs is None else _checks.positive_int(where, "every_epochs", every_epochs)
        self.every_seconds = (
            None if every_seconds is None else _checks.number(where, "every_seconds", every_seconds, low=0.0)
        )
        self.history: dict[str, list[float]] | None = None
        self._last_epoch = 0
        self._last_save = 0.0
        self._prepared = False

    @property
    def epochs_saved(self) -> int:
        """Epochs in the file on disk (0 before the first save)."""
        return 0 if self.history is None else max((len(v) for v in self.history.values()), default=0)

    def on_train_begin(self, info: TrainInfo) -> None:
        """Start the clock of ``every_seconds``; refuse trainers of many runs."""
        if info.runs:
            raise _checks.one_run_only(info.label, self)
        self._last_epoch = info.total_epochs
        self._last_save = time.monotonic()

    def wants_state(self, epoch: int) -> bool:
        """The last epoch, every ``every_epochs``-th, and the first one due by ``every_seconds``."""
        if epoch == self._last_epoch or (self.every_epochs is not None and epoch % self.every_epochs == 0):
            return True
        return self.every_seconds is not None and time.monotonic() - self._last_save >= self.every_seconds

    def on_epoch_end(self, epoch: int, row: Mapping[str, Any], state: Any, history: Mapping[str, list]) -> None:
        """Save when the trainer handed over the state of this epoch."""
        del epoch, row
        if state is not None:
            self.save(state, history)

    def on_train_end(self, result: Any) -> None:
        """Save the run's final state (the best one after an early stop that restored it), unless already saved."""
        if result is None or result.state is None:
            return
        history = result.history
        done = max((len(v) for v in history.values()), default=0)
        if done != self.epochs_saved or getattr(result, "stopped_epoch", None) is not None:
            self.save(result.state, history)

    def prepare(self) -> None:
        """Make the folder and remove temporary files of killed saves; called before the first save."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        checkpoint.remove_partial_writes(self.path.parent)

    def save(self, state: Any, history: Mapping[str, list]) -> None:
        """Write ``state`` and ``history`` now (atomically; Ctrl-C and SIGTERM wait until it is done)."""
        copied = {k: list(v) for k, v in history.items()}
        with _signals.held():
            try:
                if not self._prepared:
                    self.prepare()
                    self._prepared = True
                checkpoint.save_run(self.path, state, config=self.config, history=copied)
            except OSError as err:
                raise ConfigError(f"Checkpoint: cannot write {str(self.path)!r} ({err.strerror or err}).") from None
            self.history = copied
        self._last_save = time.monotonic()
