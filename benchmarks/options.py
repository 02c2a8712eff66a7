"""Command-line options of the benchmark, shared by ``compare_pytorch.py`` and ``jaxdl bench``.

Only argparse here, so ``jaxdl --help`` does not import torch. :func:`resolve` fills the
device-dependent defaults and checks the values.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import shlex
from pathlib import Path

from jaxdl.cli import args as types
from jaxdl.errors import ConfigError, suggest

WORKLOAD_NAMES = ("softmax", "mlp", "mlp_bn_dropout")
PRECISION_NAMES = {"cpu": ("float32",), "gpu": ("highest", "tf32")}
DEFAULT_MODELS = {"cpu": (1, 8), "gpu": (1, 8, 64, 256)}
QUICK = {"train_size": 600, "test_size": 300, "epochs": 2, "models": (1, 2), "sequential_max": 2}
RESULTS = Path(__file__).resolve().parent / "results"
FULL = {"train_size": 60_000, "test_size": 10_000, "epochs": 3, "sequential_max": 8}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--device", choices=("cpu", "gpu"), default=None,
                        help="where both frameworks run (default: gpu when JAX and torch see one, else cpu)")
    parser.add_argument("--epochs", type=types.positive_int, default=None,
                        help="timed epochs after the warm-up epoch; the median is reported (default 3)")
    parser.add_argument("--models", type=types.int_list, default=None,
                        help="numbers of models N for torch.func / fit_many / sequential fits "
                             "(default 1,8 on CPU, 1,8,64,256 on GPU)")
    parser.add_argument("--workloads", default=",".join(WORKLOAD_NAMES),
                        help="comma-separated, from %s (default all)" % ", ".join(WORKLOAD_NAMES))
    parser.add_argument("--scaling-workloads", default="mlp",
                        help="workloads that get every N of --models; the others get N=1 (default mlp)")
    parser.add_argument("--sequential-max", type=types.positive_int, default=None,
                        help="measure N sequential fits only for N up to this (default 8)")
    parser.add_argument("--contestants", type=types.int_list, default=tuple(range(1, 11)),
                        help="which contestants to run, 1-10 (default all)")
    parser.add_argument("--precisions", default=None,
                        help="matmul precisions: float32 on CPU; highest,tf32 on GPU (default: all of the device's)")
    parser.add_argument("--train-size", type=types.positive_int, default=None, help="training images (default 60000)")
    parser.add_argument("--test-size", type=types.positive_int, default=None, help="test images (default 10000)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with FashionMNIST (TFDS or IDX files); without it the data is synthetic")
    parser.add_argument("--seed", type=types.nonnegative_int, default=0, help="seed of data, init and shuffling")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes for a smoke test: 600 train / 300 test images, 2 epochs, N=1,2")
    parser.add_argument("--out", type=types.writable_dir, default=None,
                        help="folder for results.json, results.md, scaling.png "
                             "(default benchmarks/results/<device>-<YYYY-MM-DD>)")


@dataclasses.dataclass(frozen=True)
class Options:
    """The resolved settings of one benchmark run."""

    device: str
    epochs: int
    models: tuple[int, ...]
    workloads: tuple[str, ...]
    scaling_workloads: tuple[str, ...]
    sequential_max: int
    contestants: tuple[int, ...]
    precisions: tuple[str, ...]
    train_size: int
    test_size: int
    data_dir: str | None
    seed: int
    out: str | None

    def command(self, out: str) -> str:
        """The command line that reproduces this run, every option spelled out."""
        parts = ["python", "benchmarks/compare_pytorch.py", "--device", self.device, "--epochs", str(self.epochs),
                 "--models", _join(self.models), "--workloads", ",".join(self.workloads),
                 "--scaling-workloads", ",".join(self.scaling_workloads), "--sequential-max", str(self.sequential_max),
                 "--contestants", _join(self.contestants), "--precisions", ",".join(self.precisions),
                 "--train-size", str(self.train_size), "--test-size", str(self.test_size), "--seed", str(self.seed)]
        if self.data_dir:
            parts += ["--data-dir", self.data_dir]
        return shlex.join(parts + ["--out", shown_path(out)])

    def default_out(self, slug: str) -> str:
        """``benchmarks/results/<slug>-<YYYY-MM-DD>`` in this checkout, wherever the command runs from."""
        return str(RESULTS / f"{slug}-{datetime.date.today().isoformat()}")


def shown_path(path: str) -> str:
    """``path`` relative to the working folder when it lies inside it (for the printed command), else as given."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _join(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def _names(option: str, text: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise ConfigError(f"{option} {text!r} is empty: expected some of {', '.join(choices)}.")
    for name in names:
        if name not in choices:
            raise ConfigError(f"{option} has {name!r}{suggest(name, choices)}: expected names among {', '.join(choices)}.")
    return tuple(dict.fromkeys(names))


def resolve(args: argparse.Namespace, *, gpu_available: bool) -> Options:
    """Fill the defaults (``--quick`` ones first, then the device's) and check every value.

    ``gpu_available`` picks the default device. Raises :class:`ConfigError` on a bad value.
    """
    device = args.device or ("gpu" if gpu_available else "cpu")
    base = {**FULL, "models": DEFAULT_MODELS[device]} | (QUICK if args.quick else {})
    pick = {name: getattr(args, name) if getattr(args, name) is not None else base[name] for name in base}
    for number in args.contestants:
        if not 1 <= number <= 10:
            raise ConfigError(f"--contestants has {number}: expected numbers from 1 to 10.")
    precisions = PRECISION_NAMES[device]
    return Options(
        device=device,
        epochs=pick["epochs"],
        models=tuple(sorted(set(pick["models"]))),
        workloads=_names("--workloads", args.workloads, WORKLOAD_NAMES),
        scaling_workloads=_names("--scaling-workloads", args.scaling_workloads, WORKLOAD_NAMES),
        sequential_max=pick["sequential_max"],
        contestants=tuple(sorted(set(args.contestants))),
        precisions=_names("--precisions", args.precisions, precisions) if args.precisions else precisions,
        train_size=pick["train_size"],
        test_size=pick["test_size"],
        data_dir=args.data_dir,
        seed=args.seed,
        out=args.out,
    )
