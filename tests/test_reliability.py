"""Divergence in the CLI, determinism, clean stops, and data loading with the network blocked."""

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import jax
import numpy as np
import optax
import pytest
import tensorflow_datasets as tfds

from jaxdl import checkpoint, data
from jaxdl.callbacks import Checkpoint
from jaxdl.cli import main
from jaxdl.errors import ConfigError, DivergenceError
from jaxdl.models import LinearRegression
from jaxdl.train import fit
from tests.helpers import wait_until

REPO = Path(__file__).resolve().parents[1]
QUICK = ["train", "--hidden", "16", "--dropout", "0.3", "--batch-size", "128"]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("jaxdl train: error:")]


# ---------------------------------------------------------------- no network


def test_sockets_are_blocked_with_a_clear_error():
    with pytest.raises(ConnectionError, match="tests must not use the network: socket.create_connection"):
        socket.create_connection(("example.com", 443), timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(ConnectionError, match=r"socket.connect\(\('93.184.216.34', 80\)\) was blocked"):
            sock.connect(("93.184.216.34", 80))
    with pytest.raises(OSError, match="tests must not use the network"):
        urllib.request.urlopen("https://storage.googleapis.com/tfds-data", timeout=1)
    left, right = socket.socketpair()
    left.sendall(b"local sockets still work")
    assert right.recv(64) == b"local sockets still work"
    left.close(), right.close()


def test_fashion_mnist_through_tfds_mock_data_with_the_network_blocked(tmp_path):
    with pytest.raises(ConnectionError):
        socket.create_connection(("storage.googleapis.com", 443))
    with tfds.testing.mock_data(num_examples=9):
        ds = data.load("fashion_mnist", data_dir=str(tmp_path))
    for X, y in (ds.train, ds.test):
        assert X.shape == (9, 28, 28, 1) and X.dtype == np.float32 and y.dtype == np.int32
        assert 0.0 <= float(X.min()) <= float(X.max()) <= 1.0
        assert set(np.asarray(y).tolist()) <= set(range(10))
    assert ds.class_names[9] == "ankle boot" and ds.name == "fashion_mnist"


def test_fashion_mnist_from_idx_files_written_by_the_test(tmp_path):
    rng = np.random.default_rng(0)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    images = {
        "train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "t10k": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
    }
    labels = {"train": np.array([0, 9, 3, 3, 1, 7], np.uint8), "t10k": np.array([5, 2, 8, 0], np.uint8)}
    for split in ("train", "t10k"):
        data.write_idx(str(raw / f"{split}-images-idx3-ubyte.gz"), images[split])
        data.write_idx(str(raw / f"{split}-labels-idx1-ubyte.gz"), labels[split])
    ds = data.load("fashion_mnist", data_dir=str(tmp_path))
    np.testing.assert_array_equal(np.asarray(ds.train[0]), images["train"][..., None] / np.float32(255))
    np.testing.assert_array_equal(np.asarray(ds.test[1]), labels["t10k"])
    assert ds.num_classes == 10 and ds.input_shape == (28, 28, 1)


def test_absent_fashion_mnist_names_the_folders_and_the_files(tmp_path):
    with pytest.raises(ConfigError) as err:
        data.load("fashion_mnist", data_dir=str(tmp_path))
    message = str(err.value)
    for folder in (tmp_path / "FashionMNIST" / "raw", tmp_path / "FashionMNIST", tmp_path):
        assert str(folder) in message
    for name in data.IDX_FILES.values():
        assert f"{name}.gz" in message
    assert "tfds.data_source('fashion_mnist'" in message and not os.listdir(tmp_path)


# ---------------------------------------------------------------- divergence


def test_huge_lr_stops_the_cli_after_the_first_epoch_with_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*QUICK, "--lr", "1e6", "--epochs", "5", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = error_lines(err)
    assert line.startswith("jaxdl train: error: mean training loss ")
    assert " in epoch 1 is above max_loss=2303: training diverged; lower the learning rate" in line
    assert line.endswith("No checkpoint of this run was written: no epoch before it finished cleanly.")
    assert not out.exists()


def test_nan_loss_names_epoch_and_first_bad_step(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "synthetic_regression", "--model", "linear", "--lr", "1e6", "--epochs", "3"]
    assert main([*argv, "--out", str(out)]) == 1
    [line] = error_lines(capsys.readouterr().err)
    with pytest.raises(DivergenceError) as err:
        fit(LinearRegression(), data.load("synthetic_regression"), optimizer=optax.sgd(1e6), epochs=3, batch_size=256)
    assert err.value.epoch == 1 and err.value.step >= 1
    assert line.startswith(f"jaxdl train: error: loss became NaN/inf in epoch 1 at step {err.value.step} of the epoch")
    assert not out.exists()


def test_divergence_keeps_the_last_good_checkpoint_and_writes_no_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [
        "train",
        "--dataset",
        "synthetic_regression",
        "--model",
        "linear",
        "--lr",
        "1.2",
        "--epochs",
        "10",
        "--checkpoint-every",
        "1",
        "--out",
        str(out),
    ]
    assert main(argv) == 1
    [line] = error_lines(capsys.readouterr().err)
    saved = checkpoint.load_run(out / "checkpoint")
    bad_epoch = saved.epochs_done + 1
    assert saved.epochs_done >= 1 and f" in epoch {bad_epoch} is above max_loss=" in line
    assert line.endswith(f"The last good checkpoint, after epoch {saved.epochs_done}, is kept in {out / 'checkpoint'}.")
    assert max(saved.history["train_loss"]) <= 1000 * float(
        np.var(np.asarray(data.load("synthetic_regression").train[1]))
    )
    assert all(np.isfinite(leaf).all() for leaf in jax.tree.leaves(saved.saved_state["params"]))
    assert sorted(os.listdir(out)) == ["checkpoint"]


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_metrics_and_other_seeds_differ(tmp_path):
    runs = {
        "a": ["--seed", "7", "--checkpoint-every", "1"],
        "b": ["--seed", "7", "--checkpoint-every", "3"],
        "c": ["--seed", "8", "--checkpoint-every", "1"],
    }
    for name, extra in runs.items():
        assert main([*QUICK, "--epochs", "4", *extra, "--out", str(tmp_path / name)]) == 0
    metrics = {name: (tmp_path / name / "metrics.json").read_bytes() for name in runs}
    assert metrics["a"] == metrics["b"]
    assert metrics["a"] != metrics["c"]
    a, c = (json.loads(metrics[n]) for n in "ac")
    assert a["history"]["train_loss"] != c["history"]["train_loss"] and a["config"]["seed"] == 7
    assert (
        "epoch_time" not in a["history"]
        and len(json.loads((tmp_path / "a" / "timing.json").read_text())["epoch_time"]) == 4
    )


# ---------------------------------------------------------------- clean stop


def test_ctrl_c_writes_outputs_for_the_checkpointed_epochs_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jaxdl.cli",
            *QUICK,
            "--epochs",
            "400",
            "--checkpoint-every",
            "1",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(proc, (out / "checkpoint").exists)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in stderr
    saved = checkpoint.load_run(out / "checkpoint")
    metrics = json.loads((out / "metrics.json").read_text())
    assert 1 <= saved.epochs_done < 400
    assert len(metrics["history"]["test_acc"]) == saved.epochs_done
    assert metrics["history"]["test_acc"] == saved.history["test_acc"]
    assert stderr.strip().endswith(
        f"jaxdl train: interrupted; metrics.json, metrics.csv, timing.json and curves.png hold the {saved.epochs_done} "
        f"epochs of the checkpoint. Continue with: jaxdl train --resume {out}"
    )
    assert sorted(os.listdir(out)) == ["checkpoint", "curves.png", "metrics.csv", "metrics.json", "timing.json"]


def test_ctrl_c_while_a_checkpoint_is_written_lands_after_the_folder_knows_it(tmp_path, monkeypatch):
    """SIGINT arriving just after the file is replaced must not leave the folder's history one epoch behind."""
    written = checkpoint.save_run

    def save_then_interrupt(*args, **kwargs):
        written(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(checkpoint, "save_run", save_then_interrupt)
    saver = Checkpoint(tmp_path / "run" / "checkpoint", config={"lr": 0.1})
    with pytest.raises(KeyboardInterrupt):
        saver.save({"w": np.ones(2)}, {"loss": [0.5, 0.4]})
    assert saver.history == {"loss": [0.5, 0.4]}
    assert checkpoint.load_run(saver.path).history == saver.history
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_run_that_diverges_before_its_first_save_says_which_epochs_finished(tmp_path, capsys):
    out = tmp_path / "run"  # lr 0.1 on the synthetic regression: NaN in epoch 2, before the once-a-minute save
    argv = ["train", "--dataset", "synthetic_regression", "--val", "0.2", "--epochs", "2", "--out", str(out)]
    assert main(argv) == 1
    [line] = error_lines(capsys.readouterr().err)
    assert line.startswith("jaxdl train: error: loss became NaN/inf in epoch 2 ")
    assert line.endswith(
        "No checkpoint of this run was written: epoch 1 finished cleanly before the first save (once a minute; "
        "--checkpoint-every K saves every K epochs)."
    )
    assert not out.exists()
