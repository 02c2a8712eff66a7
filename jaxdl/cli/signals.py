"""SIGTERM handled like Ctrl-C: the code that saves a run on Ctrl-C saves it on SIGTERM too.

SLURM and Kubernetes stop a job with SIGTERM. Inside :func:`terminate_as_interrupt`, SIGTERM
raises :class:`Terminated` (a ``KeyboardInterrupt``), so the code that saves a run on Ctrl-C
saves it on SIGTERM too; the command then exits with :data:`EXIT_TERMINATED` (128 + 15).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """Raised by SIGTERM inside :func:`terminate_as_interrupt`."""


def _raise_terminated(signum, frame):
    raise Terminated


def exit_code(err: KeyboardInterrupt) -> int:
    """143 for SIGTERM, 130 for Ctrl-C."""
    return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


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
