"""A run file is checked against what it claims: its record's format, its history, its config against its parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jaxdl import checkpoint
from jaxdl.errors import ConfigError
from tests.helpers import one_error_line, run_cli


def _write_record(path, record: dict) -> None:
    checkpoint.save(path, {"state": {"w": np.ones(2)}, "run": json.dumps(record)})


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (7, "has a run record of format 7, newer than this jaxdl reads (1): upgrade jaxdl to read it."),
        ("x", "has a run record of format 'x', which jaxdl does not know (it writes format 1): it was not written"),
        (None, "has a run record of format None, which jaxdl does not know"),
    ],
)
def test_a_run_record_of_another_format_is_refused(tmp_path, version, message):
    path = tmp_path / "run.ckpt"
    _write_record(path, {"format": version, "config": {}, "history": {"loss": [0.5]}})
    with pytest.raises(ConfigError) as err:
        checkpoint.load_run(path)
    assert str(err.value).startswith(f"checkpoint {str(path)!r} {message}")
    assert "\n" not in str(err.value)


def test_history_columns_of_different_lengths_are_corrupt(tmp_path):
    path = tmp_path / "run.ckpt"
    _write_record(path, {"format": 1, "config": {}, "history": {"loss": [0.5, 0.4], "acc": [0.1]}})
    with pytest.raises(ConfigError, match=r"history columns have different lengths \(1 to 2 epochs\): it is corrupt"):
        checkpoint.load_run(path)


def test_a_config_that_disagrees_with_the_parameters_is_one_line_in_load_model_and_predict(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(["train", "--epochs", "1", "--hidden", "8", "--out", str(out)]) == 0
    run = checkpoint.load_run(out / "checkpoint")
    config = dict(run.config, hidden=[16])
    checkpoint.save_run(out / "checkpoint", run.saved_state, config=config, history=run.history)
    expected = (
        f"checkpoint {str(out / 'checkpoint')!r}: its config (model='mlp', hidden=[16], batch_norm=False) builds a "
        "model that needs shape (16,) at params/Linear_0/bias, but the file holds shape (8,): the config and the "
        "parameters disagree (was the file edited?)."
    )
    with pytest.raises(ConfigError) as err:
        checkpoint.load_model(out)
    assert str(err.value) == expected
    np.save(tmp_path / "x.npy", np.zeros((8, 8, 1)))
    capsys.readouterr()
    assert run_cli(["predict", "--run", str(out), str(tmp_path / "x.npy")]) == 2
    assert one_error_line(capsys) == f"jaxdl predict: error: {expected}"
