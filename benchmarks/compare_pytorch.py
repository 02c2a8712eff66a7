"""jaxdl vs PyTorch on FashionMNIST-shaped data: one command, CPU or GPU, same precision.

    python benchmarks/compare_pytorch.py [--device cpu|gpu] [--epochs N] [--models 1,8]
        [--workloads softmax,mlp,mlp_bn_dropout] [--train-size N] [--data-dir DIR] [--out DIR] [--quick]

(also ``jaxdl bench ...``). Writes ``results.json``, ``results.md`` and ``scaling.png`` into
``--out`` and prints one line per measured row to stderr.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path

import flax
import jax
import numpy as np
import optax
import torch

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import jax_contestants as jc  # noqa: E402
from benchmarks import precision as prec  # noqa: E402
from benchmarks import report  # noqa: E402
from benchmarks import torch_contestants as tc  # noqa: E402
from benchmarks.measure import CONTESTANTS, Measurement, failure  # noqa: E402
from benchmarks.options import Options, add_arguments, resolve  # noqa: E402
from benchmarks.workloads import BATCH_SIZE, LR, WORKLOADS, load_data  # noqa: E402
from jaxdl.cli.main import OneLineParser, run_or_report  # noqa: E402
from jaxdl.cli.outputs import staged_output, write_json  # noqa: E402
from jaxdl.errors import ConfigError  # noqa: E402

PROTOCOL = (f"batch {BATCH_SIZE} (last partial batch kept), SGD lr {LR}, cross-entropy, torch default init in both "
            "frameworks; an epoch is one shuffled training pass plus test-set accuracy; the loss is never read "
            "back inside an epoch")


RUNNERS: dict[int, Callable] = {
    1: tc.course_loop, 2: tc.eager_on_device, 3: tc.compiled_step, 4: tc.func_vmap,
    5: jc.python_loop, 6: jc.compiled_fit, 7: jc.vmapped_fits, 8: jc.sequential_fits,
    9: jc.vmapped_lr_sweep, 10: jc.sequential_lr_sweep,
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


def _log(row: Measurement) -> None:
    what = f"[{row.precision}] {row.workload:15s} {row.contestant} N={row.models:<4d}"
    if row.ok:
        print(f"{what} warm-up {row.warmup_s:8.3f} s  epoch {row.steady_s:8.4f} s  acc {row.test_acc:.3f}",
              file=sys.stderr, flush=True)
    else:
        print(f"{what} failed: {row.error}", file=sys.stderr, flush=True)


def measure_all(opts: Options, data: dict) -> list[Measurement]:
    """Run every selected contestant on every workload at every precision (failures become rows).

    ``data`` holds the ``"torch"`` and the ``"jax"`` copies of the arrays.
    """
    rows: list[Measurement] = []
    for p in opts.precisions:
        with prec.matmul_precision(p):
            for workload in opts.workloads:
                for k, n, extra in plan(opts, workload):
                    try:
                        result = RUNNERS[k](WORKLOADS[workload], data["torch" if k <= 4 else "jax"], precision=p,
                                            epochs=opts.epochs + 1, seed=opts.seed, **extra)
                    except Exception as err:  # reported in the table as "failed: <reason>"
                        result = failure(k, workload, p, n, opts.train_size, err)
                    for row in result if isinstance(result, list) else [result]:
                        _log(row)
                        rows.append(row)
                    gc.collect()
    return rows


def _software() -> str:
    versions = {"jax": jax.__version__, "flax": flax.__version__, "optax": optax.__version__,
                "torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def run(args: argparse.Namespace) -> int:
    """Resolve the options, measure, and write results.json, results.md and scaling.png."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # before JAX starts: leave GPU memory to torch too
    gpu = jax.default_backend() == "gpu" and torch.cuda.is_available()
    opts = resolve(args, gpu_available=gpu)
    prec.check_device(opts.device)
    if opts.train_size < BATCH_SIZE:
        raise ConfigError(f"--train-size {opts.train_size}: expected at least one full batch ({BATCH_SIZE}).")
    device = prec.describe(opts.device)
    out = opts.out or opts.default_out(device["slug"])
    bench = load_data(opts.train_size, opts.test_size, opts.data_dir, seed=opts.seed)
    print(f"{device['name']}\ndata: {bench.source}", file=sys.stderr, flush=True)
    with jax.default_device(prec.jax_device(opts.device)):
        data = {"jax": jc.to_dataset(bench), "torch": tc.TorchData(bench, prec.torch_device(opts.device))}
        rows = measure_all(opts, data)
    scaling = [(w, p) for p in opts.precisions for w in opts.workloads if w in opts.scaling_workloads]
    verdicts = report.targets(rows, opts.device, opts.precisions)
    meta = {
        "device": opts.device, "device_slug": device["slug"], "device_name": device["name"],
        "date": datetime.datetime.now().isoformat(timespec="seconds"), "data_source": bench.source,
        "precisions": {p: prec.PRECISIONS[p] for p in opts.precisions}, "software": _software(),
        "command": opts.command(out), "protocol": PROTOCOL, "contestants": CONTESTANTS,
        "workloads": {w: WORKLOADS[w].description for w in opts.workloads},
        "epochs_timed": opts.epochs, "train_size": bench.train_size, "test_size": int(bench.X_test.shape[0]),
        "batch_size": BATCH_SIZE, "lr": LR,
    }
    with staged_output(out) as stage:
        write_json(os.path.join(stage, "results.json"), {
            "meta": meta, "rows": [report.row_json(r, rows) for r in rows], "targets": verdicts,
        })
        with open(os.path.join(stage, "results.md"), "w") as f:
            f.write(report.markdown(meta, rows, verdicts, scaling))
        report.scaling_figure(rows, scaling).savefig(os.path.join(stage, "scaling.png"), dpi=100)
    print(out)
    return 0


def build_parser(prog: str = "compare_pytorch.py") -> argparse.ArgumentParser:
    """The benchmark's parser (errors are one line, exit code 2)."""
    parser = OneLineParser(prog=prog, description=__doc__.splitlines()[0])
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run, and turn a :class:`ConfigError` into one line on stderr and exit code 2."""
    return run_or_report("compare_pytorch.py", run, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
