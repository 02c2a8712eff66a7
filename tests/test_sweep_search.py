"""jaxdl sweep as a search: --grid, --random, --halving, --val, the ranked table, the best run as a command."""

import contextlib
import csv
import io
import json
import os
import shlex
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboardX.proto import event_pb2, plugin_hparams_pb2

from jaxdl.cli import main
from tests.helpers import one_error_line, run_cli, wait_until

REPO = Path(__file__).resolve().parents[1]

SEARCH = [
    "--hidden",
    "16",
    "--epochs",
    "9",
    "--batch-size",
    "128",
    "--val",
    "0.2",
    "--halving",
    "3",
    "--seeds",
    "1",
    "--seed",
    "2",
    "--grid",
    "momentum=0.0,0.9",
    "--random",
    "5",
    "lr=log:1e-3..1",
    "weight_decay=log:1e-6..1e-2",
]


@pytest.fixture(scope="module")
def searched_and_printed(tmp_path_factory):
    """The search's folder and what it printed: one search serves every test that reads either."""
    out = tmp_path_factory.mktemp("search") / "sweep"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["sweep", *SEARCH, "--out", str(out)]) == 0
    return out, printed.getvalue()


@pytest.fixture
def searched(searched_and_printed):
    return searched_and_printed[0]


def test_search_writes_runs_ranked_on_validation_with_their_rungs(searched):
    assert sorted(p.name for p in searched.iterdir()) == ["metrics.json", "runs.csv", "sweep.png", "timing.json"]
    metrics = json.loads((searched / "metrics.json").read_text())
    runs = metrics["runs"]
    assert len(runs) == 10 and {r["momentum"] for r in runs} == {0.0, 0.9}
    assert sorted(r["epochs"] for r in runs) == [1] * 7 + [3] * 2 + [9]
    assert all(len(r["history"]["val_acc"]) == r["epochs"] for r in runs)
    with open(searched / "runs.csv") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["rank", "seed", "momentum", "lr", "weight_decay", "rung", "epochs", "val_acc"]
    assert [int(row["rank"]) for row in table] == list(range(1, 11))
    assert [int(row["rung"]) for row in table] == [2, 1, 1] + [0] * 7
    for rung in (1, 0):
        scores = [float(row["val_acc"]) for row in table if int(row["rung"]) == rung]
        assert scores == sorted(scores, reverse=True)
    best = metrics["best"]
    assert metrics["metric"] == "val_acc" and best["val_acc"] == float(table[0]["val_acc"])
    chosen = runs[best["index"]]
    assert best["test_acc"] == chosen["history"]["test_acc"][-1]  # the chosen run's test score, reported


