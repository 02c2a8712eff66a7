"""The CLI's progress over epochs and its final summary, both on stdout (errors go to stderr).

On a terminal: a rich bar (label, bar, epoch i/N, elapsed, remaining) with the latest metrics on
a second line, so it stays readable at 80 columns. When stdout is not a terminal (``jaxdl train >
log``, a SLURM job): one plain line every ``k`` epochs (every epoch for runs of up to
:data:`PLAIN_LINES` epochs, about that many lines for longer ones), plus the first and the last.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from jaxdl.callbacks import Callback, TrainInfo

PLAIN_LINES = 50


def format_metrics(row: Mapping[str, float]) -> str:
    """``"train_loss 0.1234  test_acc 0.9778"``: 4 significant digits, ``epoch_time`` left out."""
    return "  ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch_time")


class _TwoLineProgress(Progress):
    """A rich Progress with a line of metrics under the bar."""

    metrics = "compiling…"

    def get_renderables(self):
        yield self.make_tasks_table(self.tasks)
        yield Text(self.metrics, no_wrap=True, overflow="ellipsis")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class EpochProgress(Callback):
    """Progress of ``total`` epochs: a bar on a terminal, plain lines otherwise.

    A :class:`jaxdl.callbacks.Callback`: pass it in ``fit(..., callbacks=[...])``, or use it as a
    context manager and call :meth:`on_epoch_end` yourself (``fit_many``'s ``callback``); the bar
    is closed on leaving the block, also after an error.

    Args:
      total: epochs of the run (the last epoch number).
      label: what trains, e.g. ``"mlp on digits"``.
      first_epoch: the epoch training starts from (``--resume`` continues at a later one).
      stream: where to write (default ``sys.stdout``).
    """

    def __init__(self, total: int, label: str, *, first_epoch: int = 1, stream: TextIO | None = None) -> None:
        self.total, self.label, self.first_epoch = total, label, first_epoch
        self.stream = stream if stream is not None else sys.stdout
        self.every = max(1, math.ceil(total / PLAIN_LINES))
        self._bar: _TwoLineProgress | None = None
        self._task: TaskID | None = None
        self._start = 0.0
        self._started = False

    def on_train_begin(self, info: TrainInfo | None = None) -> None:
        """Show the bar (with "compiling…") or the first plain line; a second call only takes ``info``."""
        if info is not None:
            self.total, self.first_epoch = info.total_epochs, info.first_epoch
            self.every = max(1, math.ceil(self.total / PLAIN_LINES))
        if self._started:
            return
        self._started = True
        self._start = time.monotonic()
        if self.stream.isatty():
            console = Console(file=self.stream)
            self._bar = _TwoLineProgress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=20),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
            )
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.first_epoch - 1)
            self._bar.start()
        else:
            print(f"{self.label}: {self.total} epochs, compiling…", file=self.stream, flush=True)

    def on_epoch_end(
        self, epoch: int, row: Mapping[str, float], state: Any = None, history: Mapping[str, list] | None = None
    ) -> None:
        """Advance to ``epoch`` (counted from 1) with that epoch's metrics ``row``."""
        del state, history
        if self._bar is not None and self._task is not None:
            self._bar.metrics = format_metrics(row)
            self._bar.update(self._task, completed=epoch)
        elif epoch % self.every == 0 or epoch in (self.first_epoch, self.total):
            elapsed = _duration(time.monotonic() - self._start)
            print(f"epoch {epoch}/{self.total}  {format_metrics(row)}  {elapsed}", file=self.stream, flush=True)

    def on_train_end(self, result: Any = None) -> None:
        """Close the bar (a no-op for plain lines)."""
        del result
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> EpochProgress:
        self.on_train_begin()
        return self

    def __exit__(self, *exc) -> None:
        self.on_train_end()


def summary_table(title: str, rows: Sequence[tuple[str, str]], stream: TextIO | None = None) -> None:
    """Print a two-column table to stdout: a rich table in a terminal, else plain unwrapped lines.

    Plain lines keep every value (a long run-folder path) whole, so a log can be searched.
    """
    out = stream if stream is not None else sys.stdout
    if not out.isatty():
        width = max(len(name) for name, _ in rows)
        out.write("".join([f"{title}\n", *(f"  {name:<{width}}  {value}\n" for name, value in rows)]))
        out.flush()
        return
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value)
    Console(file=out).print(table)
