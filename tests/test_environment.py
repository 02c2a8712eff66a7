"""What the machine can get wrong is one line: a backend that is not there, a full disk or output, a bad --out."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jaxdl import experiments
from jaxdl.errors import ConfigError
from tests.helpers import one_error_line, run_cli

REPO = Path(__file__).resolve().parents[1]
QUICK = ["train", "--epochs", "2", "--hidden", "8"]


def jaxdl(args: list[str], cwd: Path, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAXDL_NO_CACHE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "jaxdl.cli", *args],
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        **kwargs,
    )


@pytest.mark.parametrize("platform", ["gpu", "tpuu"])
def test_a_backend_that_is_not_there_is_one_line(tmp_path, platform):
    proc = jaxdl(
        [*QUICK, "--out", str(tmp_path / "run")], tmp_path, {"JAX_PLATFORMS": platform}, stdout=subprocess.PIPE
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"jaxdl train: error: JAX_PLATFORMS={platform!r} names no backend JAX can start here")
    assert proc.stderr.count("\n") == 1 and os.listdir(tmp_path) == []


def test_standard_output_on_a_full_disk_is_one_line_and_leaves_no_folder(tmp_path):
    with open("/dev/full", "w") as full:
        proc = jaxdl([*QUICK, "--out", str(tmp_path / "run")], tmp_path, stdout=full)
    assert proc.returncode == 2
    assert proc.stderr == (
        "jaxdl train: error: cannot write to its standard output: No space left on device; "
        "send it to a file on a disk with space (or to /dev/null).\n"
    )
    assert os.listdir(tmp_path) == []


def test_a_closed_standard_output_does_not_stop_the_run(tmp_path):
    """Started with file descriptor 1 closed (``jaxdl train >&-``), Python has no sys.stdout: the run still ends."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAXDL_NO_CACHE": "1"}
    args = [sys.executable, "-m", "jaxdl.cli", *QUICK, "--out", str(tmp_path / "run")]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *args],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert {"checkpoint", "metrics.json", "metrics.csv"} <= set(os.listdir(tmp_path / "run"))


def test_a_disk_that_fills_while_the_outputs_are_written_keeps_the_checkpoint_and_nothing_half(
    tmp_path, capsys, monkeypatch
):
    def full(path, history):
        Path(path).write_text("epoch,")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("jaxdl.experiments._train.write_csv", full)
    out = tmp_path / "run"
    assert run_cli([*QUICK, "--out", str(out)]) == 2
    assert one_error_line(capsys) == (
        f"jaxdl train: error: cannot write the outputs to {str(out)!r} (No space left on device); nothing "
        "half-written is left and the checkpoint of the 2 epochs is kept: make room, then write them with "
        f"jaxdl train --resume {out}"
    )
    assert sorted(os.listdir(out)) == ["checkpoint"]
    monkeypatch.undo()
    assert run_cli(["train", "--resume", str(out)]) == 0
    assert {"metrics.json", "metrics.csv", "timing.json", "curves.png"} <= set(os.listdir(out))


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "argument --out: '' is empty: name a folder (or leave the option out for the default)"),
        ("link/run", "argument --out: 'link/run' is not writable ('{d}/link' is a symbolic link to '{d}/gone', "),
    ],
    ids=["empty", "dangling-link"],
)
def test_an_out_that_names_no_folder_is_one_line(tmp_path, capsys, monkeypatch, out, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    assert run_cli([*QUICK, "--out", out]) == 2
    assert message.format(d=tmp_path) in one_error_line(capsys)
    assert os.listdir(tmp_path) == ["link"]


def test_the_library_refuses_an_empty_out_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^--out '' is empty: name a folder, or leave it out for runs"):
        experiments.train_and_evaluate(experiments.TrainConfig(epochs=1, hidden=(8,)), "", verbose=0)
    assert os.listdir(tmp_path) == []
