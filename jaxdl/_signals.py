"""Holding Ctrl-C and SIGTERM while something must not be cut in half (a checkpoint, a run's outputs).

Signal handlers can only be set from the main thread; elsewhere the block runs unprotected.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

HELD = (signal.SIGINT, signal.SIGTERM)


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
    if threading.current_thread() is not threading.main_thread():
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
