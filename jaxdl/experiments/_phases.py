"""Where the seconds of a ``jaxdl train`` process go, phase by phase, for its ``timing.json``.

``startup`` (from the process's start: Python, imports, the parser), ``data`` (loading, the model, the checks,
the run folder), ``init_and_compile`` (``fit``'s checks, the parameter init and the first compiled call, which
compiles and runs the first epoch), ``training`` (the other epochs, checkpoints not counted), ``checkpoints``
(writing them), ``outputs`` (metrics, curves.png) and ``total`` (their sum: the process's seconds to its result).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from jaxdl.callbacks import Callback

PHASES = ("startup", "data", "init_and_compile", "training", "checkpoints", "outputs")


def process_seconds() -> float | None:
    """Seconds since this process started (from ``/proc`` on Linux, to 1/100 s); None where unknown.

    >>> age = process_seconds(); age is None or 0 < age < 24 * 3600
    True
    """
    try:
        with open("/proc/self/stat") as f:
            started_ticks = float(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class PhaseClock(Callback):
    """Seconds per phase of one run: :meth:`lap` ends a phase; as a callback it ends ``init_and_compile``
    when the first compiled call returns (its first ``on_epoch_end``). ``startup`` is left out where the
    process's start is unknown.

    >>> clock = PhaseClock(startup=1.0)
    >>> clock.lap("data"); clock.seconds["startup"]
    1.0
    >>> clock.add("checkpoints", 0.5); clock.lap("training"); table = clock.table()
    >>> table["checkpoints"], abs(table["total"] - sum(v for k, v in table.items() if k != "total")) < 1e-3
    (0.5, True)
    """

    can_stop = False

    def __init__(self, *, startup: float | None = None) -> None:
        startup = process_seconds() if startup is None else startup
        self.seconds: dict[str, float] = {"startup": startup} if startup is not None else {}
        self.seconds.update(dict.fromkeys(PHASES[1:], 0.0))
        self._since = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Add the seconds since the last lap to ``phase``."""
        now = time.perf_counter()
        self.seconds[phase] += now - self._since
        self._since = now

    def add(self, phase: str, seconds: float) -> None:
        """Count ``seconds`` spent inside the current phase as ``phase``'s instead (a checkpoint's write)."""
        self.seconds[phase] += seconds
        self._since += seconds

    def on_epoch_end(self, epoch: int, row: Mapping[str, Any], state: Any, history: Mapping[str, list]) -> None:
        """End ``init_and_compile`` when the first call's epochs come back."""
        del epoch, row, state, history
        if self.seconds["init_and_compile"] == 0.0:
            self.lap("init_and_compile")

    def table(self) -> dict[str, float]:
        """Seconds per phase, rounded to ms, and ``total``."""
        seconds = {name: round(value, 3) for name, value in self.seconds.items()}
        return {**seconds, "total": round(sum(self.seconds.values()), 3)}
