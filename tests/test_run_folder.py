"""Run folders never lose a run: numbered defaults, refusal, --overwrite, the lock, staging cleanup."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jaxdl import experiments
from jaxdl.errors import ConfigError
from tests.helpers import one_error_line, run_cli

REPO = Path(__file__).resolve().parents[1]
QUICK = ["--epochs", "2", "--hidden", "8"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_default_out_run_twice_keeps_both_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_cli(["train", *QUICK]) == 0
    assert run_cli(["train", *QUICK, "--lr", "0.05"]) == 0
    first, second = tmp_path / "runs" / "train", tmp_path / "runs" / "train-2"
    assert json.loads((first / "metrics.json").read_text())["config"]["lr"] == 0.1
    assert json.loads((second / "metrics.json").read_text())["config"]["lr"] == 0.05
    out = capsys.readouterr().out
    assert f"run folder {first}" in out and f"run folder {second}" in out
    assert sorted(os.listdir(tmp_path / "runs")) == ["train", "train-2"]


@pytest.mark.parametrize(
    "command", [["train", *QUICK], ["sweep", *QUICK, "--lr", "0.1", "--seeds", "1"], ["ovr", "--epochs", "1"]]
)
def test_named_out_holding_a_run_is_refused_with_one_line(tmp_path, capsys, command):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.json").write_text('{"config": {}}\n')
    (out / "checkpoint").write_bytes(b"an earlier run")
    before = snapshot(out)
    assert run_cli([*command, "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert f"--out {str(out)!r} already holds a run (checkpoint, metrics.json)" in line
    assert "--overwrite" in line
    assert ("--resume" in line) == (command[0] == "train")
    assert snapshot(out) == before and sorted(os.listdir(out)) == ["checkpoint", "metrics.json"]


def test_overwrite_replaces_the_old_run_with_a_whole_new_one(tmp_path):
    out = tmp_path / "run"
    assert run_cli(["train", *QUICK, "--out", str(out)]) == 0
    (out / "sweep.png").write_bytes(b"left by another kind of run")
    assert run_cli(["train", *QUICK, "--lr", "0.05", "--out", str(out), "--overwrite"]) == 0
    assert json.loads((out / "metrics.json").read_text())["config"]["lr"] == 0.05
    assert sorted(os.listdir(out)) == ["checkpoint", "curves.png", "metrics.csv", "metrics.json", "timing.json"]


def test_resume_and_overwrite_together_is_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    assert run_cli(["train", "--resume", str(out), "--overwrite"]) == 2
    assert "give one of them" in one_error_line(capsys)


def test_a_folder_locked_by_a_live_process_is_refused_naming_it(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    holder = {"pid": os.getppid(), "host": socket.gethostname(), "started": "2026-01-01T00:00:00+00:00"}
    (out / experiments.LOCK).write_text(json.dumps(holder))
    assert run_cli(["train", *QUICK, "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert f"is in use by process {os.getppid()} on {socket.gethostname()}" in line
    assert sorted(os.listdir(out)) == [experiments.LOCK]


def test_a_lock_from_another_host_is_not_taken_over(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / experiments.LOCK).write_text(json.dumps({"pid": dead_pid(), "host": "another-host", "started": "x"}))
    with pytest.raises(ConfigError, match="in use by process .* on another-host"):
        with experiments.claim_run_folder(str(out), kind="train", default="unused"):
            pass


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / experiments.LOCK).write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname(), "started": "x"}))
    assert run_cli(["train", *QUICK, "--out", str(out)]) == 0
    assert experiments.LOCK not in os.listdir(out) and (out / "metrics.json").exists()


def test_the_lock_names_this_process_while_the_run_holds_the_folder(tmp_path):
    out = tmp_path / "new" / "run"
    with experiments.claim_run_folder(str(out), kind="train", default="unused") as folder:
        holder = json.loads((Path(folder) / experiments.LOCK).read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(ConfigError, match=f"in use by process {os.getpid()}"):
            with experiments.claim_run_folder(str(out), kind="train", default="unused"):
                pass
    assert not (tmp_path / "new").exists()


def test_default_folder_in_use_moves_on_to_the_next_number(tmp_path):
    base = tmp_path / "runs" / "train"
    with experiments.claim_run_folder(None, kind="train", default=str(base)) as first:
        with experiments.claim_run_folder(None, kind="train", default=str(base)) as second:
            assert (first, second) == (str(base), f"{base}-2")


def test_staging_leftovers_of_a_killed_run_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    (out / ".jaxdl-stage-killed").mkdir(parents=True)
    (out / ".jaxdl-stage-killed" / "metrics.json").write_text("{}")
    with experiments.claim_run_folder(str(out), kind="train", default="unused") as folder:
        assert not [n for n in os.listdir(folder) if n.startswith(experiments.STAGE_PREFIX)]


def test_staging_of_a_killed_run_beside_the_next_one_goes_once_its_process_is_gone(tmp_path):
    """A kill while writing outputs leaves a staging folder in a finished run's folder or beside ``--out``."""
    base = tmp_path / "runs" / "train"
    base.mkdir(parents=True)
    (base / "checkpoint").write_text("a finished run")
    dead, alive = f"{experiments.STAGE_PREFIX}{dead_pid()}-x", f"{experiments.STAGE_PREFIX}{os.getpid()}-y"
    for folder in (base, base.parent):
        for name in (dead, alive):
            (folder / name).mkdir()
    with experiments.claim_run_folder(None, kind="train", default=str(base)) as folder:
        assert folder == f"{base}-2"
    for folder in (base, base.parent):
        assert sorted(n for n in os.listdir(folder) if n.startswith(experiments.STAGE_PREFIX)) == [alive]


def test_staging_is_removed_and_the_folder_untouched_when_writing_fails(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.json").write_text("old")
    with pytest.raises(OSError):
        with experiments.staged(str(out), replace=True) as stage:
            Path(stage, "metrics.json").write_text("new")
            raise OSError("disk full")
    assert os.listdir(out) == ["metrics.json"] and (out / "metrics.json").read_text() == "old"


def test_two_runs_started_on_one_out_never_both_write(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "jaxdl.cli", "train", "--epochs", "30", "--hidden", "8", "--out", str(out)]
    procs = [
        subprocess.Popen(
            [*command, "--seed", str(seed)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    results = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        results.append((proc.returncode, stderr))
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "is in use by process" in refused or "already holds a run" in refused
    winner = next(seed for (code, _), seed in zip(results, (1, 2), strict=True) if code == 0)
    assert json.loads((out / "metrics.json").read_text())["config"]["seed"] == winner
