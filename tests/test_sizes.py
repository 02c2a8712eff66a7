"""Sizes that cannot fit are refused with one line from the arithmetic, before anything is allocated."""

from __future__ import annotations

import functools
import os

import pytest

from jaxdl import data, models, optim, schedules
from jaxdl.callbacks import LambdaCallback
from jaxdl.errors import ConfigError
from jaxdl.train import fit
from tests.helpers import one_error_line, run_cli

QUICK = ["train", "--epochs", "1", "--hidden", "8"]
CLI = {
    "a layer of a billion units": (
        ["--hidden", "1000000000"],
        "fit: model must be a model whose variables fit in memory (",
    ),
    "10**12 epochs with a scheduler": (
        ["--epochs", str(10**12), "--scheduler", "StepLR", "--scheduler-args", "step_size=3"],
        "fit: epochs must be at most 357913941 with a schedule (the optimizer counts its 6 steps per epoch in int32",
    ),
    "a warm-up of 2**31 epochs": (
        ["--warmup-epochs", str(2**31)],
        "--warmup-epochs must be below 2**31 (schedules count epochs in int32), got 2147483648.",
    ),
}


@pytest.mark.parametrize("case", list(CLI))
def test_cli_sizes_that_cannot_fit_are_one_line_and_write_nothing(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, expected = CLI[case]
    assert run_cli([*QUICK, *argv, "--out", str(tmp_path / "run")]) == 2
    assert expected in one_error_line(capsys)
    assert os.listdir(tmp_path) == []


def test_a_model_larger_than_memory_names_its_size():
    with pytest.raises(ConfigError, match=r"got MLP with 75,000,000,010 numbers \(300 GB\)$"):
        fit(models.MLP(hidden=(10**9,)), data.load("digits"), optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=64)


def test_a_schedule_with_numbers_beyond_int32_is_one_line():
    with pytest.raises(
        ConfigError, match=r"^fit: schedule must be a schedule whose numbers fit int32 \(below 2\*\*31\)"
    ):
        fit(
            models.MLP(hidden=(8,)),
            data.load("digits"),
            optimizer=functools.partial(optim.sgd),
            schedule=schedules.linear_lr(0.1, total_iters=2**31),
            epochs=2,
            batch_size=256,
        )


def test_a_long_scheduled_run_evaluates_its_schedule_instead_of_tabulating_it():
    """10**8 epochs would need a 400 MB table of rates: the rates come from the schedule, the same ones."""
    stop_after_3 = LambdaCallback(on_epoch_end=lambda epoch, row: epoch >= 3)
    result = fit(
        models.MLP(hidden=(8,)),
        data.load("digits"),
        optimizer=functools.partial(optim.sgd),
        schedule=schedules.step_lr(0.1, step_size=2, gamma=0.5),
        epochs=10**8,
        batch_size=256,
        callbacks=[stop_after_3],
    )
    assert result.history["lr"] == pytest.approx([0.1, 0.1, 0.05])
