"""Holding Ctrl-C and SIGTERM while something must not be cut in half (a checkpoint, a run's outputs), and
SIGTERM handled like Ctrl-C.

SLURM and Kubernetes stop a job with SIGTERM. Inside :func:`terminate_as_interrupt` it raises
:class:`Terminated` (a ``KeyboardInterrupt``), so the code that saves a run on Ctrl-C saves it on SIGTERM
too. Signal handlers can only be set from the main thread; elsewhere the blocks run unprotected.
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


def _raise_terminated(signum, frame):
    raise Terminated


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
    """SIGTERM raises :class:`Terminated` in the block; the previous handler comes back after it."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        handler = previous[signal.Signals(caught[0])]
        if callable(handler):
            handler(caught[0], None)
