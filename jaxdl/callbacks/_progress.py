"""``ProgressBar``: the one progress display of jaxdl, for ``fit``, ``fit_many``, ``fit_one_vs_rest`` and the CLI.

Where it writes decides what it shows:

- in Jupyter: a widget (``tqdm.notebook``; plain lines when ``ipywidgets`` is not installed);
- on a terminal: a bar (label, bar, epoch i/N, elapsed, remaining) with the latest metrics on a
  second line, so it stays readable at 80 columns;
- anywhere else (a file, a pipe, a SLURM log): one plain line every ``k`` epochs, every epoch for
  runs of up to :data:`PLAIN_LINES` epochs and about that many lines for longer ones, plus the
  first and the last.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
import sys
import time
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from jaxdl._checks import choice
from jaxdl._notebook import in_notebook
from jaxdl.callbacks._callback import Callback, TrainInfo

PLAIN_LINES = 50
"""About this many plain lines for a long run."""
MODES = ("auto", "bar", "lines")


def format_row(row: Mapping[str, Any]) -> str:
    """``"train_loss 0.1235  test_acc 0.9778"``: 4 significant digits, ``epoch_time`` left out.

    Values with a run axis (``fit_many``) show their mean over the runs.

    >>> format_row({"train_loss": 0.123456, "lr": 1e-06, "epoch_time": 0.1})
    'train_loss 0.1235  lr 1e-06'
    """
    return "  ".join(f"{k} {float(np.nanmean(v)):.4g}" for k, v in row.items() if k != "epoch_time")


def duration(seconds: float) -> str:
    """``h:mm:ss``.

    >>> duration(3725.2)
    '1:02:05'
    """
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def _notebook_tqdm() -> Any | None:
    """``tqdm.notebook.tqdm`` when its widget can be shown (``ipywidgets`` installed), else None."""
    if importlib.util.find_spec("ipywidgets") is None:  # tqdm's widget needs it; without it tqdm only warns
        return None
    from tqdm.notebook import tqdm

    return tqdm


class ProgressBar(Callback):
    """Progress over the epochs: "compiling…" until the first epoch ends, then the latest metrics.

    Args:
      file: where to write (default ``sys.stderr``); the CLI writes to ``sys.stdout``.
      label: what trains, e.g. ``"mlp on digits"`` (default: the trainer's label, ``"fit"``).
      mode: ``"auto"`` (a widget in Jupyter, a bar on a terminal, plain lines otherwise),
        ``"bar"`` or ``"lines"``.

    >>> import io
    >>> log = io.StringIO()
    >>> bar = ProgressBar(file=log)
    >>> bar.on_train_begin(TrainInfo(total_epochs=2, first_epoch=1, steps_per_epoch=6, label="mlp on digits"))
    >>> bar.on_epoch_end(1, {"train_loss": 0.5, "test_acc": 0.875}, None, {})
    >>> print(log.getvalue().splitlines()[1][:41])
    epoch 1/2  train_loss 0.5  test_acc 0.875
    """

    can_stop: bool = False

    def __init__(self, file: IO[str] | None = None, *, label: str | None = None, mode: str = "auto") -> None:
        self.file, self.label = file, label
        self.mode = choice("ProgressBar", "mode", mode, MODES)
        self._bar: Any = None
        self._metrics: Any = None
        self._plain = False
        self._total, self._first, self._every, self._start = 0, 1, 1, 0.0

    def _stream(self) -> IO[str]:
        return self.file if self.file is not None else sys.stderr

    def on_train_begin(self, info: TrainInfo) -> None:
        """Show the bar, widget or first line, saying "compiling…" (a second run gets a new bar)."""
        self.close()
        self._total, self._first = info.total_epochs, info.first_epoch
        self._every = max(1, math.ceil(self._total / PLAIN_LINES))
        self._start = time.monotonic()
        stream, label = self._stream(), self.label or info.label
        widget = _notebook_tqdm() if self.mode == "auto" and in_notebook() else None
        self._plain = self.mode == "lines" or (widget is None and self.mode == "auto" and not _isatty(stream))
        if self._plain:
            print(f"{label}: {self._total} epochs, compiling…", file=stream, flush=True)
            return
        if widget is not None:
            self._bar = widget(total=self._total, initial=self._first - 1, desc=label, unit="epoch")
            self._bar.set_postfix_str("compiling…")
            return
        from tqdm import tqdm

        common = {"file": stream, "dynamic_ncols": True, "leave": True}
        self._bar = tqdm(
            total=self._total,
            initial=self._first - 1,
            desc=label,
            unit="epoch",
            bar_format="{desc} {bar:20} {n_fmt}/{total_fmt} {elapsed}<{remaining}",
            **common,
        )
        self._metrics = tqdm(total=0, bar_format="{desc}", desc="compiling…", position=1, **common)

    def on_epoch_end(self, epoch: int, row: Mapping[str, Any], state: Any, history: Mapping[str, list]) -> None:
        """Advance to ``epoch`` with that epoch's metrics."""
        del state, history
        text = format_row(row)
        if self._plain:
            if epoch % self._every == 0 or epoch in (self._first, self._total):
                elapsed = duration(time.monotonic() - self._start)
                print(f"epoch {epoch}/{self._total}  {text}  {elapsed}", file=self._stream(), flush=True)
            return
        if self._bar is None:
            return
        if self._metrics is not None:
            self._metrics.set_description_str(_fit_width(text), refresh=False)
        else:
            self._bar.set_postfix_str(text, refresh=False)
        self._bar.update(epoch - self._bar.n)

    def on_train_end(self, result: Any) -> None:
        """Close the bar (the plain lines need nothing)."""
        del result
        self.close()

    def close(self) -> None:
        """Close the bar and its metrics line (the trainers call this when training raises)."""
        for bar in (self._bar, self._metrics):
            if bar is not None:
                bar.close()
        self._bar = self._metrics = None


def _fit_width(text: str) -> str:
    """``text`` cut with "…" to the terminal's width (``$COLUMNS`` when set), so the line never wraps."""
    width = shutil.get_terminal_size().columns
    return text if len(text) < width else text[: max(width - 2, 0)] + "…"


def _isatty(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False
