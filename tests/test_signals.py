"""SIGTERM is handled like Ctrl-C (exit 143, outputs for the checkpoint, exact resume); a second signal is harmless."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jaxdl import checkpoint, data, plots
from jaxdl.cli import main
from jaxdl.experiments import Terminated, TrainConfig, train_and_evaluate
from tests.helpers import wait_until

REPO = Path(__file__).resolve().parents[1]
EPOCHS = 100  # with a checkpoint every epoch: seconds of margin for the SIGTERM to land before the run ends
RUN = ["train", "--hidden", "16", "--dropout", "0.3", "--batch-size", "128", "--epochs", str(EPOCHS)]


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "jaxdl.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_saves_the_checkpointed_epochs_exits_143_and_resumes_bit_identically(tmp_path):
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    reference = start([*RUN, "--checkpoint-every", "1", "--out", str(whole)], tmp_path)
    proc = start([*RUN, "--checkpoint-every", "1", "--out", str(killed)], tmp_path)
    wait_until(proc, (killed / "checkpoint").exists)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "Traceback" not in stderr, stderr
    saved = checkpoint.load_run(killed / "checkpoint")
    assert 1 <= saved.epochs_done < EPOCHS
    assert stderr.strip().splitlines()[-1] == (
        f"jaxdl train: terminated (SIGTERM); metrics.json, metrics.csv, timing.json and curves.png hold the "
        f"{saved.epochs_done} epochs of the checkpoint. Continue with: jaxdl train --resume {killed}"
    )
    assert json.loads((killed / "metrics.json").read_text())["history"]["test_acc"] == saved.history["test_acc"]
    assert not [n for n in os.listdir(killed) if n.startswith(".")]

    resumed = start(["train", "--resume", str(killed)], tmp_path)
    for run in (resumed, reference):
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
    assert (killed / "metrics.json").read_bytes() == (whole / "metrics.json").read_bytes()
    assert (killed / "metrics.csv").read_bytes() == (whole / "metrics.csv").read_bytes()


def test_sigterm_is_an_interrupt_only_while_a_job_runs(tmp_path, monkeypatch):
    load = data.load

    def terminated(*args, **kwargs):  # SIGTERM while the data loads: the run stops before its first epoch
        signal.raise_signal(signal.SIGTERM)
        return load(*args, **kwargs)

    monkeypatch.setattr(data, "load", terminated)
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated):
        train_and_evaluate(TrainConfig(epochs=1), tmp_path / "run")
    assert signal.getsignal(signal.SIGTERM) is previous and issubclass(Terminated, KeyboardInterrupt)
    assert main(["train", "--out", str(tmp_path / "run")]) == 143

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "load", interrupted)
    assert main(["train", "--out", str(tmp_path / "run")]) == 130
    assert not (tmp_path / "run").exists()


def test_a_second_signal_while_outputs_are_written_changes_nothing(tmp_path, capsys, monkeypatch):
    """SIGTERM after the 2nd checkpoint, then Ctrl-C and SIGTERM while the outputs are written."""
    saves, written = [], checkpoint.save_run

    def save_then_terminate(*args, **kwargs):
        written(*args, **kwargs)
        saves.append(1)
        if len(saves) == 2:
            signal.raise_signal(signal.SIGTERM)

    plot_history = plots.plot_history

    def plot_while_signalled(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGTERM)
        return plot_history(*args, **kwargs)

    monkeypatch.setattr(checkpoint, "save_run", save_then_terminate)
    monkeypatch.setattr(plots, "plot_history", plot_while_signalled)
    out = tmp_path / "run"
    code = main(["train", "--epochs", "20", "--hidden", "8", "--checkpoint-every", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 143 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"jaxdl train: terminated (SIGTERM); metrics.json, metrics.csv, timing.json and curves.png hold the 2 "
        f"epochs of the checkpoint. Continue with: jaxdl train --resume {out}"
    ]
    assert sorted(os.listdir(out)) == ["checkpoint", "curves.png", "metrics.csv", "metrics.json", "timing.json"]
    assert len(json.loads((out / "metrics.json").read_text())["history"]["test_acc"]) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_while_loading_data_is_one_line_exit_143(tmp_path, capsys, monkeypatch):
    load = data.load

    def terminated(*args, **kwargs):  # acted on once the data is loaded, before the first epoch
        signal.raise_signal(signal.SIGTERM)
        return load(*args, **kwargs)

    monkeypatch.setattr(data, "load", terminated)
    out = tmp_path / "run"
    assert main(["train", "--out", str(out)]) == 143
    assert (
        capsys.readouterr().err
        == "jaxdl train: terminated (SIGTERM) before the first checkpoint; nothing was written.\n"
    )
    assert not out.exists()


def test_ctrl_c_in_a_run_of_a_billion_epochs_keeps_the_last_finished_epochs(tmp_path):
    """The periodic checkpoint is due every 10**7 epochs; a real SIGINT saves the state the last call finished."""
    out, log = tmp_path / "run", tmp_path / "log"
    with open(log, "w") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jaxdl.cli", "train", "--hidden", "8", "--epochs", str(10**9), "--out", str(out)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(proc, lambda: "epoch 1/1000000000" in log.read_text())
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    saved = checkpoint.load_run(out / "checkpoint")
    assert saved.epochs_done >= 1
    assert stderr.strip().splitlines()[-1] == (
        f"jaxdl train: interrupted; metrics.json, metrics.csv, timing.json and curves.png hold the "
        f"{saved.epochs_done} epochs of the checkpoint. Continue with: jaxdl train --resume {out}"
    )
    assert len(json.loads((out / "metrics.json").read_text())["history"]["test_acc"]) == saved.epochs_done
    assert not [n for n in os.listdir(out) if n.startswith(".")]
