"""``EarlyStopping``: stop when a monitored metric stops improving; keep the best state.

Keras/Lightning semantics: training stops after ``patience`` epochs in a row without an
improvement larger than ``min_delta``. (``flax.training.early_stopping`` stops one epoch
later, after ``patience + 1`` such epochs, and only minimizes, so it is not used here.)

Under ``fit`` the rule also runs inside the compiled call (:meth:`EarlyStopping.device_hook`):
the call stops on the device at the stopping epoch and keeps the best epoch's state there, so
several epochs still run per call. Host and device apply :func:`improved` to the same float32
numbers, so they agree on every epoch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl import _checks
from jaxdl.callbacks._callback import Callback, TrainInfo
from jaxdl.errors import unknown

MAXIMIZED = ("acc", "r2")
"""Metric name endings that are better when higher (``mode="auto"`` maximizes them)."""


def maximized(metric: str) -> bool:
    """Whether ``metric`` is better when higher (accuracies, R²).

    >>> maximized("val_acc"), maximized("test_loss")
    (True, False)
    """
    return metric.endswith(MAXIMIZED)


def improved(value: Any, best: Any, min_delta: Any, maximize: bool) -> Any:
    """Whether ``value`` beats ``best`` by more than ``min_delta``: float32 numpy or JAX scalars alike."""
    return value > best + min_delta if maximize else value < best - min_delta


class _Tracker(NamedTuple):
    """The on-device rule of an :class:`EarlyStopping` (hashable: a static argument of the compiled call)."""

    monitor: str
    maximize: bool
    min_delta: float
    patience: int
    keep_state: bool

    def init(self, state: Any) -> dict[str, Any]:
        best = jnp.float32(-jnp.inf if self.maximize else jnp.inf)
        return {"best": best, "wait": jnp.int32(0), "state": state if self.keep_state else None}

    def update(self, carry: dict, epoch: jax.Array, state: Any, row: Mapping[str, jax.Array]) -> tuple[dict, jax.Array]:
        del epoch
        value = row[self.monitor]
        better = improved(value, carry["best"], jnp.float32(self.min_delta), self.maximize)
        wait = jnp.where(better, 0, carry["wait"] + 1)
        kept = None
        if self.keep_state:
            kept = jax.tree.map(lambda new, old: jnp.where(better, new, old), state, carry["state"])
        carry = {"best": jnp.where(better, value, carry["best"]), "wait": wait, "state": kept}
        return carry, ~better & (wait >= self.patience)


class _RunsTracker(NamedTuple):
    """The rule of an :class:`EarlyStopping` for each run of ``fit_many``, inside its compiled call (hashable).

    The carry holds, per run (N,): ``best``, ``wait``, ``epochs`` (epochs trained), ``best_epoch`` and
    ``stopped`` (the epoch it stopped at, 0 while it trains), and with ``keep_state`` the best ``state``.
    """

    monitor: str
    maximize: bool
    min_delta: float
    patience: int
    keep_state: bool

    def init(self, states: Any) -> dict[str, Any]:
        runs = jax.tree.leaves(states.params)[0].shape[0]
        carry: dict[str, Any] = {"best": jnp.full(runs, -jnp.inf if self.maximize else jnp.inf, jnp.float32)}
        carry |= {name: jnp.zeros(runs, jnp.int32) for name in ("wait", "epochs", "best_epoch", "stopped")}
        # the call donates the states and this carry: the kept states need buffers of their own
        return carry | {"state": jax.tree.map(jnp.copy, states) if self.keep_state else None}

    def update(
        self, carry: dict, before: Any, after: Any, row: Mapping[str, jax.Array]
    ) -> tuple[dict, Any, jax.Array, jax.Array]:
        """After one epoch: ``(carry, states, live, stop)``.

        A run that had stopped keeps its state ``before`` the epoch; ``live`` (N,) marks the runs that trained
        in it (the others' outputs mean nothing); ``stop`` is True once every run has stopped.
        """
        live = carry["stopped"] == 0
        epochs = carry["epochs"] + live
        better = live & improved(row[self.monitor], carry["best"], jnp.float32(self.min_delta), self.maximize)
        wait = jnp.where(better, 0, carry["wait"] + live)
        stopped = jnp.where(live & ~better & (wait >= self.patience), epochs, carry["stopped"])
        states = _where_runs(live, after, before)
        carry = {
            "best": jnp.where(better, row[self.monitor], carry["best"]),
            "wait": wait,
            "epochs": epochs,
            "best_epoch": jnp.where(better, epochs, carry["best_epoch"]),
            "stopped": stopped,
            "state": _where_runs(better, states, carry["state"]) if self.keep_state else None,
        }
        return carry, states, live, jnp.all(stopped > 0)

    def final_state(self, carry: dict, states: Any) -> Any:
        """The states the runs return: the best epoch's where the rule keeps it and a run improved, else ``states``."""
        if not self.keep_state:
            return states
        return _where_runs(carry["best_epoch"] > 0, carry["state"], states)


def _where_runs(pick: jax.Array, new: Any, old: Any) -> Any:
    """Per run (leading axis), ``new`` where ``pick`` (N,) else ``old``."""
    return jax.tree.map(lambda a, b: jnp.where(pick.reshape(-1, *([1] * (a.ndim - 1))), a, b), new, old)


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
      monitor: the history key to watch (``"val_loss"``, ``"val_acc"``, ``"test_loss"``...).
      patience: epochs without improvement before stopping.
      min_delta: an improvement must be larger than this.
      mode: ``"min"``, ``"max"``, or ``"auto"`` (max for ``*acc``/``*r2``, else min).
      restore_best: give the run's result the state of the best epoch (kept on the device,
        so it costs no call per epoch).

    After the run, ``best_epoch``, ``best_value`` and ``stopped_epoch`` (None when it never
    stopped) describe what happened; ``fit`` copies them into its ``FitResult``.

    Under ``fit_many`` the rule applies to each run on its own: a run that stops keeps its state
    (or its best one) while the others train, its history holds NaN after its stopping epoch, and
    the call ends when every run has stopped. ``best_epoch``, ``best_value`` and ``stopped_epoch``
    are then arrays (N,) (``stopped_epoch`` 0 for a run that never stopped), as in ``ManyResult``.

    >>> es = EarlyStopping(monitor="val_loss", patience=2, restore_best=False)
    >>> [es.on_epoch_end(e, {"val_loss": v}, None, {}) for e, v in enumerate([3.0, 2.0, 2.5, 2.1], 1)]
    [None, None, None, True]
    >>> es.best_epoch, es.stopped_epoch
    (2, 4)
    """

    can_stop: bool = False  # the compiled call stops at the same epoch (device_hook): never mid-call

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ) -> None:
        where = "EarlyStopping"
        if not isinstance(monitor, str) or not monitor:
            raise _checks.fail(where, "monitor", monitor, "a history key such as 'val_loss'")
        self.monitor = monitor
        self.patience = _checks.integer(where, "patience", patience, low=0)
        self.min_delta = float(np.float32(abs(_checks.number(where, "min_delta", min_delta))))
        _checks.choice(where, "mode", mode, ("auto", "min", "max"))
        self.mode = ("max" if maximized(monitor) else "min") if mode == "auto" else mode
        self.restore_best = bool(_checks.choice(where, "restore_best", restore_best, (True, False)))
        self._reset()

    def _reset(self) -> None:
        # under fit_many each of these is an array (N,): one value per run
        self.best_value: float | np.ndarray = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | np.ndarray | None = None
        self.stopped_epoch: int | np.ndarray | None = None
        self.wait: int | np.ndarray = 0
        self._carry: dict[str, Any] | None = None
        self._runs: np.ndarray | None = None

    @property
    def best_state(self) -> Any:
        """The state after ``best_epoch`` (with ``restore_best``, once a run has ended), else None."""
        return None if self._carry is None else self._carry["state"]

    def on_train_begin(self, info: TrainInfo) -> None:
        """Reset, and refuse a monitor the run does not report."""
        self._reset()
        if info.metrics and self.monitor not in info.metrics:
            if self.monitor.startswith("val_") and not any(m.startswith("val_") for m in info.metrics):
                raise _checks.fail(
                    "EarlyStopping",
                    "monitor",
                    self.monitor,
                    "a metric of this run, which has no validation data (pass validation_split=0.1 to fit, "
                    "or a Dataset from jaxdl.data.split)",
                )
            raise unknown("metric", self.monitor, info.metrics, where="EarlyStopping")
        if info.runs:  # fit_many: the rule follows each run
            runs = len(info.runs)
            self._runs = np.ones(runs, bool)
            self.best_value = np.full(runs, self.best_value, np.float32)
            self.best_epoch = np.zeros(runs, np.int64)
            self.stopped_epoch = np.zeros(runs, np.int64)
            self.wait = np.zeros(runs, np.int64)

    def device_hook(self) -> _Tracker:
        """The same rule inside the compiled call: it stops the call and keeps the best state there."""
        return _Tracker(self.monitor, self.mode == "max", self.min_delta, self.patience, self.restore_best)

    def runs_hook(self) -> _RunsTracker:
        """The same rule for each run of ``fit_many`` (see :class:`_RunsTracker`)."""
        return _RunsTracker(self.monitor, self.mode == "max", self.min_delta, self.patience, self.restore_best)

    def on_carry(self, carry: Any) -> None:
        """Keep the device's best state (the last carry)."""
        self._carry = carry

    def on_epoch_end(
        self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]
    ) -> bool | None:
        """Count epochs without improvement; True once there were ``patience`` of them."""
        del state, history
        if self.monitor not in row:
            raise unknown("metric", self.monitor, row, where="EarlyStopping")
        if self._runs is not None:
            return self._each_run(epoch, np.asarray(row[self.monitor], np.float32))
        value = np.float32(row[self.monitor])
        if improved(value, np.float32(self.best_value), np.float32(self.min_delta), self.mode == "max"):
            self.best_value, self.best_epoch, self.wait = float(value), epoch, 0
            return None
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return None

    def _each_run(self, epoch: int, values: np.ndarray) -> bool | None:
        """The rule for every run still training (the device applies the same one); True once all have stopped."""
        live = np.asarray(self._runs, bool)
        best = np.asarray(self.best_value, np.float32)
        better = live & improved(values, best, np.float32(self.min_delta), self.mode == "max")
        wait = np.where(better, 0, np.asarray(self.wait) + live)
        stop = live & ~better & (wait >= self.patience)
        self.best_value = np.where(better, values, best)
        self.best_epoch = np.where(better, epoch, np.asarray(self.best_epoch))
        self.stopped_epoch = np.where(stop, epoch, np.asarray(self.stopped_epoch))
        self.wait, self._runs = wait, live & ~stop
        return True if not (live & ~stop).any() else None
