"""``CSVLogger``: one CSV row per epoch, written as training goes (Keras's ``CSVLogger``)."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from jaxdl._checks import fail
from jaxdl.callbacks._callback import Callback, TrainInfo


class CSVLogger(Callback):
    """Append each epoch's history row to a CSV file and flush it, so a log survives a crash.

    The header is ``epoch`` and the row's keys; for ``fit_many`` and ``fit_one_vs_rest`` it is
    ``epoch,run,...`` with one line per run and epoch. ``append=True`` continues a file (a
    resumed run) instead of replacing it.

    >>> import os, pathlib, tempfile
    >>> from jaxdl.callbacks import TrainInfo
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     log = CSVLogger(os.path.join(folder, "log.csv"))
    ...     log.on_train_begin(TrainInfo(total_epochs=2, first_epoch=1, steps_per_epoch=1, label="fit"))
    ...     log.on_epoch_end(1, {"train_loss": 0.5}, None, {})
    ...     log.on_train_end(None)
    ...     print(pathlib.Path(folder, "log.csv").read_text(), end="")
    epoch,train_loss
    1,0.5
    """

    can_stop = False

    def __init__(self, path: str | os.PathLike, *, append: bool = False) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise fail("CSVLogger", "path", path, "a file path such as 'log.csv'")
        self.path = Path(path)
        if self.path.is_dir():
            raise fail(
                "CSVLogger",
                "path",
                str(self.path),
                "a file path (one inside that folder)",
                got=f"the folder {str(self.path)!r}",
            )
        self.append = bool(append)
        self._file: IO[str] | None = None
        self._writer: Any = None
        self._runs = 0

    def on_train_begin(self, info: TrainInfo) -> None:
        """Open the file (replaced, or appended to with ``append``)."""
        self.close()
        self._runs = len(info.runs)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (self.append and self.path.is_file() and self.path.stat().st_size > 0)
        self._file = open(self.path, "w" if fresh else "a", newline="")
        self._writer = None if fresh else csv.writer(self._file, lineterminator="\n")

    def on_epoch_end(self, epoch: int, row: Mapping[str, Any], state: Any, history: Mapping[str, list]) -> None:
        """Write the row (one line per run for trainers of many runs) and flush."""
        del state, history
        if self._file is None:
            return
        if self._writer is None:
            self._writer = csv.writer(self._file, lineterminator="\n")
            self._writer.writerow(["epoch", *(["run"] if self._runs else []), *row])
        if self._runs:
            columns = [np.broadcast_to(np.asarray(v, np.float64), (self._runs,)) for v in row.values()]
            for run in range(self._runs):
                self._writer.writerow([epoch, run, *(repr(float(c[run])) for c in columns)])
        else:
            self._writer.writerow([epoch, *(repr(float(v)) for v in row.values())])
        self._file.flush()

    def on_train_end(self, result: Any) -> None:
        """Close the file."""
        del result
        self.close()

    def close(self) -> None:
        """Close the file (also when training raises)."""
        if self._file is not None:
            self._file.close()
        self._file, self._writer = None, None
