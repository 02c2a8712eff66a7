"""``jaxdl train`` end to end, and bad arguments: one line, exit 2, nothing written."""

import json
import os
import subprocess
import sys

import pytest

from jaxdl.cli.main import main

QUICK = ["--epochs", "3", "--hidden", "32"]


def test_train_writes_metrics_curves_and_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--optimizer", "adam", "--lr", "0.01", "--out", str(out)]) == 0
    assert {"metrics.json", "curves.png", "checkpoint"} <= set(os.listdir(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["optimizer"] == "adam" and metrics["config"]["hidden"] == [32]
    assert len(metrics["history"]["test_acc"]) == 3
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "test_acc" in capsys.readouterr().err


@pytest.mark.slow
def test_default_train_reaches_97_percent_on_digits_offline(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "jaxdl.cli.main", "train"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((tmp_path / "runs" / "train" / "metrics.json").read_text())
    assert metrics["history"]["test_acc"][-1] >= 0.97
    assert metrics["config"]["dataset"] == "digits" and metrics["config"]["model"] == "mlp"


def run_cli(args: list[str]) -> int:
    """The exit code of ``jaxdl ARGS``, whether argparse exits or main returns."""
    try:
        return main(args)
    except SystemExit as exit_:
        return exit_.code


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "digist"], "did you mean 'digits'"),
    (["--lr", "abc"], "argument --lr: 'abc' is not a number"),
    (["--hidden", "0"], "argument --hidden: '0' must be a positive integer"),
    (["--epochs", "0"], "argument --epochs"),
    (["--batch-size", "5000"], "batch_size=5000 is larger"),
    (["--dropout", "1.5"], "argument --dropout"),
    (["--optimizer", "adma"], "did you mean 'Adam'"),
    (["--model", "cnn"], "argument --model"),
    (["--dataset", "fashion_mnist", "--data-dir", "."], "fashion_mnist not found"),
    (["--data-dir", "/no/such/folder"], "not an existing folder"),
    (["--out", "FILE/run"], "argument --out: 'FILE/run' is not writable"),
])
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, monkeypatch, argv, message):
    out = tmp_path / "run"
    (tmp_path / "FILE").write_text("a file, not a folder")
    monkeypatch.chdir(tmp_path)
    args = ["train", *QUICK, *argv] + ([] if "--out" in argv else ["--out", str(out)])
    assert run_cli(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert message in err[0]
    assert sorted(os.listdir(tmp_path)) == ["FILE"]


def test_ctrl_c_while_loading_data_is_one_line_exit_130_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from jaxdl import data

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "load", interrupted)
    out = tmp_path / "run"
    assert main(["train", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "jaxdl train: interrupted before any output was written.\n"
    assert not out.exists()
