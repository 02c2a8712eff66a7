"""The callbacks of one ``fit`` run: the old function arguments adapted, the extras added, and their calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import jax
import jax.numpy as jnp

from jaxdl.callbacks import Callback, EarlyStopping, ProgressBar
from jaxdl.errors import ConfigError

_copy_arrays = jax.jit(lambda tree: jax.tree.map(jnp.copy, tree))


def safe_copy(state: Any) -> Any:
    """A copy of ``state`` whose arrays no later compiled call donates (safe to keep)."""
    fields = ("params", "opt_state", "batch_stats", "key", "step")
    return state.replace(**_copy_arrays({name: getattr(state, name) for name in fields}))


class EpochFunction(Callback):
    """``fit(callback=f)``: ``f(epoch, row)`` after each epoch."""

    def __init__(self, fn: Callable[[int, dict], None]):
        self.fn = fn

    def on_epoch_end(self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]) -> None:
        self.fn(epoch, dict(row))


class ResultFunction(Callback):
    """``fit(on_epoch_end=f)``: ``f(FitResult(state, history))`` after each epoch (the state is a safe copy)."""

    def __init__(self, fn: Callable[[Any], None], make_result: Callable[[Any, dict], Any]):
        self.fn, self.make_result = fn, make_result

    def wants_state(self, epoch: int) -> bool:
        return True

    def on_epoch_end(self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]) -> None:
        self.fn(self.make_result(state, cast(dict, history)))  # fit's own history dict: the result keeps growing


def assemble(
    where: str,
    callbacks: Sequence[Callback],
    *,
    callback: Callable[[int, dict], None] | None = None,
    on_epoch_end: Callable[[Any], None] | None = None,
    make_result: Callable[[Any, dict], Any],
    progress: bool = True,
    early_stopping: EarlyStopping | None = None,
    plot: bool = False,
) -> list[Callback]:
    """The run's callbacks in calling order: progress bar, the old function arguments, ``callbacks``, extras.

    Raises:
      ConfigError: an entry of ``callbacks`` is not a :class:`jaxdl.callbacks.Callback`, or
        ``early_stopping`` is not an ``EarlyStopping``.
    """
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise ConfigError(
                f"{where}: callbacks holds {cb!r}: expected jaxdl.callbacks.Callback instances "
                "(subclass Callback, or pass a function as callback=f(epoch, row))."
            )
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise ConfigError(
            f"{where}: early_stopping={early_stopping!r}: expected "
            "jaxdl.callbacks.EarlyStopping(monitor='val_loss', patience=10)."
        )
    out: list[Callback] = [ProgressBar()] if progress else []
    if callback is not None:
        out.append(EpochFunction(callback))
    if on_epoch_end is not None:
        out.append(ResultFunction(on_epoch_end, make_result))
    out += callbacks
    if early_stopping is not None:
        out.append(early_stopping)
    if plot:
        try:
            from jaxdl.callbacks import LivePlot
        except ImportError:
            raise ConfigError(f"{where}: plot=True needs jaxdl.callbacks.LivePlot, which this install lacks.") from None
        out.append(LivePlot())
    return out


def until_wanted(callbacks: Sequence[Callback], epoch: int, last: int) -> int | None:
    """Epochs from ``epoch`` up to and including the first (<= ``last``) whose state a callback wants."""
    for e in range(epoch, last + 1):
        if any(cb.wants_state(e) for cb in callbacks):
            return e - epoch + 1
    return None


def epoch_end(callbacks: Sequence[Callback], epoch: int, row: dict, state: Any, history: dict) -> bool:
    """Call every callback's ``on_epoch_end`` (each one, even after one asked to stop); True to stop.

    ``state`` goes (as one safe copy) only to the callbacks that want it.
    """
    stop = False
    copy = None
    for cb in callbacks:
        given = None
        if state is not None and cb.wants_state(epoch):
            copy = safe_copy(state) if copy is None else copy
            given = copy
        stop = bool(cb.on_epoch_end(epoch, row, given, history)) or stop
    return stop


def close_all(callbacks: Sequence[Callback]) -> None:
    """Close what the callbacks hold open (a progress bar) when training raises."""
    for cb in callbacks:
        close = getattr(cb, "close", None)
        if callable(close):
            close()


def deciding_stopper(callbacks: Sequence[Callback]) -> EarlyStopping | None:
    """The early stopper that decides the result: the one that stopped, else the first one."""
    stoppers = [cb for cb in callbacks if isinstance(cb, EarlyStopping)]
    stopped = [cb for cb in stoppers if cb.stopped_epoch is not None]
    return (stopped or stoppers or [None])[0]
