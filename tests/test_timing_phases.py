"""``jaxdl train`` records where its seconds go (timing.json's ``phases``) and checkpoints by the clock."""

from __future__ import annotations

import json

import pytest

from jaxdl import checkpoint, experiments

PHASES = {"startup", "data", "init_and_compile", "training", "checkpoints", "outputs", "total"}


def test_timing_json_has_every_phase_and_their_total(tmp_path) -> None:
    out = tmp_path / "run"
    experiments.train_and_evaluate(experiments.TrainConfig(hidden=(8,), epochs=4), str(out), verbose=0)
    phases = json.loads((out / "timing.json").read_text())["phases"]
    assert set(phases) == PHASES
    assert all(v >= 0 for v in phases.values())
    assert phases["init_and_compile"] > 0 and phases["outputs"] > 0 and phases["startup"] > 0
    assert phases["total"] == pytest.approx(sum(v for k, v in phases.items() if k != "total"), abs=0.01)


def test_a_short_run_writes_its_checkpoint_once(tmp_path, monkeypatch) -> None:
    saves, save_run = [], checkpoint.save_run
    monkeypatch.setattr(checkpoint, "save_run", lambda *a, **k: (saves.append(1), save_run(*a, **k))[1])
    experiments.train_and_evaluate(experiments.TrainConfig(hidden=(8,), epochs=30), str(tmp_path / "r"), verbose=0)
    assert len(saves) == 1  # by the clock (once a minute) and at the end, no longer every epochs // 50
