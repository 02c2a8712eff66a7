"""The final summary of a command: a two-column table on stdout (errors go to stderr)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO


def summary_table(title: str, rows: Sequence[tuple[str, str]], stream: TextIO | None = None) -> None:
    """Print ``title`` and the ``(name, value)`` rows as aligned plain lines, never wrapped.

    Values stay whole (a long run-folder path), so a log can be searched.

    >>> summary_table("jaxdl train: mlp on digits", [("test_acc", "0.9722"), ("outputs", "runs/train")])
    jaxdl train: mlp on digits
      test_acc  0.9722
      outputs   runs/train
    """
    width = max((len(name) for name, _ in rows), default=0)
    lines = [title, *(f"  {name:<{width}}  {value}" for name, value in rows)]
    print("\n".join(lines), file=stream, flush=True)
