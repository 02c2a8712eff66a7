"""``jaxdl plot WHAT --out DIR``: write the course's figures as PNG files."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from jaxdl.activations import ACTIVATIONS, PRELU_INIT
from jaxdl.cli._main import SUBCOMMANDS
from jaxdl.errors import ConfigError, suggest
from jaxdl.plots import plot_activation

PLOTS = ("activations",)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "plot",
        help=SUBCOMMANDS["plot"],
        description="Write one PNG per figure into --out. activations: each activation and its derivative.",
    )
    parser.add_argument("what", help=f"which figures: {', '.join(PLOTS)}")
    parser.add_argument("--out", help="folder for the PNG files (created if missing)")
    parser.add_argument(
        "--names", default=",".join(ACTIVATIONS), help="comma-separated activations (default: %(default)s)"
    )
    parser.add_argument("--alpha", default=str(PRELU_INIT), help="PReLU slope for x <= 0 (default: %(default)s)")
    parser.set_defaults(run=run)


def _out_dir(out: str | None) -> Path:
    if not out:
        raise ConfigError("--out is missing: expected a folder for the PNG files, e.g. --out plots/")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {out!r} is a file: expected a folder (existing or new).")
    return path


def _alpha(text: str) -> float:
    try:
        alpha = float(text)
    except ValueError:
        alpha = math.nan
    if not math.isfinite(alpha):
        raise ConfigError(f"--alpha {text!r} is not a finite number: expected a slope such as 0.25.")
    return alpha


def run(args: argparse.Namespace) -> int:
    """Check every argument, then build the figures, then write them; print one path per file."""
    if args.what not in PLOTS:
        raise ConfigError(
            f"plot {args.what!r} is not known: expected one of {', '.join(PLOTS)}" + suggest(args.what, PLOTS)
        )
    out = _out_dir(args.out)
    names = [name.strip() for name in args.names.split(",") if name.strip()]
    if not names:
        raise ConfigError(f"--names {args.names!r} is empty: expected some of {', '.join(ACTIVATIONS)}.")
    for name in names:
        if name not in ACTIVATIONS:
            expected = f"expected activations among {', '.join(ACTIVATIONS)}"
            raise ConfigError(f"--names has {name!r}: {expected}" + suggest(name, ACTIVATIONS))
    alpha = _alpha(args.alpha)
    figures = {name: plot_activation(name, alpha=alpha) for name in names}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--out {str(out)!r} cannot be created: {err.strerror}.") from err
    for name, fig in figures.items():
        path = out / f"{name}.png"
        fig.savefig(path, dpi=100)
        print(path)
    return 0