def test_the_printed_command_trains_the_best_run_alone(searched_and_printed, tmp_path):
    searched, printed = searched_and_printed
    line = next(line for line in printed.splitlines() if line.strip().startswith("train it alone"))
    command = shlex.split(line.split("train it alone", 1)[1])
    assert command[:2] == ["jaxdl", "train"] and "--optimizer-args" in command
    assert main([*command[1:], "--out", str(tmp_path / "alone")]) == 0
    alone = json.loads((tmp_path / "alone" / "metrics.json").read_text())["history"]
    metrics = json.loads((searched / "metrics.json").read_text())
    best = metrics["runs"][metrics["best"]["index"]]["history"]
    np.testing.assert_allclose(alone["val_acc"], best["val_acc"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(alone["val_loss"], best["val_loss"], rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--grid", "momentum"], "cannot read 'momentum': expected NAME=V,V,..."),
        (["--grid", "momentum=0.9,x"], "'momentum=0.9,x': 'x' is not a number"),
        (["--grid", "momentum=1e40,0.9"], "'momentum=1e40,0.9': '1e40' is beyond float32's range (|x| <= 3.4e38)"),
        (["--random", "4", "lr=log:1e-4..1e39"], "'lr=log:1e-4..1e39': '1e39' is beyond float32's range"),
        (["--random", "8", "lr=log:0..1"], "'lr=log:0..1': a log-uniform range must be positive, got 0"),
        (["--random", "8", "lr=1..0.1"], "'lr=1..0.1': the range is empty (1 is not below 0.1)"),
        (["--random", "8", "lr=log:0.1"], "log: needs a range LO..HI"),
        (["--random", "8"], "--random 8: expected a count and at least one NAME=RANGE"),
        (["--random", "lr=0.1..1"], "--random lr=0.1..1: expected a count and at least one NAME=RANGE"),
        (["--random", "0", "lr=0.1..1"], "--random 0: the search space is empty"),
        (["--grid", "momentun=0.9"], "unknown hyperparameter to sweep 'momentun' (did you mean 'momentum'?)"),
        (["--grid", "nesterov=1"], "unknown hyperparameter to sweep 'nesterov'"),
        (["--grid", "momentum=0.9", "--random", "4", "momentum=0.1..0.5"], "momentum is given twice"),
        (["--grid", "lr=0.1,0.2", "--lr", "0.3"], "--lr and --grid/--random both give lr: give it once."),
        (["--grid", "momentum=0.9", "--optimizer-args", "momentum=0.5"], "momentum: it is also in --optimizer-args"),
        (["--halving", "3"], "--halving ranks the runs on validation data: add --val FRACTION"),
        (["--halving", "1", "--val", "0.2"], "--halving 1: ETA must be 2 or more"),
        (["--optimizer", "adam", "--grid", "betas=0.9"], "unknown hyperparameter to sweep 'betas'"),
    ],
)
def test_bad_search_specs_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "sweep"
    assert run_cli(["sweep", *argv, "--epochs", "1", "--out", str(out)]) == 2
    assert message in one_error_line(capsys)
    assert not out.exists()


def start_sweep(args: list[str], cwd) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "jaxdl.cli", "sweep", *args]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_a_killed_search_resumes_from_its_folder_and_refuses_another_search(searched, tmp_path, capsys):
    killed = tmp_path / "killed"
    proc = start_sweep([*SEARCH, "--out", str(killed)], tmp_path)
    wait_until(proc, (killed / "search.ckpt").exists)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 143 and "Traceback" not in stderr, stderr
    assert "the rungs done are kept in search.ckpt" in stderr.strip().splitlines()[-1]
    assert sorted(os.listdir(killed)) == ["search.ckpt"]
    assert run_cli(["sweep", *SEARCH, "--out", str(killed)]) == 2  # a folder holding a search is not overwritten
    assert "already holds a run (search.ckpt)" in one_error_line(capsys)
    other = [*SEARCH[: SEARCH.index("--seed") + 1], "7", *SEARCH[SEARCH.index("--seed") + 2 :]]
    assert run_cli(["sweep", *other, "--out", str(killed), "--resume"]) == 2
    assert f"{str(killed)!r} holds a sweep of another search (seed=2 there, 7 here)" in one_error_line(capsys)
    assert main(["sweep", *SEARCH, "--out", str(killed), "--resume"]) == 0
    assert sorted(os.listdir(killed)) == ["metrics.json", "runs.csv", "sweep.png", "timing.json"]
    resumed, whole = (json.loads((f / "metrics.json").read_text()) for f in (killed, searched))
    assert [r["rung"] for r in resumed["runs"]] == [r["rung"] for r in whole["runs"]]
    assert resumed["best"]["index"] == whole["best"]["index"]
    for mine, theirs in zip(resumed["runs"], whole["runs"], strict=True):
        np.testing.assert_allclose(mine["history"]["val_loss"], theirs["history"]["val_loss"], rtol=0, atol=1e-6)


def test_tensorboard_gets_each_run_s_curves_and_hparams(tmp_path):
    out = tmp_path / "sweep"
    argv = ["--model", "softmax", "--epochs", "2", "--batch-size", "256", "--val", "0.2", "--seeds", "1"]
    assert main(["sweep", *argv, "--lr", "0.1,0.5", "--tensorboard", "--out", str(out)]) == 0
    runs = json.loads((out / "metrics.json").read_text())["runs"]
    for index, run in enumerate(runs):
        starts, scalars = [], {}
        for path in (out / "tensorboard" / f"run-{index}").glob("events.out.tfevents*"):
            raw, offset = path.read_bytes(), 0
            while offset < len(raw):
                (length,) = struct.unpack("<Q", raw[offset : offset + 8])
                event = event_pb2.Event.FromString(raw[offset + 12 : offset + 12 + length])
                offset += 12 + length + 4
                for value in event.summary.value:
                    if value.metadata.plugin_data.plugin_name == "hparams":
                        data = plugin_hparams_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
                        if data.HasField("session_start_info"):
                            starts.append({k: v.number_value for k, v in data.session_start_info.hparams.items()})
                    else:
                        scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
        assert starts == [{"seed": run["seed"], "lr": run["lr"]}]
        assert [step for step, _ in scalars["val_acc"]] == [1, 2]
        np.testing.assert_allclose([v for _, v in scalars["val_acc"]], run["history"]["val_acc"], rtol=1e-6)
        assert scalars["hparam/val_acc"][0][1] == pytest.approx(run["history"]["val_acc"][-1])
