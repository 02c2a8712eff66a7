"""The ``Callback`` protocol shared by ``fit``, ``fit_many`` and ``fit_one_vs_rest``, and its ``TrainInfo``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

import jax


@dataclasses.dataclass(frozen=True)
class TrainInfo:
    """What a run is about to do, given to :meth:`Callback.on_train_begin`.

    Attributes:
      total_epochs: the last epoch of the run (epochs count from 1).
      first_epoch: the first epoch this call trains (> 1 when it resumes a run).
      steps_per_epoch: optimizer steps per epoch.
      label: a short name of the run (e.g. ``"fit"`` or ``"fit_many (8 runs)"``).
      metrics: the history keys each epoch's row will hold (``train_loss``, ``val_acc``, ...).
      runs: for ``fit_many`` and ``fit_one_vs_rest``, one dict per run (its seed and hyperparameters, or its
        class); each row then holds arrays of shape (runs,). Empty for ``fit``, whose rows hold floats.
    """

    total_epochs: int
    first_epoch: int
    steps_per_epoch: int
    label: str
    metrics: tuple[str, ...] = ()
    runs: tuple[dict[str, Any], ...] = ()


class DeviceHook(Protocol):
    """The part of a callback that runs inside the compiled call, after every epoch, on the device.

    It lets a callback follow every epoch without a trip to the host: early stopping keeps the
    best state and stops the call at its epoch, SWA folds each epoch's weights into its average.
    A hook is a static argument of the compiled call, so it must be hashable and compare equal
    for equal settings (a ``NamedTuple`` of plain values is).
    """

    def init(self, state: Any) -> Any:
        """The carry before the first epoch of the run, from the initial ``TrainState``."""
        ...

    def update(self, carry: Any, epoch: jax.Array, state: Any, row: Mapping[str, jax.Array]) -> tuple[Any, jax.Array]:
        """``(carry, stop)`` after ``epoch`` (int32, from 1) ended with ``state`` and the float32 ``row``.

        ``stop`` (a bool scalar) ends the run after this epoch; the call stops on the device.
        """
        ...


class Callback:
    """Hooks ``fit``/``fit_many``/``fit_one_vs_rest`` call. Subclass and override what you need.

    The trainers run several epochs per compiled call; every epoch's :meth:`on_epoch_end` is
    still called, in order, once its call returns. What a callback needs decides what it costs:

    - rows only (progress, logs): nothing;
    - the state at some epochs (:meth:`wants_state`, e.g. a checkpoint every k epochs): a call
      ends at each such epoch;
    - something of every epoch (:meth:`device_hook`): computed inside the compiled call;
    - stopping (``on_epoch_end`` returns True): ``fit`` keeps a copy of the state at the start
      of each call, so a stop in the middle of a call ends at exactly that epoch. Callbacks
      that never stop set the class attribute ``can_stop = False`` to save that copy.

    >>> class Print(Callback):
    ...     def on_epoch_end(self, epoch, row, state, history):
    ...         print(epoch, round(row["train_loss"], 1))
    >>> Print().on_epoch_end(1, {"train_loss": 2.31}, None, {})
    1 2.3
    """

    can_stop: bool = True

    def on_train_begin(self, info: TrainInfo) -> None:
        """Called once before compiling."""

    def wants_state(self, epoch: int) -> bool:
        """Return True to receive the ``TrainState`` after ``epoch`` in :meth:`on_epoch_end`."""
        del epoch
        return False

    def device_hook(self) -> DeviceHook | None:
        """The on-device part of this callback (see :class:`DeviceHook`), or None."""
        return None

    def runs_hook(self) -> Any:
        """The on-device part that follows each run of ``fit_many`` on its own, or None (then a callback with a
        :meth:`device_hook` is refused there: it follows one run)."""
        return None

    def on_carry(self, carry: Any) -> None:
        """Called after each compiled call with the device hook's carry (states in it as the optimizer made them)."""
        del carry

    def on_epoch_end(self, epoch: int, row: Mapping[str, Any], state: Any, history: Mapping[str, list]) -> bool | None:
        """Called after each epoch (counting from 1), in order.

        Args:
          epoch: the epoch that ended.
          row: that epoch's history row (metric name -> float; -> array (runs,) for ``fit_many``).
          state: the ``TrainState`` after ``epoch`` (a copy that is safe to keep) when
            :meth:`wants_state` returned True for this epoch, else None.
          history: the run's history so far (dict of lists; do not mutate).

        Returns:
          True to stop training after this epoch (any other value, e.g. None, goes on).
        """
        del epoch, row, state, history
        return None

    def on_train_end(self, result: Any) -> None:
        """Called once with the result: at the end, after an early stop, and after Ctrl-C.

        After Ctrl-C (a ``KeyboardInterrupt``) ``result.interrupted`` is True and ``result``
        holds every epoch that finished, with the state after the last one; the trainer then
        raises the ``KeyboardInterrupt`` again, with the result as its ``result`` attribute.
        """
        del result

    def close(self) -> None:
        """Release what the callback holds open (a progress bar) when training raises."""
