"""Write a run's files: JSON and CSV writers, and staging for the benchmark scripts without a run folder
(benchmarks/matmul_bound.py, benchmarks/mesh_scaling.py)."""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import shutil
import threading
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from jaxdl.errors import ConfigError
from jaxdl.experiments._rundir import new_stage, remove_dead_stages


@contextlib.contextmanager
def staged_output(out: str) -> Iterator[str]:
    """Yield a temporary folder beside ``out``; on success its files move into ``out``.

    If the block raises, the temporary folder is removed and ``out`` is left as it was; those of
    killed processes beside ``out`` are removed first.
    """
    parent = os.path.dirname(os.path.abspath(out))
    try:
        os.makedirs(parent, exist_ok=True)
        remove_dead_stages(parent)
        stage = new_stage(parent)
    except OSError as err:
        raise ConfigError(f"--out {out!r} is not writable: {err.strerror}.") from None
    try:
        yield stage
        if not os.path.exists(out):
            os.rename(stage, out)
            return
        for name in os.listdir(stage):
            os.replace(os.path.join(stage, name), os.path.join(out, name))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _draw_once() -> None:
    """Import the plots and draw a small two-panel figure like curves.png to PNG in memory: matplotlib's
    imports, fonts and renderer are ready when the run's own curves.png is drawn. Plain matplotlib, so
    nothing of jaxdl's own (a replaced ``plot_history``) runs in the background."""
    import io

    from matplotlib.figure import Figure

    import jaxdl.plots  # noqa: F401  (the import is the point)

    fig = Figure(figsize=(2, 1), layout="constrained")
    for i in (1, 2):
        ax = fig.add_subplot(1, 2, i)
        ax.plot([1, 2], [1.0, 0.5], "-", label="train")
        ax.plot([1, 2], [1.1, 0.6], "--", label="test")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle("warm-up")
    fig.savefig(io.BytesIO(), format="png", dpi=10)


def prepare_plots() -> threading.Thread:
    """Start preparing matplotlib (imports, fonts, the PNG renderer) in a background thread, to run while
    the device trains; ``join()`` it before plotting. Its only effect is what Python keeps loaded (an error
    there is left to the real plot)."""

    def run() -> None:
        with contextlib.suppress(Exception):
            _draw_once()

    thread = threading.Thread(target=run, name="jaxdl-prepare-plots", daemon=True)
    thread.start()
    return thread


def write_json(path: str, payload: dict) -> None:
    """Write ``payload`` as indented JSON with sorted keys (byte-identical for equal payloads)."""
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.write("\n")


def write_csv(path: str, history: dict[str, list[float]]) -> None:
    """Write a history as CSV: a header ``epoch,<metric>,...`` (sorted names), then one row per epoch (from 1).

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_csv(os.path.join(folder, "m.csv"), {"train_loss": [0.5, 0.25]})
    ...     with open(os.path.join(folder, "m.csv")) as f:
    ...         print(f.read(), end="")
    epoch,train_loss
    1,0.5
    2,0.25
    """
    names = sorted(history)
    rows = zip(*(history[name] for name in names), strict=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["epoch", *names])
        for epoch, row in enumerate(rows, start=1):
            writer.writerow([epoch, *(repr(float(v)) for v in row)])


def finite_or_none(values: npt.ArrayLike) -> list[float | None]:
    """A list of floats with NaN/inf as ``None`` (strict JSON).

    >>> finite_or_none([0.5, float("nan")])
    [0.5, None]
    """
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).tolist()]
