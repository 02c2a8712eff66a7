"""The ``Callback`` base class and the ``TrainInfo`` that ``fit``/``fit_many`` hand it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class TrainInfo:
    """What a run is about to do, given to :meth:`Callback.on_train_begin`.

    Attributes:
      total_epochs: the last epoch of the run (epochs count from 1).
      first_epoch: the first epoch this call trains (> 1 when it resumes a run).
      steps_per_epoch: optimizer steps per epoch.
      label: a short name of the run (e.g. ``"fit"`` or ``"fit_many (8 models)"``).
      metrics: the history keys each epoch's row will hold (``train_loss``, ``val_acc``, ...).
    """

    total_epochs: int
    first_epoch: int
    steps_per_epoch: int
    label: str
    metrics: tuple[str, ...] = ()


class Callback:
    """Hooks ``fit``/``fit_many`` call. Subclass and override what you need.

    ``fit`` runs several epochs per compiled call when no callback wants the state; every
    epoch's :meth:`on_epoch_end` is still called, in order, once the call returns, and an
    epoch for which some callback's :meth:`wants_state` is True always ends a call.

    >>> class Print(Callback):
    ...     def on_epoch_end(self, epoch, row, state, history):
    ...         print(epoch, round(row["train_loss"], 1))
    >>> Print().on_epoch_end(1, {"train_loss": 2.31}, None, {})
    1 2.3
    """

    def on_train_begin(self, info: TrainInfo) -> None:
        """Called once before compiling."""

    def wants_state(self, epoch: int) -> bool:
        """Return True to receive the ``TrainState`` after ``epoch`` in :meth:`on_epoch_end`."""
        del epoch
        return False

    def on_epoch_end(
        self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]
    ) -> bool | None:
        """Called after each epoch (counting from 1), in order.

        Args:
          epoch: the epoch that ended.
          row: that epoch's history row (metric name -> float).
          state: the ``TrainState`` after ``epoch`` (a copy that is safe to keep) when
            :meth:`wants_state` returned True for this epoch, else None.
          history: the run's history so far (dict of lists; do not mutate).

        Returns:
          True to stop training after this epoch.
        """
        del epoch, row, state, history
        return None

    def on_train_end(self, result: Any) -> None:
        """Called once with the ``FitResult`` (also after an early stop)."""
