"""What the CLI prints and writes: progress at 80 columns, plain lines in a log, metrics.csv, lazy imports."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from jaxdl.callbacks import ProgressBar, TrainInfo
from jaxdl.cli import main

REPO = Path(__file__).resolve().parents[1]
ROW = {
    "train_loss": 0.123456,
    "train_acc": 0.98765,
    "test_loss": 0.2345678,
    "test_acc": 0.97777,
    "val_loss": 0.3456,
    "val_acc": 0.96,
    "lr": 0.1,
    "epoch_time": 0.01,
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


INFO = TrainInfo(total_epochs=3, first_epoch=1, steps_per_epoch=6, label="fit")


def test_terminal_bar_at_80_columns_shows_bar_epochs_and_time_with_metrics_below(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    stream = Terminal()
    bar = ProgressBar(file=stream, label="mlp on digits")
    bar.on_train_begin(INFO)
    for epoch in (1, 2, 3):
        bar.on_epoch_end(epoch, ROW, None, {})
    bar.on_train_end(None)
    lines = [line for line in ANSI.sub("", stream.getvalue()).replace("\r", "\n").splitlines() if line.strip()]
    final_bar = [line for line in lines if "3/3" in line][-1]
    assert final_bar.startswith("mlp on digits") and re.search(r"[█#]{20} 3/3 \d\d:\d\d<", final_bar)
    assert any(line.startswith("train_loss 0.1235  train_acc 0.9877  test_loss 0.2346") for line in lines)
    assert max(len(line) for line in lines) <= 80


def test_plain_lines_when_not_a_terminal_every_k_epochs_for_long_runs():
    stream = io.StringIO()
    bar = ProgressBar(file=stream, label="mlp on digits")
    bar.on_train_begin(TrainInfo(total_epochs=1000, first_epoch=1, steps_per_epoch=6, label="fit"))
    for epoch in range(1, 1001):
        bar.on_epoch_end(epoch, ROW, None, {})
    bar.on_train_end(None)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "mlp on digits: 1000 epochs, compiling…"
    assert lines[1].startswith("epoch 1/1000  train_loss 0.1235  train_acc 0.9877  test_loss 0.2346")
    assert lines[-1].startswith("epoch 1000/1000 ")
    assert len(lines) <= 50 + 2 and "\x1b" not in stream.getvalue()


def test_rows_of_many_runs_show_their_mean_and_small_rates_keep_their_digits():
    stream = io.StringIO()
    bar = ProgressBar(file=stream, mode="lines")
    bar.on_train_begin(INFO)
    bar.on_epoch_end(1, {"test_acc": np.array([0.5, 1.0]), "lr": 1e-6}, None, {})
    assert "test_acc 0.75  lr 1e-06" in stream.getvalue()


def test_train_to_a_log_prints_progress_lines_and_the_summary_and_its_metrics_csv_holds_the_history(tmp_path, capsys):
    out = tmp_path / ("a-long-folder-name-" * 6) / "run"
    assert main(["train", "--epochs", "3", "--hidden", "8", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert lines[0] == f"jaxdl train: run folder {out}"
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["1/3", "2/3", "3/3"]
    assert any(line.split() == ["outputs", str(out)] for line in lines)

    history = json.loads((out / "metrics.json").read_text())["history"]
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3]
    assert set(rows[0]) == {"epoch", *history}
    for name, values in history.items():
        assert [float(row[name]) for row in rows] == values


def test_train_starts_without_matplotlib_sklearn_or_pandas(tmp_path):
    """The modules loaded when training starts (checked inside fit) hold none of the heavy plotting/data libraries."""
    script = f"""
import sys
import jaxdl.train as train
real_fit = train.fit
def fit(*args, **kwargs):
    print(sorted(m for m in ("matplotlib", "sklearn", "pandas") if m in sys.modules))
    return real_fit(*args, **kwargs)
train.fit = fit  # before jaxdl.experiments imports it
from jaxdl.cli import main
sys.exit(main(["train", "--epochs", "1", "--hidden", "8", "--out", {str(tmp_path / "run")!r}]))
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "[]" in proc.stdout.splitlines()


def test_train_into_a_pipe_that_closes_stops_with_one_line_and_exit_141(tmp_path):
    """`jaxdl train | head -1`: the pipe closes after the first line; no traceback, and no run folder left half-made."""
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-m", "jaxdl.cli", "train", "--epochs", "200", "--hidden", "8", "--out", str(out)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        first = proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read()
        proc.wait(timeout=300)
    assert first.startswith("jaxdl train: run folder")
    assert proc.returncode == 141 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith("jaxdl train: stopped: its standard output was closed")
    assert not out.exists() or not [p for p in out.iterdir() if p.name.startswith(".jaxdl-stage")]


def summary_rows(stdout: str) -> dict[str, str]:
    """The ``name  value`` rows of the summary table that ends ``jaxdl train``'s output."""
    table = stdout[stdout.rindex("\njaxdl train: ") :].splitlines()[2:]
    return dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in table)


def test_summary_shows_small_rates_and_a_resumed_run_reports_its_own_compile(tmp_path, capsys):
    out = tmp_path / "run"
    schedule = ["--scheduler", "StepLR", "--scheduler-args", "step_size=10"]  # puts the rate into the history
    assert main(["train", "--epochs", "2", "--hidden", "8", "--lr", "1e-6", *schedule, "--out", str(out)]) == 0
    rows = summary_rows(capsys.readouterr().out)
    assert (rows["lr"], rows["outputs"]) == ("1e-06", str(out))
    assert "resumed after epoch" not in rows
    assert main(["train", "--resume", str(out), "--epochs", "4"]) == 0
    rows = summary_rows(capsys.readouterr().out)
    times = json.loads((out / "timing.json").read_text())["epoch_time"]
    assert rows["resumed after epoch"] == "2"
    assert rows["compile + first epoch (s)"] == f"{times[2]:.2f}"  # this process's first epoch, not the run's
    assert rows["steady epoch, median (s)"] == f"{times[3]:.4f}"
