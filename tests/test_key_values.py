"""One K=V parser: Python literals, strict booleans, unknown keys by name, options a model ignores."""

import argparse
import dataclasses
import json

import pytest

from jaxdl.errors import ConfigError
from jaxdl.experiments import TrainConfig
from tests.helpers import one_error_line, run_cli

QUICK = ["train", "--epochs", "1", "--hidden", "8"]
PARSE = {f.name: f.metadata["parse"] for f in dataclasses.fields(TrainConfig)}["optimizer_args"]
"""How ``--optimizer-args`` (and ``--scheduler-args``) text is read."""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("momentum=0.9,weight_decay=5e-4", {"momentum": 0.9, "weight_decay": 5e-4}),
        ("betas=(0.9, 0.99),eps=1e-8", {"betas": (0.9, 0.99), "eps": 1e-8}),
        ("milestones=[30,80],gamma=0.1", {"milestones": [30, 80], "gamma": 0.1}),
        ("mode=triangular2, T_0=10", {"mode": "triangular2", "T_0": 10}),
        ("nesterov=yes,maximize=False", {"nesterov": "yes", "maximize": False}),
        ("mode='max'", {"mode": "max"}),
    ],
)
def test_parse_reads_python_literals_and_words(text, expected):
    assert PARSE(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("betas=(0.9, 0.99", "unclosed '(' in 'betas=(0.9, 0.99': close it with ')'"),
        ("milestones=[30,80", "unclosed '['"),
        ("betas=0.9, 0.99)", "unmatched ')'"),
        ("momentum", "cannot read 'momentum': expected name=value"),
        ("milestones=30,60", "cannot read '60': a list of values needs brackets, e.g. milestones=[30, 60]"),
        ("milestones=30,60,90,gamma=0.5", "a list of values needs brackets, e.g. milestones=[30, 60, 90]"),
        ("gamma=0.5,x", "cannot read 'x': expected name=value"),
        ("momentum=", "momentum= has no value"),
        ("gamma=0.1,gamma=0.2", "gamma is given twice"),
        ("eps=1e-8 1", "eps='1e-8 1' is not a value"),
    ],
)
def test_parse_reports_the_syntax_fault(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=None) as err:
        PARSE(text)
    assert message in str(err.value)


@pytest.mark.parametrize(
    "given, expected",
    [("no", False), ("yes", True), ("true", True), ("False", False), (0, False), (1, True), ("0", False)],
)
def test_booleans_are_read_strictly(given, expected):
    assert TrainConfig(optimizer_args={"maximize": given}).checked().optimizer_args == {"maximize": expected}


@pytest.mark.parametrize("given", ["maybe", "n", 2, 0.5, "nope"])
def test_any_other_text_for_a_boolean_is_an_error(given):
    with pytest.raises(ConfigError, match="nesterov is true or false; expected one of true, false, 1, 0, yes, no"):
        TrainConfig(optimizer_args={"nesterov": given}).checked()


@pytest.mark.parametrize("given, expected", [("true", True), ("no", False), ("none", None), ("None", None)])
def test_a_switch_that_may_be_none_reads_booleans_and_none(given, expected):
    assert TrainConfig(optimizer_args={"foreach": given}).checked().optimizer_args == {"foreach": expected}


def test_a_word_for_a_number_is_an_error():
    with pytest.raises(ConfigError, match="momentum='fast': momentum is a number"):
        TrainConfig(optimizer_args={"momentum": "fast"}).checked()


