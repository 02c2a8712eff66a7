"""``ManyResult``: what ``fit_many`` returns, and how its runs are ranked (validation first, the test set unread)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from jaxdl.callbacks import maximized
from jaxdl.errors import ConfigError, unknown
from jaxdl.train._stacked import take
from jaxdl.train._state import TrainState


@dataclasses.dataclass
class ManyResult:
    """The stacked final states and the per-run history of :func:`fit_many`.

    Attributes:
      state: one :class:`TrainState` whose leaves have a leading run axis (N, ...): each run's state
        after its last epoch.
      history: the keys of ``FitResult.history`` but ``epoch_time``: ``train_loss``, ``test_loss``,
        and ``train_acc``, ``test_acc`` for classifiers or ``train_mse``, ``test_mse``, ``test_r2``
        for regressors (``val_*`` too with validation data), each a numpy array (N, epochs); NaN
        after the last epoch of a run that successive halving stopped.
      runs: N dicts ``{"seed": s, **hyperparameters}`` in run order.
      epoch_time: (epochs,) seconds per epoch for all runs together (the first includes compiling).
      diverged: (N,) True where a run's training loss became NaN/inf (it keeps running, the
        others are unaffected).
      calls: the compiled calls of one chunk of runs (each runs several epochs; the first compiles).
      rung: (N,) the last rung each run trained in (all 0 without successive halving).
      rung_ends: the last epoch of each rung (``(epochs,)`` without successive halving).
      stopped_epoch: (N,) with an ``EarlyStopping`` callback, the epoch each run stopped at (0 when it
        trained to the end; its history is NaN after it); empty without one.
      best_epoch: (N,) with an ``EarlyStopping``, each run's best epoch by its ``monitor`` (0 if none improved).
      restored: the ``EarlyStopping`` restored each run's best state: ``state`` and :meth:`final` are then
        those of ``best_epoch`` (for a run that improved at least once).
    """

    state: TrainState
    history: dict[str, np.ndarray]
    runs: list[dict[str, Any]]
    epoch_time: np.ndarray
    diverged: np.ndarray
    calls: int = 0
    rung: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    rung_ends: tuple[int, ...] = ()
    stopped_epoch: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    best_epoch: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    restored: bool = False

    def __repr__(self) -> str:
        runs, epochs = len(self.runs), len(self.epoch_time)
        means = ", ".join(f"{k} mean {float(np.nanmean(self.final(k))):.4g}" for k, v in self.history.items() if v.size)
        return f"ManyResult({runs} runs, {epochs} epochs: final {means}; {int(self.diverged.sum())} diverged)"

    @property
    def epochs(self) -> np.ndarray:
        """(N,) the epochs each run trained."""
        ends = np.asarray(self.rung_ends or (len(self.epoch_time),))
        trained = ends[self.rung] if self.rung.size else np.full(len(self.runs), ends[-1])
        return np.where(self.stopped_epoch > 0, self.stopped_epoch, trained) if self.stopped_epoch.size else trained

    @property
    def state_epochs(self) -> np.ndarray:
        """(N,) the epoch whose state each run returns: its best one when the best state was restored."""
        if self.restored:
            return np.where(self.best_epoch > 0, self.best_epoch, self.epochs)
        return self.epochs

    def default_metric(self) -> str:
        """The metric runs are ranked on by default: ``val_acc``/``val_loss`` with validation data, else the test's."""
        for key in ("val_acc", "val_loss", "test_acc", "test_loss"):
            if key in self.history:
                return key
        raise unknown("metric", "val_acc", self.history, where="best")

    def final(self, metric: str) -> np.ndarray:
        """(N,) float64: each run's ``metric`` for the state it returns (after its last epoch, or its best)."""
        if metric not in self.history:
            raise unknown("metric", metric, self.history, where="final")
        values = self.history[metric].astype(np.float64)
        return values[np.arange(len(values)), self.state_epochs - 1]

    def run_state(self, index: int) -> TrainState:
        """The :class:`TrainState` of run ``index`` alone (usable with ``evaluate``/``train_epoch``)."""
        return take(self.state, index)

    def ranking(self, metric: str | None = None) -> np.ndarray:
        """Run indices, best first: by rung reached, then by the final ``metric`` (default :meth:`default_metric`).

        Runs that diverged or end with a non-finite value come last.
        """
        metric = metric or self.default_metric()
        final = self.final(metric)
        usable = np.isfinite(final) & ~self.diverged
        score = np.where(usable, -final if maximized(metric) else final, np.inf)
        rung = self.rung if self.rung.size else np.zeros(len(self.runs), np.int64)
        return np.lexsort((score, ~usable, -rung))

    def best(self, metric: str | None = None) -> dict[str, Any]:
        """The best run by :meth:`ranking`: highest for accuracies and R², lowest otherwise.

        ``metric`` defaults to the validation metric (``val_acc``, or ``val_loss`` for regressors) when
        the runs were validated: choose on validation data and report the test score of the run chosen.
        Returns the run's dict plus ``"index"`` and the final ``metric`` value, e.g.
        ``{"index": 5, "seed": 1, "lr": 0.1, "val_acc": 0.97}``.
        """
        metric = metric or self.default_metric()
        if metric not in self.history:
            raise unknown("metric", metric, self.history, where="best")
        index = int(self.ranking(metric)[0])
        final = self.final(metric)
        if self.diverged[index] or not np.isfinite(final[index]):
            raise ConfigError(f"every run diverged or ended with a non-finite {metric}: no best run.")
        return {"index": index, **self.runs[index], metric: float(final[index])}
