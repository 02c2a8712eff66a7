"""``jaxdl bench``: jaxdl against PyTorch (:mod:`jaxdl.bench`); writes results.json, results.md, scaling.png.

PyTorch is optional: without it the command says how to install it and exits with code 2.
``python benchmarks/compare_pytorch.py`` in the source checkout runs :func:`main` too.
"""

from __future__ import annotations

import argparse
import os
import sys

from jaxdl import _readers as types
from jaxdl import bench
from jaxdl.cli._flags import add_run_folder
from jaxdl.cli._main import SUBCOMMANDS, OneLineParser, run_or_report
from jaxdl.experiments import claim_run_folder, staged, write_json

__all__ = ["build_parser", "main"]

DESCRIPTION = (
    "Benchmark jaxdl against PyTorch on FashionMNIST-shaped data (CPU or GPU, same precision); "
    "writes results.json, results.md, scaling.png."
)


def add_arguments(parser: argparse.ArgumentParser, *, results: str = bench.RESULTS) -> None:
    """Add the benchmark's options to ``parser``; ``results`` is the parent folder of the default ``--out``."""
    names = bench.WORKLOAD_NAMES
    parser.add_argument(
        "--device",
        choices=("cpu", "gpu"),
        default=None,
        help="where both frameworks run (default: gpu when JAX and torch see one, else cpu)",
    )
    parser.add_argument(
        "--epochs",
        type=types.positive_int,
        default=None,
        help="timed epochs after the warm-up epoch; the median is reported (default 3)",
    )
    parser.add_argument(
        "--models",
        type=types.int_list,
        default=None,
        help="numbers of models N for torch.func / fit_many / sequential fits (default 1,8 on CPU, 1,8,64,256 on GPU)",
    )
    parser.add_argument(
        "--workloads",
        default=None,
        help=f"comma-separated, from {', '.join(names)} (default all; mlp with --quick)",
    )
    parser.add_argument(
        "--scaling-workloads",
        default="mlp",
        help="workloads that get every N of --models; the others get N=1 (default mlp)",
    )
    parser.add_argument(
        "--sequential-max",
        type=types.positive_int,
        default=None,
        help="measure N sequential fits only for N up to this (default 8)",
    )
    parser.add_argument(
        "--contestants",
        type=types.int_list,
        default=None,
        help="which contestants to run, 1-10 (default all; all but 3, torch.compile, with --quick)",
    )
    parser.add_argument(
        "--precisions",
        default=None,
        help="matmul precisions: float32 on CPU; highest,tf32 on GPU (default: all of the device's)",
    )
    parser.add_argument("--train-size", type=types.positive_int, default=None, help="training images (default 60000)")
    parser.add_argument("--test-size", type=types.positive_int, default=None, help="test images (default 10000)")
    parser.add_argument(
        "--data-dir",
        type=types.existing_dir,
        default=None,
        help="folder with FashionMNIST (TFDS or IDX files); without it the data is synthetic",
    )
    parser.add_argument("--seed", type=types.nonnegative_int, default=0, help="seed of data, init and shuffling")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test in seconds: 600 train / 300 test images, 2 epochs, N=1,2, the mlp workload, every "
        "contestant but torch.compile; its 3-step epochs judge no targets (only a run without --quick does)",
    )
    add_run_folder(parser, os.path.join(results, "<device>-<YYYY-MM-DD>"), "results.json, results.md, scaling.png")
    parser.set_defaults(run=run, results=results, command_prog="jaxdl bench")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand."""
    p = sub.add_parser("bench", help=SUBCOMMANDS["bench"], description=DESCRIPTION)
    add_arguments(p)


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Resolve the options, measure, write results.json, results.md and scaling.png, print the folder."""
    bench.require_torch()
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # before JAX starts: leave GPU memory to torch too
    opts = bench.resolve(args, gpu_available=bench.gpu_available())
    device = bench.check(opts)
    default = opts.default_out(device["slug"], args.results)
    with claim_run_folder(opts.out, kind="bench", default=default, overwrite=args.overwrite) as out:
        results = bench.compare(opts, command=opts.command(out, args.command_prog), log=_log)
        with staged(out, replace=args.overwrite) as stage:
            write_json(os.path.join(stage, "results.json"), results.to_json())
            with open(os.path.join(stage, "results.md"), "w") as f:
                f.write(results.markdown())
            results.figure().savefig(os.path.join(stage, "scaling.png"), dpi=100)
    print(bench.shown_path(out))
    return 0


def build_parser(prog: str = "jaxdl bench", *, results: str = bench.RESULTS) -> argparse.ArgumentParser:
    """The benchmark's own parser, for scripts (errors are one line, exit code 2)."""
    parser = OneLineParser(prog=prog, description=DESCRIPTION)
    add_arguments(parser, results=results)
    return parser


def main(
    argv: list[str] | None = None,
    *,
    prog: str = "jaxdl bench",
    command: str | None = None,
    results: str = bench.RESULTS,
) -> int:
    """Parse ``argv`` and run; errors are one ``prog: error: ...`` line and exit code 2.

    ``command`` starts the command line recorded in the results (default ``prog``); ``results``
    is the parent folder of the default ``--out``.
    """
    args = build_parser(prog, results=results).parse_args(argv)
    args.command_prog = command or prog
    return run_or_report(prog, run, args)
