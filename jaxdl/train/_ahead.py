"""Programs compiled before they are needed, on a background thread and by a caller that would wait.

A halving search knows every rung's size from the start; each size is a program of its own.
Compiling rung ``k + 1``'s while rung ``k`` compiles or trains (XLA releases the GIL, and a second
core is idle during a compile) takes those compiles off the critical path. The compiled program
lands in jax's in-memory cache, so the later call with arrays of the same shapes runs it at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

_PENDING, _RUNNING, _DONE = "pending", "running", "done"


class CompileAhead:
    """Run ``jobs`` (key, compile function), in order, on one background thread and in :meth:`wait`.

    :meth:`wait` returns once a key's job has run (at once for a key that has none). A caller that
    would wait does work instead: it runs its own job if no thread has started it, else a later job
    nobody has started. :meth:`close` skips the jobs not started and waits for the running ones, so
    no compile is left running at exit. A job that fails is dropped: the caller compiles that
    program itself when it runs it and gets the error there, where it belongs.

    >>> done = []
    >>> ahead = CompileAhead([("a", lambda: done.append("a")), ("b", lambda: done.append("b"))])
    >>> ahead.wait("b"), ahead.wait("other"), sorted(done)
    (None, None, ['a', 'b'])
    >>> ahead.close()
    """

    def __init__(self, jobs: list[tuple[Hashable, Callable[[], Any]]]) -> None:
        self._jobs = dict(jobs)
        self._state = dict.fromkeys(self._jobs, _PENDING)
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._work, name="jaxdl-compile-ahead", daemon=True)
        self._thread.start()

    def _take(self, prefer: Hashable | None = None) -> Hashable | None:
        """Mark ``prefer`` (else the first pending job) running and return its key; None when none is pending."""
        pending = [key for key, state in self._state.items() if state == _PENDING]
        key = prefer if prefer in pending else next(iter(pending), None)
        if key is not None:
            self._state[key] = _RUNNING
        return key

    def _run(self, key: Hashable) -> None:
        try:
            self._jobs[key]()
        except Exception:  # noqa: BLE001 - the caller compiles this program itself and raises there
            pass
        finally:
            with self._changed:
                self._state[key] = _DONE
                self._changed.notify_all()

    def _work(self) -> None:
        while True:
            with self._changed:
                key = self._take()
            if key is None:
                return
            self._run(key)

    def wait(self, key: Hashable) -> None:
        """Return once the job of ``key`` has run, running it (or later jobs) here rather than idling."""
        while True:
            with self._changed:
                state = self._state.get(key, _DONE)
                if state == _DONE:
                    return
                job = self._take(prefer=key)
                if job is None:
                    self._changed.wait()
                    continue
            self._run(job)

    def close(self) -> None:
        """Skip the jobs not started; wait for the ones running."""
        with self._changed:
            for key, state in self._state.items():
                if state == _PENDING:
                    self._state[key] = _DONE
            while _RUNNING in self._state.values():
                self._changed.wait()
        self._thread.join()
