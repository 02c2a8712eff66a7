"""Pieces several test files share: a fixed optimizer problem, the CLI in this process or a new one, compile logs."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jax
import numpy as np

from jaxdl.cli import main
from jaxdl.train import train_step

ROOT = Path(__file__).resolve().parents[1]

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


# ``train_step`` as ``fit`` runs it, compiled: one program per state and batch shape, where an eager call compiles
# each of its ~100 operations on its own (~5 s on a busy 2-core machine). One object, so tests share its compilations.
jitted_train_step = jax.jit(train_step, static_argnames="objective")


def run_cli(args: list[str]) -> int:
    """``jaxdl ARGS`` in this process; its exit code (argparse's SystemExit included)."""
    try:
        return main(args)
    except SystemExit as exit_:
        return exit_.code


def training_xla_flags() -> str:
    """``XLA_FLAGS`` with the suite's LLVM level 0 raised to 1, for a process whose time is training, not compiling.

    At level 0 element-wise loops run unvectorised: a convolutional net trained over epochs runs ~8x slower
    (tests/conftest.py's ``FAST_COMPILE``).
    """
    return os.environ.get("XLA_FLAGS", "").replace(
        "--xla_backend_optimization_level=0", "--xla_backend_optimization_level=1"
    )


def jaxdl_process(args: list[str], cwd: Path) -> None:
    """``jaxdl ARGS`` in a new process compiling with :func:`training_xla_flags`; fails unless it exits 0."""
    proc = subprocess.run(
        [sys.executable, "-m", "jaxdl.cli", *args],
        cwd=cwd,
        env={**os.environ, "XLA_FLAGS": training_xla_flags(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"jaxdl {' '.join(args)} failed (rc {proc.returncode}):\n{proc.stderr[-4000:]}"


def one_error_line(capsys) -> str:
    """The single stderr line of the command just run (no traceback)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def torch_trajectory(cls, kwargs: dict, dtype, schedule=None, *, seed: int, steps: int, sign: float = 1.0) -> dict:
    """The parameters after each of ``steps`` ``torch.optim`` steps on :func:`mlp_problem`'s batches, in turn.

    ``cls(params, foreach=False, **kwargs)`` minimises ``sign *`` the cross-entropy of the tanh MLP in
    ``dtype`` (the default dtype too, while it runs); ``schedule`` is None or a ``LambdaLR`` factor,
    stepped after every ``optimizer.step()``. Returns name -> array (steps, *shape).
    """
    import torch

    x, y, params = mlp_problem(seed)
    x, y = torch.tensor(x, dtype=dtype), torch.tensor(y)
    p = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in params.items()}
    default, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(dtype)
    torch.set_num_threads(1)  # tiny tensors: a thread pool only spins on a shared CPU
    try:
        opt = cls(list(p.values()), foreach=False, **kwargs)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule) if schedule else None
        out = {k: [] for k in p}
        for i in range(steps):
            opt.zero_grad()
            logits = torch.tanh(x[i % N_BATCHES] @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
            (sign * torch.nn.functional.cross_entropy(logits, y[i % N_BATCHES])).backward()
            opt.step()
            if sched:
                sched.step()
            for k, v in p.items():
                out[k].append(v.detach().numpy().copy())
    finally:
        torch.set_default_dtype(default)
        torch.set_num_threads(threads)
    return {k: np.stack(v) for k, v in out.items()}


def wait_until(proc, ready: Callable[[], bool], timeout: float = 300) -> None:
    """Poll until ``ready()`` while ``proc`` (a running subprocess) is alive; fail if it ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline, "the awaited file did not appear"
        time.sleep(0.01)


@contextlib.contextmanager
def compiled_programs() -> Iterator[list[str]]:
    """Names of the programs jax compiles inside the block (from ``jax.log_compiles``)."""
    names: list[str] = []
    with _on_compile(lambda name, _: names.append(name)):
        yield names


@contextlib.contextmanager
def compiles_by_thread() -> Iterator[list[tuple[str, str]]]:
    """``(program name, thread name)`` of each compile inside the block (from ``jax.log_compiles``)."""
    compiles: list[tuple[str, str]] = []
    with _on_compile(lambda name, thread: compiles.append((name, thread))):
        yield compiles


@contextlib.contextmanager
def _on_compile(record: Callable[[str, str], None]) -> Iterator[None]:
    """Call ``record(program name, thread name)`` for each compile jax logs, on any thread, inside the block."""

    class Grab(logging.Handler):
        def emit(self, rec):
            match = re.match(r"Compiling jit\((\w+|<lambda>)\)", rec.getMessage())
            if match:
                record(match.group(1), rec.threadName)

    handler, logger = Grab(level=logging.WARNING), logging.getLogger("jax")
    logger.addHandler(handler)
    was = jax.config.jax_log_compiles
    jax.config.update("jax_log_compiles", True)  # for every thread (``jax.log_compiles()`` sets only this one's)
    try:
        yield
    finally:
        jax.config.update("jax_log_compiles", was)
        logger.removeHandler(handler)
