"""``LambdaCallback``: plain functions as a callback (Keras's ``LambdaCallback``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jaxdl import _checks
from jaxdl.callbacks._callback import Callback, TrainInfo


class LambdaCallback(Callback):
    """Call plain functions at the points of a run.

    Args:
      on_train_begin: ``f(info)`` before compiling (a :class:`TrainInfo`).
      on_epoch_end: ``f(epoch, row)`` after each epoch; returning True (not just a true value) stops training.
      on_state: ``f(epoch, state)`` with the ``TrainState`` (a copy, safe to keep) after every
        ``state_every``-th epoch and the last one; each such epoch ends a compiled call.
      state_every: the epochs between two ``on_state`` calls.
      on_train_end: ``f(result)`` once the run ends (also after an early stop or Ctrl-C).

    >>> from jaxdl import data, models, optim
    >>> from jaxdl.train import fit
    >>> seen = []
    >>> r = fit(models.SoftmaxRegression(10), data.load("digits"), optimizer=optim.sgd(lr=0.5), epochs=3,
    ...         batch_size=256, verbose=0, callbacks=[LambdaCallback(on_epoch_end=lambda e, row: seen.append(e))])
    >>> seen
    [1, 2, 3]
    """

    def __init__(
        self,
        *,
        on_train_begin: Callable[[TrainInfo], None] | None = None,
        on_epoch_end: Callable[[int, Mapping[str, Any]], bool | None] | None = None,
        on_state: Callable[[int, Any], None] | None = None,
        state_every: int = 1,
        on_train_end: Callable[[Any], None] | None = None,
    ) -> None:
        for name, fn in (
            ("on_train_begin", on_train_begin),
            ("on_epoch_end", on_epoch_end),
            ("on_state", on_state),
            ("on_train_end", on_train_end),
        ):
            if fn is not None and not callable(fn):
                raise _checks.fail("LambdaCallback", name, fn, "a function")
        self._begin, self._epoch, self._state, self._end = on_train_begin, on_epoch_end, on_state, on_train_end
        self.state_every = _checks.positive_int("LambdaCallback", "state_every", state_every)
        self._last = 0
        self.can_stop = on_epoch_end is not None  # only an on_epoch_end function can ask to stop

    def on_train_begin(self, info: TrainInfo) -> None:
        self._last = info.total_epochs
        if self._begin is not None:
            self._begin(info)

    def wants_state(self, epoch: int) -> bool:
        return self._state is not None and (epoch % self.state_every == 0 or epoch == self._last)

    def on_epoch_end(self, epoch: int, row: Mapping[str, Any], state: Any, history: Mapping[str, list]) -> bool | None:
        del history
        if self._state is not None and state is not None:
            self._state(epoch, state)
        return self._epoch(epoch, dict(row)) if self._epoch is not None else None

    def on_train_end(self, result: Any) -> None:
        if self._end is not None:
            self._end(result)
