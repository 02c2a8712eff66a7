"""``jaxdl bench``: run ``benchmarks/compare_pytorch.py`` (jaxdl vs PyTorch) with the same options.

The benchmark lives in the source checkout's ``benchmarks/`` folder, next to the ``jaxdl``
package; it is not installed with the package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jaxdl.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "compare_pytorch.py"


def _importable() -> bool:
    """Make the checkout's ``benchmarks`` package importable; False when there is none."""
    if not SCRIPT.is_file():
        return False
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return True


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand (its options are the benchmark's own)."""
    description = "Benchmark jaxdl against PyTorch on FashionMNIST-shaped data; writes results.json, results.md, scaling.png."
    p = sub.add_parser("bench", help="benchmark jaxdl against PyTorch (CPU or GPU, same precision)",
                       description=description)
    if _importable():
        from benchmarks.options import add_arguments

        add_arguments(p)
    else:
        p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Forward the parsed options to the benchmark's ``run``."""
    if not _importable():
        raise ConfigError(
            f"jaxdl bench needs the source checkout: {SCRIPT} does not exist. "
            "Clone the jaxdl repository and run it from there (pip install -e .)."
        )
    from benchmarks import compare_pytorch

    return compare_pytorch.run(args)