@pytest.mark.parametrize(
    "args, message",
    [
        ({"scheduler": "ExponentialLR", "scheduler_args": {"gamma": 1e40}}, "gamma=1e\\+40: gamma must be a finite"),
        ({"optimizer": "RMSprop", "optimizer_args": {"alpha": 1e308}}, "alpha=1e\\+308: alpha must be a finite"),
        ({"optimizer_args": {"momentum": float("inf")}}, "momentum=inf: momentum must be a finite number within"),
        ({"optimizer_args": {"momentum": float("nan")}}, "momentum=nan: momentum must be a finite number within"),
    ],
)
def test_a_number_float32_cannot_hold_is_an_error_before_training_overflows(args, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**args).checked()
    largest = {"scheduler": "ExponentialLR", "scheduler_args": {"gamma": 3.4e38}}
    assert TrainConfig(**largest).checked().scheduler_args == {"gamma": 3.4e38}  # the edge itself is a number


def test_scheduler_words_stay_words():
    config = TrainConfig(scheduler="ReduceLROnPlateau", scheduler_args={"mode": "max", "patience": 3})
    assert config.checked().scheduler_args == {"mode": "max", "patience": 3}


def test_maximize_no_trains_with_maximize_false(tmp_path):
    out = tmp_path / "run"
    assert run_cli([*QUICK, "--optimizer-args", "maximize=no,nesterov=0,momentum=0.9", "--out", str(out)]) == 0
    config = json.loads((out / "metrics.json").read_text())["config"]
    assert config["optimizer_args"] == {"maximize": False, "nesterov": False, "momentum": 0.9}


def test_torch_style_betas_reach_adam(tmp_path):
    out = tmp_path / "run"
    args = [*QUICK, "--optimizer", "adam", "--lr", "0.01", "--optimizer-args", "betas=(0.9, 0.99)", "--out", str(out)]
    assert run_cli(args) == 0
    assert json.loads((out / "metrics.json").read_text())["config"]["optimizer_args"] == {"betas": [0.9, 0.99]}


CLI = {
    "bool text": (
        ["--optimizer-args", "maximize=maybe"],
        "--optimizer-args maximize='maybe': maximize is true or false",
    ),
    "lr in optimizer args": (
        ["--optimizer-args", "lr=0.5"],
        "--optimizer-args lr=...: lr has its own option, use --lr",
    ),
    "unknown key": (
        ["--optimizer-args", "momentun=0.9"],
        "SGD: unknown argument 'momentun' (did you mean 'momentum'?)",
    ),
    "unclosed bracket": (["--optimizer", "adam", "--optimizer-args", "betas=(0.9,0.99"], "unclosed '('"),
    "scheduler lr": (
        ["--scheduler", "StepLR", "--scheduler-args", "lr=0.5,step_size=3"],
        "--scheduler-args lr=...: lr has its own option, use --lr",
    ),
    "unknown scheduler key": (
        ["--scheduler", "StepLR", "--scheduler-args", "step=3"],
        "StepLR: unknown argument 'step' (did you mean 'step_size'?)",
    ),
    "scheduler args alone": (["--scheduler-args", "gamma=0.1"], "--scheduler-args without --scheduler"),
    "softmax hidden": (["--model", "softmax"], "--model softmax has no --hidden"),
    "softmax dropout": (["--model", "softmax", "--dropout", "0.5"], "--model softmax has no --hidden, --dropout"),
    "linear batch norm": (
        ["--model", "linear", "--batch-norm", "--dataset", "diabetes"],
        "--model linear has no --hidden, --batch-norm",
    ),
    "seed 2**70": (["--seed", str(2**70)], f"argument --seed: '{2**70}' must be 0 or more and below 2**63"),
    "early stopping without val": (
        ["--early-stopping", "3"],
        "--early-stopping watches the validation loss: add --val",
    ),
    "val fraction 1": (["--val", "1"], "argument --val: '1' must be in (0, 1)"),
}


@pytest.mark.parametrize("case", list(CLI))
def test_cli_option_mistakes_are_one_line_and_write_nothing(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, expected = CLI[case]
    out = tmp_path / "run"
    assert run_cli([*QUICK, *argv, "--out", str(out)]) == 2
    assert expected in one_error_line(capsys)
    assert not out.exists() and not (tmp_path / "runs").exists()
