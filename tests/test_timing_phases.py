"""``jaxdl train`` records where its seconds go (timing.json's ``phases``) and checkpoints by the clock."""

from __future__ import annotations

import json

import pytest

from jaxdl import experiments
from jaxdl.experiments import _phases, _train


def test_timing_json_has_every_phase_and_their_total(tmp_path) -> None:
    out = tmp_path / "run"
    experiments.train_and_evaluate(experiments.TrainConfig(hidden=(8,), epochs=4), str(out), verbose=0)
    phases = json.loads((out / "timing.json").read_text())["phases"]
    assert set(phases) == {*_phases.PHASES, "total"}
    assert all(v >= 0 for v in phases.values())
    assert phases["init_and_compile"] > 0 and phases["outputs"] > 0 and phases["startup"] > 0
    assert phases["total"] == pytest.approx(sum(v for k, v in phases.items() if k != "total"), abs=0.01)


def test_a_short_run_writes_its_checkpoint_once(tmp_path, monkeypatch) -> None:
    saves = []
    original = _train.RunFolder.save
    monkeypatch.setattr(_train.RunFolder, "save", lambda self, *a: (saves.append(1), original(self, *a)))
    experiments.train_and_evaluate(experiments.TrainConfig(hidden=(8,), epochs=30), str(tmp_path / "r"), verbose=0)
    assert len(saves) == 1  # by the clock (once a minute) and at the end, no longer every epochs // 50


def test_phase_clock_laps_and_moves_checkpoint_seconds() -> None:
    clock = _phases.PhaseClock(startup=2.0)
    clock.lap("data")
    clock.add("checkpoints", 0.5)
    clock.lap("training")
    table = clock.table()
    assert table["startup"] == 2.0 and table["checkpoints"] == 0.5
    assert table["total"] == pytest.approx(sum(v for k, v in table.items() if k != "total"), abs=1e-3)


def test_process_seconds_is_the_age_of_this_process() -> None:
    age = _phases.process_seconds()
    assert age is None or 0 < age < 24 * 3600
