"""``jaxdl train`` end to end, interrupted, with warm-up epochs, and ``jaxdl schedules`` on odd lambdas.

The table of bad ``jaxdl train`` arguments (one line, exit 2, nothing written) is in test_errors.py.
"""

import json
import math
import os

import pytest
import torch

from jaxdl.cli import main
from tests.helpers import run_cli

QUICK = ["--epochs", "3", "--hidden", "32"]


def test_train_writes_metrics_curves_and_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--optimizer", "adam", "--lr", "0.01", "--out", str(out)]) == 0
    assert {"metrics.json", "curves.png", "checkpoint"} <= set(os.listdir(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["optimizer"] == "adam" and metrics["config"]["hidden"] == [32]
    assert len(metrics["history"]["test_acc"]) == 3
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "test_acc" in capsys.readouterr().out


def test_default_train_reaches_97_percent_on_digits_offline(tmp_path, monkeypatch, full_calls):
    monkeypatch.chdir(tmp_path)  # the default run folder is runs/train under the working folder
    assert main(["train"]) == 0  # offline: tests/conftest.py fails any network access in this process
    metrics = json.loads((tmp_path / "runs" / "train" / "metrics.json").read_text())
    assert metrics["history"]["test_acc"][-1] >= 0.97
    assert metrics["config"]["dataset"] == "digits" and metrics["config"]["model"] == "mlp"
    timing = json.loads((tmp_path / "runs" / "train" / "timing.json").read_text())
    # two timing calls, then 16 epochs per call: its callbacks (a checkpoint each minute) end no call of this run
    assert len(timing["epoch_time"]) == 500 and timing["calls"] == 2 + math.ceil(498 / 16)


def test_ctrl_c_while_loading_data_is_one_line_exit_130_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from jaxdl import data

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "load", interrupted)
    out = tmp_path / "run"
    assert main(["train", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "jaxdl train: interrupted before any output was written.\n"
    assert not out.exists()


@pytest.mark.parametrize("expression", ["9 ** 9 ** 9", "epoch ** 400", "1 / (epoch - epoch)", "2 ** 10 ** 10 ** 10"])
def test_schedules_lambda_overflow_is_one_line_not_a_hang_or_a_plot(tmp_path, capsys, expression):
    out = tmp_path / "lambda.png"
    args = ["schedules", "LambdaLR", "--lr", "0.1", "--lr_lambda", expression, "--steps", "50", "--out", str(out)]
    assert run_cli(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "non-finite rates" in err[0], err
    assert not out.exists()


@pytest.mark.parametrize(
    "expression, message",
    [
        ("1" * 400, "too large for float32"),
        ("epoch + " * 200 + "1", "expected at most 500"),
    ],
)
def test_schedules_lambda_huge_constants_and_expressions_are_refused(tmp_path, capsys, expression, message):
    out = tmp_path / "lambda.png"
    assert run_cli(["schedules", "LambdaLR", "--lr", "0.1", "--lr_lambda", expression, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_schedules_lambda_still_plots_ordinary_expressions(tmp_path):
    out = tmp_path / "lambda.png"
    assert run_cli(["schedules", "LambdaLR", "--lr", "0.1", "--lr_lambda", "0.95 ** epoch", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _torch_rates(epochs: int, warmup: int, losses=None) -> list[float]:
    """The rate of each epoch in torch's loop: LinearLR for ``warmup`` epochs, then ReduceLROnPlateau or constant."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(opt, total_iters=warmup)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0) if losses is not None else None
    rates = []
    for epoch in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()  # the epoch's updates (none: no gradient), before the schedulers as torch expects
        if epoch < warmup:
            warm.step()
        elif plateau is not None:
            plateau.step(losses[epoch])
    return rates


@pytest.mark.parametrize("scheduler", [None, "ReduceLROnPlateau"])
def test_warmup_epochs_then_the_scheduler_follow_torch(tmp_path, scheduler, capsys):
    out = tmp_path / "run"
    more = [] if scheduler is None else ["--scheduler", scheduler, "--scheduler-args", "patience=0"]
    argv = ["train", "--model", "softmax", "--epochs", "6", "--warmup-epochs", "3", *more, "--out", str(out)]
    assert main(argv) == 0
    history = json.loads((out / "metrics.json").read_text())["history"]
    losses = None if scheduler is None else history["test_loss"]
    assert history["lr"] == pytest.approx(_torch_rates(6, 3, losses), rel=1e-6)
    said = "jaxdl train: ReduceLROnPlateau watches test_loss (add --val 0.1 to watch a validation split instead)"
    assert (said in capsys.readouterr().out.splitlines()) == (scheduler is not None)


def test_warmup_epochs_with_per_step_scheduling_is_one_line(tmp_path, capsys):
    argv = [
        "train",
        "--model",
        "softmax",
        "--epochs",
        "2",
        "--warmup-epochs",
        "1",
        "--schedule-unit",
        "step",
        "--out",
        str(tmp_path / "run"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--warmup-epochs counts epochs" in err[0]
    assert not (tmp_path / "run").exists()
