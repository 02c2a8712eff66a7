"""A rich progress bar over epochs and a final summary table (printing lives only in the CLI)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(stderr=True)


def _format(row: Mapping[str, float]) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch_time")


@contextlib.contextmanager
def epoch_bar(total: int, label: str) -> Iterator:
    """Yield ``callback(epoch, row)`` that advances a bar of ``total`` epochs and shows the metrics."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[metrics]}"))
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(label, total=total, metrics="compiling…")

        def callback(epoch: int, row: Mapping[str, float]) -> None:
            progress.update(task, completed=epoch, metrics=_format(row))

        yield callback


def summary_table(title: str, rows: Sequence[tuple[str, str]]) -> None:
    """Print a two-column table to stderr."""
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
