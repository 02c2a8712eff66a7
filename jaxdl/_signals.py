"""Holding Ctrl-C and SIGTERM while something must not be cut in half (a checkpoint, a run's outputs), and
SIGTERM handled like Ctrl-C.

SLURM and Kubernetes stop a job with SIGTERM. Inside :func:`terminate_as_interrupt` it raises
:class:`Terminated` (a ``KeyboardInterrupt``) at the training loop's next safe point, as Ctrl-C raises
``KeyboardInterrupt`` there, so the code that saves a run on Ctrl-C saves it on SIGTERM too. Signal handlers
can only be set from the main thread; elsewhere the blocks run unprotected.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

HELD = (signal.SIGINT, signal.SIGTERM)
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """Raised by SIGTERM inside :func:`terminate_as_interrupt`."""


_pending: list[int] = []
"""Signals :func:`terminate_as_interrupt` received and no one has acted on yet (see :func:`raise_pending`)."""


def _record(signum, frame):
    _pending.append(signum)


def raise_pending() -> None:
    """Raise the stop a signal received inside :func:`terminate_as_interrupt` asked for (call it where stopping is
    safe): :class:`Terminated` for SIGTERM, ``KeyboardInterrupt`` for Ctrl-C."""
    if _pending:
        signum = _pending[0]
        _pending.clear()
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def clear_pending() -> None:
    """Forget the received signals: the stop they raised has been caught (call where it is)."""
    _pending.clear()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def exit_code(stop: KeyboardInterrupt) -> int:
    """143 (128 + SIGTERM) for :class:`Terminated`, 130 (128 + SIGINT) for Ctrl-C."""
    return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED


def stopped_by(stop: KeyboardInterrupt) -> str:
    """``"terminated (SIGTERM)"`` or ``"interrupted"``: how a message names the stop."""
    return "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """In the block SIGTERM and Ctrl-C are recorded, and :func:`raise_pending` raises :class:`Terminated` or
    ``KeyboardInterrupt`` for them where stopping is safe (the training loop calls it between compiled calls).

    Raised wherever the signal lands, a ``KeyboardInterrupt`` can cut jax in the middle of a compile (the
    process then crashes at exit) or land in a garbage-collector callback (Python only prints it, and the run
    goes on). The previous handlers come back after the block; a handler of a host (a kernel's Ctrl-C) is kept.
    """
    if not _in_main_thread():
        yield
        return
    clear_pending()
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _record)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _record)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        clear_pending()


@contextlib.contextmanager
def held(*, deliver: bool = True) -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM in the block; yield the list of the signals that arrived meanwhile.

    With ``deliver`` the first held signal goes to the previous handler when the block ends
    (Ctrl-C then raises ``KeyboardInterrupt`` just after a file is complete); without it the
    signals are dropped (used while a run that already stopped writes its outputs).

    >>> with held() as caught:
    ...     pass
    >>> caught
    []
    """
    caught: list[int] = []
    if not _in_main_thread():
        yield caught
        return
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in HELD}
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if deliver and caught:
        sig = signal.Signals(caught[0])
        handler = previous[sig]
        if callable(handler):
            handler(sig, None)
        elif handler == signal.SIG_DFL:  # e.g. SIGTERM outside the CLI: the default action, now
            signal.raise_signal(sig)
