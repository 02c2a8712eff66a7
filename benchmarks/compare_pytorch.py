"""jaxdl vs PyTorch on FashionMNIST-shaped data: one command, CPU or GPU, same precision.

    python benchmarks/compare_pytorch.py [--device cpu|gpu] [--epochs N] [--models 1,8]
        [--workloads softmax,mlp,mlp_bn_dropout] [--train-size N] [--data-dir DIR] [--out DIR] [--quick]

The same as ``jaxdl bench ...`` (the harness is :mod:`jaxdl.bench`), except that the default
``--out`` is ``results/<device>-<YYYY-MM-DD>`` next to this script. Writes ``results.json``,
``results.md`` and ``scaling.png`` and prints one line per measured row to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jaxdl.cli import bench

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark as ``python benchmarks/compare_pytorch.py``; a bad option exits 2 with one line."""
    return bench.main(
        argv, prog="compare_pytorch.py", command="python benchmarks/compare_pytorch.py", results=str(RESULTS)
    )


if __name__ == "__main__":
    sys.exit(main())
