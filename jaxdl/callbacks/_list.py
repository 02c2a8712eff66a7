"""``CallbackList``: the callbacks of one run, checked once and called in order (Keras's ``CallbackList``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from jaxdl._checks import fail
from jaxdl.callbacks._callback import Callback, DeviceHook, TrainInfo
from jaxdl.callbacks._progress import ProgressBar

VERBOSE = {0: None, 1: "auto", 2: "lines"}
"""``verbose`` of the trainers: 0 silent, 1 progress (widget, bar or lines, by where it goes), 2 plain lines."""

_copy_arrays = jax.jit(lambda tree: jax.tree.map(jnp.copy, tree))


def safe_copy(tree: Any) -> Any:
    """A copy of ``tree``'s arrays in buffers of their own, which no later compiled call donates."""
    return _copy_arrays(tree) if jax.tree.leaves(tree) else tree


class CallbackList:
    """The callbacks of one run, in calling order; a progress bar first when ``verbose`` asks for one.

    Args:
      callbacks: :class:`Callback` instances (one instance alone is accepted too).
      where: the trainer's name for error messages (``"fit"``).
      verbose: 0 (silent), 1 (a progress bar unless ``callbacks`` has one) or 2 (plain lines).

    Raises:
      ConfigError: an entry is not a ``Callback`` (a plain function: wrap it in ``LambdaCallback``).

    >>> [type(cb).__name__ for cb in CallbackList([], where="fit", verbose=1)]
    ['ProgressBar']
    """

    def __init__(self, callbacks: Iterable[Callback] | Callback | None, *, where: str, verbose: int = 1) -> None:
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        if callbacks is not None and not isinstance(callbacks, Iterable):
            hint = "wrap a function in jaxdl.callbacks.LambdaCallback(on_epoch_end=f)" if callable(callbacks) else ""
            raise fail(where, "callbacks", callbacks, f"a list of Callback instances{hint and ' (' + hint + ')'}")
        given = list(callbacks or ())
        for cb in given:
            if not isinstance(cb, Callback):
                hint = (
                    "wrap a function in jaxdl.callbacks.LambdaCallback(on_epoch_end=f)"
                    if callable(cb)
                    else "subclass jaxdl.callbacks.Callback"
                )
                raise fail(where, "callbacks", cb, f"Callback instances ({hint})", got=f"{cb!r} among them")
        if isinstance(verbose, bool) or verbose not in VERBOSE:
            raise fail(where, "verbose", verbose, "0, 1 or 2")
        mode = VERBOSE[verbose]
        bar = [ProgressBar(mode=mode)] if mode and not any(isinstance(cb, ProgressBar) for cb in given) else []
        self.callbacks: list[Callback] = bar + given
        self.where = where

    def __iter__(self):
        return iter(self.callbacks)

    @property
    def can_stop(self) -> bool:
        """Whether some callback may stop training in the middle of a compiled call."""
        return any(cb.can_stop for cb in self.callbacks)

    def hooks(self) -> list[tuple[Callback, DeviceHook]]:
        """The callbacks with an on-device part, and that part."""
        return [(cb, hook) for cb in self.callbacks if (hook := cb.device_hook()) is not None]

    def on_train_begin(self, info: TrainInfo) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(info)

    def until_wanted(self, epoch: int, last: int) -> int | None:
        """Epochs from ``epoch`` up to and including the first (<= ``last``) whose state a callback wants."""
        for e in range(epoch, last + 1):
            if any(cb.wants_state(e) for cb in self.callbacks):
                return e - epoch + 1
        return None

    def on_epoch_end(
        self, epoch: int, row: Mapping[str, Any], state: Callable[[], Any] | None, history: Mapping[str, list]
    ) -> bool:
        """Call every ``on_epoch_end`` (each one, even after one asked to stop); True when one returned True.

        ``state`` makes the state (one safe copy, shared) for the callbacks that want it; None
        when this epoch did not end a compiled call.
        """
        stop, copy = False, None
        for cb in self.callbacks:
            given = None
            if state is not None and cb.wants_state(epoch):
                copy = state() if copy is None else copy
                given = copy
            stop = cb.on_epoch_end(epoch, row, given, history) is True or stop
        return stop

    def on_train_end(self, result: Any) -> None:
        for cb in self.callbacks:
            cb.on_train_end(result)

    def close(self) -> None:
        """Let every callback release what it holds open (training raised)."""
        for cb in self.callbacks:
            cb.close()
