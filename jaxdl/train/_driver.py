"""The host side every trainer shares: plan the compiled calls, read their rows, call the callbacks, stop cleanly.

``fit``, ``fit_many`` and ``fit_one_vs_rest`` differ in what one compiled call does (an
:class:`Engine`); this loop around the calls is the same for all three:

- a call runs as many epochs as take about :data:`~jaxdl.train._program.TARGET_CALL_SECONDS`,
  and ends at every epoch whose state a callback wants;
- each epoch's row goes into the history and to every callback's ``on_epoch_end``, in order;
- a callback that stops training in the middle of a call gets exactly that epoch: the call is
  run again from a copy of the state at its start, up to that epoch (the epochs are deterministic);
- Ctrl-C keeps every epoch that finished: the call in flight is awaited and recorded, the
  callbacks' ``on_train_end`` gets the result (``interrupted=True``), and the ``KeyboardInterrupt``
  is raised again with that result as its ``result`` attribute.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, Protocol

from jaxdl import _signals
from jaxdl.callbacks import CallbackList, safe_copy
from jaxdl.train._program import MAX_EPOCHS_PER_CALL, epochs_per_call

Row = dict[str, Any]


class Engine(Protocol):
    """What one trainer's compiled call does, seen from the loop."""

    def dispatch(self, state: Any, carries: Any, first: int, n: int) -> tuple[Any, Any, Any]:
        """Start up to ``n`` epochs from epoch ``first`` (asynchronously); return the new state, carries and outputs."""
        ...

    def read(self, outputs: Any) -> tuple[list[Row], BaseException | None]:
        """The rows of the epochs that ran, and an error to raise after them (a diverged epoch), or None."""
        ...

    def public(self, tree: Any) -> Any:
        """``tree`` with every training state in the form the optimizer made it (what callbacks see)."""
        ...


class Loop:
    """One run of an :class:`Engine` from epoch ``first`` to ``epochs``, with its callbacks and history."""

    def __init__(
        self,
        engine: Engine,
        callbacks: CallbackList,
        hooked: list,
        *,
        first: int,
        epochs: int,
        history: dict[str, list],
    ) -> None:
        self.engine, self.callbacks, self.hooked = engine, callbacks, hooked
        self.first, self.epochs, self.history = first, epochs, history
        self.stopped = False
        self.calls = 0
        """Compiled calls dispatched so far (a stop inside a call counts its second run)."""

    def _hand_carries(self, carries: Any) -> None:
        if not self.hooked:
            return
        for cb, carry in zip(self.hooked, self.engine.public(carries[0]), strict=True):
            cb.on_carry(carry)

    def _state_maker(self, state: Any) -> Callable[[], Any]:
        """Makes the state for callbacks (a safe copy, as the optimizer made it) when one wants it."""
        return lambda: safe_copy(self.engine.public(state))

    def _record(self, row: Row) -> None:
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)

    def run(self, state: Any, carries: Any, make_result: Callable[..., Any]) -> Any:
        """Train; return ``make_result(state, history, interrupted=False)`` (its callbacks not yet ended)."""
        epoch, per_epoch, done_any = self.first, None, False
        pending: tuple[Any, float] | None = None
        leftover: list[Row] = []
        try:
            while epoch <= self.epochs and not self.stopped:
                _signals.raise_pending()  # a Ctrl-C or SIGTERM recorded by the CLI since the last call
                # a call runs at most MAX_EPOCHS_PER_CALL epochs: look no further (epochs may be 10**12)
                wanted = self.callbacks.until_wanted(epoch, min(self.epochs, epoch + MAX_EPOCHS_PER_CALL - 1))
                n = epochs_per_call(per_epoch, remaining=self.epochs - epoch + 1, until_wanted=wanted)
                snapshot = safe_copy((state, carries)) if self.callbacks.can_stop else None
                start = time.perf_counter()
                # the first call is not held: until it returns nothing is lost, and Ctrl-C can stop its compile
                with _signals.held(deliver=True) if done_any else contextlib.nullcontext():
                    state, carries, outputs = self.engine.dispatch(state, carries, epoch, n)
                    pending = (outputs, start)
                    self.calls += 1
                rows, error = self.engine.read(outputs)
                pending = None
                seconds = (time.perf_counter() - start) / max(len(rows), 1)
                per_epoch = seconds if epoch > self.first else None
                for row in rows:
                    row["epoch_time"] = seconds
                self._hand_carries(carries)
                leftover, done_any = list(rows), True
                last = epoch + len(rows) - 1
                for i, row in enumerate(rows):
                    leftover.pop(0)
                    self._record(row)
                    make_state = self._state_maker(state) if i == len(rows) - 1 and error is None else None
                    if self.callbacks.on_epoch_end(epoch + i, row, make_state, self.history):
                        self.stopped = True
                        if epoch + i < last:
                            state, carries = self._redo(snapshot, epoch, i + 1)
                            leftover = []
                        break
                if error is not None:
                    raise error
                epoch = last + 1 if not self.stopped else epoch
        except KeyboardInterrupt as stop:
            _signals.clear_pending()
            if not done_any:
                self.callbacks.close()
                raise
            if pending is not None:
                rows, _ = self.engine.read(pending[0])
                seconds = (time.perf_counter() - pending[1]) / max(len(rows), 1)
                leftover = [{**row, "epoch_time": seconds} for row in rows]
            for row in leftover:
                self._record(row)
            result = make_result(state, self.history, interrupted=True)
            self.callbacks.on_train_end(result)
            stop.result = result  # type: ignore[attr-defined]
            raise
        except BaseException:
            self.callbacks.close()
            raise
        return make_result(state, self.history, interrupted=False)

    def _redo(self, snapshot: Any, first: int, n: int) -> tuple[Any, Any]:
        """The state and carries after ``n`` epochs from ``snapshot`` (the call's start): a stop inside a call."""
        state, carries = snapshot
        state, carries, outputs = self.engine.dispatch(state, carries, first, n)
        self.calls += 1
        self.engine.read(outputs)
        self._hand_carries(carries)
        return state, carries
