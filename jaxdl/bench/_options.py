"""The resolved settings of one benchmark run: :func:`resolve` fills the defaults and checks the values.

Torch-free, so parsing and checking options never imports torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import shlex

from jaxdl._checks import fail
from jaxdl._install import pip_install
from jaxdl.errors import ConfigError, unknown

WORKLOAD_NAMES = ("softmax", "mlp", "mlp_bn_dropout")
PRECISION_NAMES = {"cpu": ("float32",), "gpu": ("highest", "tf32")}
DEFAULT_MODELS = {"cpu": (1, 8), "gpu": (1, 8, 64, 256)}
ALL_CONTESTANTS = tuple(range(1, 11))
QUICK = {
    "train_size": 600,
    "test_size": 300,
    "epochs": 2,
    "models": (1,),
    "sequential_max": 2,
    "workloads": "mlp",
    "contestants": tuple(k for k in ALL_CONTESTANTS if k != 3),
}
"""``--quick``'s defaults: a smoke test of every contestant but torch.compile (its compile alone takes ~50 s
on a CPU) on the MLP, one model each (``--models 1,2`` adds the vmapped pairs); options given on the command
line win. Its epochs are 3 steps: no target is judged."""
RESULTS = os.path.join("benchmarks", "results")
"""Default parent folder of a run's results, relative to the working folder."""
FULL = {
    "train_size": 60_000,
    "test_size": 10_000,
    "epochs": 3,
    "sequential_max": 8,
    "workloads": ",".join(WORKLOAD_NAMES),
    "contestants": ALL_CONTESTANTS,
}


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
    quick: bool = False

    def command(self, out: str, prog: str = "jaxdl bench") -> str:
        """The command line (starting with ``prog``) that reproduces this run, every option spelled out.

        >>> opts = Options("cpu", 2, (1,), ("mlp",), ("mlp",), 1, (6,), ("float32",), 600, 300, None, 0, None)
        >>> opts.command("out").split(" --")[:3]
        ['jaxdl bench', 'device cpu', 'epochs 2']
        """
        parts = [
            *shlex.split(prog),
            "--device",
            self.device,
            "--epochs",
            str(self.epochs),
            "--models",
            _join(self.models),
            "--workloads",
            ",".join(self.workloads),
            "--scaling-workloads",
            ",".join(self.scaling_workloads),
            "--sequential-max",
            str(self.sequential_max),
            "--contestants",
            _join(self.contestants),
            "--precisions",
            ",".join(self.precisions),
            "--train-size",
            str(self.train_size),
            "--test-size",
            str(self.test_size),
            "--seed",
            str(self.seed),
        ]
        if self.data_dir:
            parts += ["--data-dir", self.data_dir]
        if self.quick:
            parts.append("--quick")
        return shlex.join(parts + ["--out", shown_path(out)])

    def default_out(self, slug: str, results: str = RESULTS) -> str:
        """``<results>/<slug>-<YYYY-MM-DD>``: by default ``benchmarks/results/…`` under the working folder."""
        return os.path.join(results, f"{slug}-{datetime.date.today().isoformat()}")


def shown_path(path: str) -> str:
    """``path`` relative to the working folder when it lies inside it (for the printed command), else as given."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _join(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def _names(option: str, text: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise fail("bench", option, text, f"some of {', '.join(choices)}")
    for name in names:
        if name not in choices:
            raise unknown(option.removeprefix("--").removesuffix("s").replace("-", " "), name, choices, where="bench")
    return tuple(dict.fromkeys(names))


def resolve(args: argparse.Namespace, *, gpu_available: bool) -> Options:
    """Fill the defaults (``--quick`` ones first, then the device's) and check every value.

    ``args`` holds the options of ``jaxdl bench`` (None where not given); ``gpu_available``
    picks the default device. Raises :class:`ConfigError` on a bad value.
    """
    device = args.device or ("gpu" if gpu_available else "cpu")
    base = {**FULL, "models": DEFAULT_MODELS[device]} | (QUICK if args.quick else {})
    pick = {name: getattr(args, name) if getattr(args, name) is not None else base[name] for name in base}
    for number in pick["contestants"]:
        if not 1 <= number <= 10:
            raise fail("bench", "--contestants", number, "numbers from 1 to 10", got=f"{number} in it")
    precisions = PRECISION_NAMES[device]
    return Options(
        device=device,
        epochs=pick["epochs"],
        models=tuple(sorted(set(pick["models"]))),
        workloads=_names("--workloads", pick["workloads"], WORKLOAD_NAMES),
        scaling_workloads=_names("--scaling-workloads", args.scaling_workloads, WORKLOAD_NAMES),
        sequential_max=pick["sequential_max"],
        contestants=tuple(sorted(set(pick["contestants"]))),
        precisions=_names("--precisions", args.precisions, precisions) if args.precisions else precisions,
        train_size=pick["train_size"],
        test_size=pick["test_size"],
        data_dir=args.data_dir,
        seed=args.seed,
        out=args.out,
        quick=args.quick,
    )


TORCH_HINT = pip_install("torch")


def require_torch() -> None:
    """Raise a one-line :class:`ConfigError` that says how to install PyTorch when it cannot be imported."""
    try:
        import torch  # noqa: F401
    except ImportError as err:
        raise ConfigError(
            f"the benchmark compares against PyTorch, which is not installed ({err}): {TORCH_HINT}"
        ) from None
