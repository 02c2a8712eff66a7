"""``ProgressBar``: a tqdm bar over epochs (a widget in Jupyter, text elsewhere)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any

from jaxdl.callbacks._callback import Callback, TrainInfo

_SHOWN = ("train_loss", "train_acc", "test_loss", "test_acc", "val_loss", "val_acc", "test_mse", "val_mse")


class ProgressBar(Callback):
    """Show one bar over the epochs: "compiling" until the first epoch ends, then the
    latest losses and accuracies, the elapsed time and the ETA.

    Args:
      file: where the text bar goes (default ``sys.stderr``); Jupyter shows a widget.
      leave: keep the finished bar on screen.

    >>> bar = ProgressBar()
    >>> bar.format_row({"train_loss": 0.51234, "test_acc": 0.9, "epoch_time": 0.1})
    'train_loss=0.5123 test_acc=0.9000'
    """

    def __init__(self, file: IO[str] | None = None, leave: bool = True):
        self.file = file
        self.leave = leave
        self._bar = None

    @staticmethod
    def format_row(row: Mapping[str, float]) -> str:
        """The text shown after an epoch: the losses and accuracies in ``row``."""
        return " ".join(f"{key}={row[key]:.4f}" for key in _SHOWN if key in row)

    def on_train_begin(self, info: TrainInfo) -> None:
        from tqdm.auto import tqdm

        self.close()
        self._bar = tqdm(
            total=info.total_epochs,
            initial=info.first_epoch - 1,
            desc=info.label,
            unit="epoch",
            file=self.file if self.file is not None else sys.stderr,
            leave=self.leave,
            dynamic_ncols=True,
        )
        self._bar.set_postfix_str("compiling", refresh=True)

    def on_epoch_end(self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]) -> None:
        del epoch, state, history
        if self._bar is not None:
            self._bar.set_postfix_str(self.format_row(row), refresh=False)
            self._bar.update(1)

    def on_train_end(self, result: Any) -> None:
        del result
        self.close()

    def close(self) -> None:
        """Close the bar (``fit`` calls this when training raises)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
