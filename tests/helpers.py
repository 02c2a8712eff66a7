"""Small pieces several test files share: a fixed optimizer problem and the CLI's one-line error check."""

from __future__ import annotations

import numpy as np

from jaxdl.cli.main import main

N_BATCHES, BATCH = 4, 16
SIZES = (5, 8, 3)


def mlp_problem(seed: int):
    """Fixed batches x (4, 16, 5), labels y (4, 16) and initial parameters of a 5-8-3 tanh MLP, as float64 numpy."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_BATCHES, BATCH, SIZES[0]))
    y = rng.integers(0, SIZES[2], size=(N_BATCHES, BATCH))
    params = {
        "w1": rng.normal(size=SIZES[:2]) * 0.5,
        "b1": rng.normal(size=SIZES[1]) * 0.1,
        "w2": rng.normal(size=SIZES[1:]) * 0.5,
        "b2": rng.normal(size=SIZES[2]) * 0.1,
    }
    return x, y, params


def run_cli(args: list[str]) -> int:
    """``jaxdl ARGS`` in this process; its exit code (argparse's SystemExit included)."""
    try:
        return main(args)
    except SystemExit as exit_:
        return exit_.code


def one_error_line(capsys) -> str:
    """The single stderr line of the command just run (no traceback)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]
