"""jaxdl vs PyTorch on FashionMNIST-shaped data: plan the runs, measure every contestant, gather the results.

:func:`compare` is what ``jaxdl bench`` runs; the command writes its :class:`~jaxdl.bench.Results`
to ``results.json``, ``results.md`` and ``scaling.png``.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import sys
from collections.abc import Callable, Iterator

import flax
import jax
import numpy as np
import optax
import torch

from jaxdl._checks import fail
from jaxdl.bench import _jax_contestants as jc
from jaxdl.bench import _precision as prec
from jaxdl.bench import _torch_contestants as tc
from jaxdl.bench._measure import CONTESTANTS, Measurement, failure
from jaxdl.bench._options import Options
from jaxdl.bench._report import Results, targets
from jaxdl.bench._workloads import BATCH_SIZE, LR, WORKLOADS, load_data

PROTOCOL = (
    f"batch {BATCH_SIZE} (last partial batch kept), SGD lr {LR}, cross-entropy, torch default init in both "
    "frameworks; an epoch is one shuffled training pass plus test-set accuracy; the loss is never read "
    "back inside an epoch"
)


RUNNERS: dict[int, Callable] = {
    1: tc.course_loop,
    2: tc.eager_on_device,
    3: tc.compiled_step,
    4: tc.func_vmap,
    5: jc.python_loop,
    6: jc.compiled_fit,
    7: jc.vmapped_fits,
    8: jc.sequential_fits,
    9: jc.vmapped_lr_sweep,
    10: jc.sequential_lr_sweep,
}
"""Contestant number -> function(workload, data, *, precision, epochs, seed, **extra); 1-4 take torch data."""


def plan(opts: Options, workload: str) -> list[tuple[int, int, dict]]:
    """``(contestant, N, extra keyword arguments)`` for every selected run on ``workload``.

    Scaling workloads get every N of ``--models``, the learning-rate sweeps and the sequential
    fits; the others N = 1.
    """
    scaling = workload in opts.scaling_workloads
    counts = opts.models if scaling else (1,)
    sequential = tuple(n for n in counts if n <= opts.sequential_max) if scaling else ()
    jobs = [(1, 1, {}), (2, 1, {}), (3, 1, {})]
    jobs += [(4, n, {"models": n}) for n in counts]
    jobs += [(5, 1, {}), (6, 1, {})]
    jobs += [(7, n, {"models": n}) for n in counts]
    jobs += [(8, max(sequential), {"counts": sequential})] if sequential else []
    jobs += [(9, n, {"models": n}) for n in counts] if scaling else []
    jobs += [(10, max(sequential), {"counts": sequential})] if sequential else []
    return [job for job in jobs if job[0] in opts.contestants]


def describe_row(row: Measurement) -> str:
    """One line about a measured (or failed) row, as ``jaxdl bench`` prints it while it runs."""
    what = f"[{row.precision}] {row.workload:15s} {row.contestant} N={row.models:<4d}"
    if row.ok:
        return f"{what} warm-up {row.warmup_s:8.3f} s  epoch {row.steady_s:8.4f} s  acc {row.test_acc:.3f}"
    return f"{what} failed: {row.error}"


def _ignore(_: str) -> None:
    """The default ``log``: say nothing."""


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Collect, then freeze what lives now (it outlives every contestant), so that the collections between
    contestants scan only the contestants' own objects (a full collection after jax, flax and torch are imported
    takes ~0.3 s on a 2-core CPU)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def measure_all(opts: Options, data: dict, log: Callable[[str], None] = _ignore) -> list[Measurement]:
    """Run every selected contestant on every workload at every precision (failures become rows).

    ``data`` holds the ``"torch"`` and the ``"jax"`` copies of the arrays; ``log`` gets one
    line per row as it is measured.
    """
    rows: list[Measurement] = []
    with _frozen_heap():
        for p in opts.precisions:
            with prec.matmul_precision(p):
                for workload in opts.workloads:
                    for k, n, extra in plan(opts, workload):
                        try:
                            result = RUNNERS[k](
                                WORKLOADS[workload],
                                data["torch" if k <= 4 else "jax"],
                                precision=p,
                                epochs=opts.epochs + 1,
                                seed=opts.seed,
                                **extra,
                            )
                        except Exception as err:  # noqa: BLE001 - reported in the table as "failed: <reason>"
                            result = failure(k, workload, p, n, opts.train_size, err)
                        for row in result if isinstance(result, list) else [result]:
                            log(describe_row(row))
                            rows.append(row)
                        gc.collect()
    return rows


def _software() -> str:
    versions = {
        "jax": jax.__version__,
        "flax": flax.__version__,
        "optax": optax.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def check(opts: Options) -> dict[str, str]:
    """Raise a :class:`ConfigError` unless ``opts`` can run here; return the device's ``slug`` and ``name``."""
    prec.check_device(opts.device)
    if opts.train_size < BATCH_SIZE:
        raise fail("bench", "--train-size", opts.train_size, f"at least one full batch ({BATCH_SIZE})")
    return prec.describe(opts.device)


def compare(opts: Options, *, command: str = "", log: Callable[[str], None] = _ignore) -> Results:
    """Measure every contestant that ``opts`` selects and judge the targets (not for a ``--quick`` run).

    Args:
      opts: the resolved settings (:func:`jaxdl.bench.resolve`).
      command: the command line that reproduces the run, recorded in the results.
      log: gets the device, the data source, then one line per measured row.

    Raises :class:`ConfigError` when the device or the sizes cannot run.
    """
    device = check(opts)
    bench = load_data(opts.train_size, opts.test_size, opts.data_dir, seed=opts.seed)
    log(f"{device['name']}\ndata: {bench.source}")
    with jax.default_device(prec.jax_device(opts.device)):
        data = {"jax": jc.to_dataset(bench), "torch": tc.TorchData(bench, prec.torch_device(opts.device))}
        rows = measure_all(opts, data, log)
    meta = {
        "device": opts.device,
        "device_slug": device["slug"],
        "device_name": device["name"],
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "data_source": bench.source,
        "precisions": {p: prec.PRECISIONS[p] for p in opts.precisions},
        "software": _software(),
        "command": command,
        "protocol": PROTOCOL,
        "contestants": CONTESTANTS,
        "workloads": {w: WORKLOADS[w].description for w in opts.workloads},
        "epochs_timed": opts.epochs,
        "train_size": bench.train_size,
        "test_size": int(bench.X_test.shape[0]),
        "batch_size": BATCH_SIZE,
        "lr": LR,
    }
    scaling = [(w, p) for p in opts.precisions for w in opts.workloads if w in opts.scaling_workloads]
    verdicts = None if opts.quick else targets(rows, opts.device, opts.precisions)
    return Results(meta, rows, verdicts, scaling)
