"""``EarlyStopping``: stop when a monitored metric stops improving; keep the best state.

Keras/Lightning semantics: training stops after ``patience`` epochs in a row without an
improvement larger than ``min_delta``. (``flax.training.early_stopping`` stops one epoch
later, after ``patience + 1`` such epochs, and only minimizes, so it is not used here.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from jaxdl import _checks
from jaxdl.callbacks._callback import Callback, TrainInfo
from jaxdl.errors import ConfigError, suggest

_MAXIMIZED = ("acc", "r2")


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
      monitor: the history key to watch (``"val_loss"``, ``"val_acc"``, ``"test_loss"``...).
      patience: epochs without improvement before stopping.
      min_delta: an improvement must be larger than this.
      mode: ``"min"``, ``"max"``, or ``"auto"`` (max for ``*acc``/``*r2``, else min).
      restore_best: give the run's result the state of the best epoch (the callback then
        asks ``fit`` for the state after every epoch).

    After the run, ``best_epoch``, ``best_value`` and ``stopped_epoch`` (None when it never
    stopped) describe what happened; ``fit`` copies them into its ``FitResult``.

    >>> es = EarlyStopping(monitor="val_loss", patience=2, restore_best=False)
    >>> [es.on_epoch_end(e, {"val_loss": v}, None, {}) for e, v in enumerate([3.0, 2.0, 2.5, 2.1], 1)]
    [None, None, None, True]
    >>> es.best_epoch, es.stopped_epoch
    (2, 4)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ):
        where = "EarlyStopping"
        if not isinstance(monitor, str) or not monitor:
            raise _checks.fail(where, "monitor", monitor, "a history key such as 'val_loss'")
        self.monitor = monitor
        self.patience = _checks.integer(where, "patience", patience, low=0)
        self.min_delta = abs(_checks.number(where, "min_delta", min_delta))
        _checks.choice(where, "mode", mode, ("auto", "min", "max"))
        if mode == "auto":
            mode = "max" if monitor.endswith(_MAXIMIZED) else "min"
        self.mode = mode
        self.restore_best = bool(_checks.choice(where, "restore_best", restore_best, (True, False)))
        self._reset()

    def _reset(self) -> None:
        self.best_value = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_state: Any = None
        self.stopped_epoch: int | None = None
        self.wait = 0

    def on_train_begin(self, info: TrainInfo) -> None:
        self._reset()
        if info.metrics and self.monitor not in info.metrics:
            hint = (
                (" (there is no validation data: pass validation_split=0.1 to fit, or a Dataset from jaxdl.data.split)")
                if self.monitor.startswith("val_")
                else suggest(self.monitor, info.metrics)
            )
            raise ConfigError(
                f"EarlyStopping: monitor={self.monitor!r} is not a metric of this run{hint}; "
                f"it has {', '.join(info.metrics)}"
            )

    def wants_state(self, epoch: int) -> bool:
        del epoch
        return self.restore_best

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def on_epoch_end(
        self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]
    ) -> bool | None:
        del history
        if self.monitor not in row:
            raise ConfigError(
                f"EarlyStopping: monitor={self.monitor!r} is not in the history row "
                f"({', '.join(row)}){suggest(self.monitor, row)}"
            )
        value = float(row[self.monitor])
        if self._improved(value):
            self.best_value, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = state
            return None
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return None
