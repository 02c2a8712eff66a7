"""Exact resume: ``fit(initial=...)``, run checkpoints, and ``jaxdl train --resume`` after a real SIGKILL."""

import functools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import optax
import pytest

from jaxdl import checkpoint, data, optim, schedules
from jaxdl.cli import main
from jaxdl.errors import ConfigError
from jaxdl.models import MLP
from jaxdl.train import fit
from tests.helpers import wait_until

REPO = Path(__file__).resolve().parents[1]
QUICK = [
    "train",
    "--hidden",
    "16",
    "--dropout",
    "0.2",
    "--batch-norm",
    "--optimizer",
    "adam",
    "--lr",
    "0.01",
    "--batch-size",
    "128",
]


MODEL = MLP(hidden=(16,), dropout=0.2, batch_norm=True)
ADAM = optax.adam(1e-2)  # one optimizer object: every fit below shares one compiled epoch


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def train(digits):
    """``fit`` of MODEL on digits with ADAM, batch 128, seed 3; pass ``epochs`` (and ``initial``)."""
    return functools.partial(fit, MODEL, digits, optimizer=ADAM, batch_size=128, seed=3)


def leaves(tree) -> list[np.ndarray]:
    """Every array of a state or raw checkpoint dict, keys as their raw data, in a fixed order."""
    return [
        np.asarray(jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x)
        for x in jax.tree.leaves(tree)
    ]


def assert_bit_identical(a, b):
    la, lb = leaves(a), leaves(b)
    assert len(la) == len(lb) > 0
    for x, y in zip(la, lb, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()


def without_time(history):
    return {k: v for k, v in history.items() if k != "epoch_time"}


def cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_fit_continued_from_a_saved_run_is_bit_identical(train, tmp_path):
    full = train(epochs=5)
    part = train(epochs=2)
    checkpoint.save_run(tmp_path / "run", part.state, config={"seed": 3}, history=part.history)
    saved = checkpoint.load_run(tmp_path / "run")
    assert saved.epochs_done == 2 and saved.config == {"seed": 3}
    resumed = train(epochs=5, initial=saved)
    assert_bit_identical(resumed.state.params, full.state.params)
    assert_bit_identical(resumed.state.batch_stats, full.state.batch_stats)
    assert_bit_identical(resumed.state.opt_state, full.state.opt_state)
    assert_bit_identical(resumed.state.key, full.state.key)
    assert without_time(resumed.history) == without_time(full.history)
    assert len(resumed.history["epoch_time"]) == 5


def test_continuing_a_fit_result_leaves_it_usable(train):
    part = train(epochs=2)
    before = leaves(part.state.params)
    continued = train(epochs=4, initial=part)
    assert [x.tobytes() for x in leaves(part.state.params)] == [x.tobytes() for x in before]
    assert len(part.history["train_loss"]) == 2 and len(continued.history["train_loss"]) == 4
    assert without_time(continued.history) == without_time(train(epochs=4).history)


def test_plateau_schedule_resumes_exactly(digits):
    plateau = schedules.reduce_lr_on_plateau(0.5, factor=0.5, patience=1, threshold=0.2)
    train = functools.partial(
        fit, MLP(hidden=(16,)), digits, optimizer=lambda lr: optim.sgd(lr=lr), schedule=plateau, batch_size=128, seed=0
    )
    full = train(epochs=9)
    resumed = train(epochs=9, initial=train(epochs=4))
    assert len(set(full.history["lr"][4:])) > 1, "the rate must change after the resume point"
    assert without_time(resumed.history) == without_time(full.history)
    assert_bit_identical(resumed.state.params, full.state.params)


def test_initial_from_a_longer_run_is_a_clear_error(train):
    part = train(epochs=3)
    with pytest.raises(ConfigError, match=r"fit: epochs must be at least the 3 epochs initial has run .*, got 2"):
        train(epochs=2, initial=part)


def test_state_only_checkpoint_is_not_a_run(train, tmp_path):
    result = train(epochs=1)
    checkpoint.save(tmp_path / "state", result.state)
    with pytest.raises(ConfigError, match="holds a training state only, not a run"):
        checkpoint.load_run(tmp_path / "state")
    checkpoint.save_run(tmp_path / "run", result.state, config={}, history=result.history)
    assert_bit_identical(checkpoint.restore(tmp_path / "run", like=result.state), result.state)


def test_resume_checks_its_arguments_then_trains_longer_exactly(tmp_path, capsys):
    short, longer = tmp_path / "short", tmp_path / "long"
    assert cli([*QUICK, "--epochs", "3", "--checkpoint-every", "2", "--out", str(short)]) == 0
    assert checkpoint.load_run(short / "checkpoint").epochs_done == 3
    capsys.readouterr()
    assert cli(["train", "--resume", str(short), "--lr", "0.5", "--hidden", "16", "--batch-norm"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"jaxdl train: error: --resume {str(short)!r} continues that run with its saved settings, but you gave "
        "--lr 0.5 (saved: 0.01): leave those out, or start a new run with another --out."
    )
    assert cli(["train", "--resume", str(short), "--epochs", "2"]) == 2
    assert f"--epochs 2: the run in {str(short)!r} has already done 3 epochs" in capsys.readouterr().err
    assert cli(["train", "--resume", str(short), "--out", str(tmp_path / "elsewhere")]) == 2
    assert "--out" in capsys.readouterr().err and not (tmp_path / "elsewhere").exists()
    assert cli(["train", "--resume", str(tmp_path)]) == 2
    assert "no checkpoint file there" in capsys.readouterr().err

    assert cli(["train", "--resume", str(short), "--epochs", "5"]) == 0
    assert cli([*QUICK, "--epochs", "5", "--out", str(longer)]) == 0
    assert (short / "metrics.json").read_bytes() == (longer / "metrics.json").read_bytes()
    assert_bit_identical(
        checkpoint.load_run(short / "checkpoint").saved_state, checkpoint.load_run(longer / "checkpoint").saved_state
    )


def checkpointed_epochs(path: Path) -> int:
    try:
        return checkpoint.load_run(path).epochs_done
    except ConfigError:
        return 0


def test_run_killed_after_epoch_k_resumes_bit_identical_to_an_uninterrupted_run(tmp_path):
    epochs, kill_after = 40, 3
    argv = [*QUICK, "--epochs", str(epochs), "--checkpoint-every", "1"]
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jaxdl.cli", *argv, "--out", str(killed)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(proc, lambda: checkpointed_epochs(killed / "checkpoint") >= kill_after)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    at_kill = checkpoint.load_run(killed / "checkpoint")
    assert kill_after <= at_kill.epochs_done < epochs
    assert not (killed / "metrics.json").exists()

    assert cli(["train", "--resume", str(killed)]) == 0
    reference = tmp_path / "reference"
    assert cli([*argv, "--out", str(reference)]) == 0

    assert (killed / "metrics.json").read_bytes() == (reference / "metrics.json").read_bytes()
    resumed, uninterrupted = checkpoint.load_run(killed / "checkpoint"), checkpoint.load_run(reference / "checkpoint")
    assert_bit_identical(resumed.saved_state, uninterrupted.saved_state)
    assert resumed.history["epoch_time"][: at_kill.epochs_done] == at_kill.history["epoch_time"]
    assert len(json.loads((killed / "timing.json").read_text())["epoch_time"]) == epochs
    assert sorted(os.listdir(killed)) == ["checkpoint", "curves.png", "metrics.csv", "metrics.json", "timing.json"]
