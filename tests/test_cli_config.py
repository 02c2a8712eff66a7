"""The CLI is a typed config plus a library call: options generated from the fields, --resume replacing only
the typed ones, and ``train_and_evaluate`` / ``sweep`` writing the same run folders as the commands."""

import dataclasses
import json
import os
import re

import pytest

from jaxdl import checkpoint, experiments
from jaxdl.cli import main, probability
from jaxdl.errors import ConfigError
from jaxdl.experiments import SweepConfig, TrainConfig, sweep, train_and_evaluate


def help_of(command: str, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithSmoothing(TrainConfig):
    label_smoothing: float = dataclasses.field(
        default=0.0, metadata={"help": "label smoothing of the cross-entropy", "parse": probability, "saved": True}
    )


def test_every_field_is_an_option_and_a_new_field_gets_one(capsys, monkeypatch):
    text = help_of("train", capsys)
    fields = [f for f in dataclasses.fields(TrainConfig) if "help" in f.metadata]
    assert {"lr", "batch_size", "checkpoint_every", "devices"} <= {f.name for f in fields}
    for field in fields:
        assert f"--{field.name.replace('_', '-')}" in text, field.name
    monkeypatch.setattr(experiments, "TrainConfig", WithSmoothing)
    for command in ("train", "sweep"):  # a training field is an option of both
        text = " ".join(help_of(command, capsys).split())
        assert "--label-smoothing LABEL_SMOOTHING label smoothing of the cross-entropy" in text
    ran = []
    monkeypatch.setattr(experiments, "train_and_evaluate", lambda config, out, **kwargs: ran.append(config))
    assert main(["train", "--label-smoothing", "0.1", "--epochs", "2"]) == 0
    assert ran == [WithSmoothing(label_smoothing=0.1, epochs=2).checked()]
    with pytest.raises(SystemExit):
        main(["train", "--label-smoothing", "1.5"])
    assert "argument --label-smoothing: '1.5' must be in [0, 1)" in capsys.readouterr().err


def test_train_help_lists_every_torch_optimizer_that_train_trains_with(capsys):
    import torch

    listed = re.search(r"--optimizer OPTIMIZER (.*?) \(default", " ".join(help_of("train", capsys).split())).group(1)
    accepted = set()
    for name, cls in vars(torch.optim).items():
        if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer) and cls is not torch.optim.Optimizer:
            try:
                TrainConfig(optimizer=name).checked()
            except ConfigError:
                continue
            accepted.add(name)
    assert len(accepted) == 12  # every torch.optim optimizer jaxdl has but LBFGS, which needs the full batch
    with pytest.raises(ConfigError, match="^--optimizer LBFGS is a full-batch solver"):
        TrainConfig(optimizer="lbfgs").checked()
    assert set(listed.partition(":")[2].replace(",", " ").split()) == accepted, listed


def test_resume_replaces_only_the_typed_fields(tmp_path, monkeypatch):
    out = tmp_path / "run"
    first = ["--hidden", "16", "--optimizer", "adam", "--lr", "0.05", "--epochs", "2", "--out", str(out)]
    assert main(["train", *first]) == 0
    saved = TrainConfig.from_dict(checkpoint.load_run(out / "checkpoint").config)
    assert (saved.hidden, saved.optimizer, saved.lr, saved.epochs) == ((16,), "adam", 0.05, 2)
    ran = []
    monkeypatch.setattr(experiments, "train_and_evaluate", lambda *args, **kwargs: ran.append((args, kwargs)))
    argv = ["--resume", str(out), "--epochs", "5", "--data-dir", str(tmp_path), "--checkpoint-every", "2"]
    assert main(["train", *argv, "--hidden", "16"]) == 0  # a setting typed as saved is no conflict
    [((config, folder), options)] = ran
    assert config == dataclasses.replace(saved, epochs=5, data_dir=str(tmp_path), checkpoint_every=2).checked()
    assert folder == str(out) and options == {"overwrite": False, "resume": True}


def test_checked_refuses_a_model_option_set_for_a_model_without_it():
    with pytest.raises(ConfigError, match=r"--model softmax has no --hidden: leave it out \(it takes none of them\)"):
        TrainConfig(model="softmax", hidden=(8,)).checked()
    assert TrainConfig(model="softmax").checked().model == "softmax"
    with pytest.raises(ConfigError, match="--model lenet has no --batch-norm: leave it out .it takes --activation."):
        TrainConfig(model="lenet").checked(given={"batch_norm"})  # typed, though equal to the default


def test_train_and_evaluate_writes_the_run_folder_jaxdl_train_writes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = TrainConfig(hidden=(8,), epochs=3, checkpoint_every=2)
    result = train_and_evaluate(config)
    library = capsys.readouterr().out
    assert main(["train", "--hidden", "8", "--epochs", "3", "--checkpoint-every", "2"]) == 0
    command = capsys.readouterr().out
    first, second = tmp_path / "runs" / "train", tmp_path / "runs" / "train-2"  # numbered default folders
    assert library.splitlines()[0] == f"jaxdl train: run folder {first}"
    assert command.splitlines()[0] == f"jaxdl train: run folder {second}"
    assert len(library.splitlines()) == len(command.splitlines())
    files = ["checkpoint", "curves.png", "metrics.csv", "metrics.json", "timing.json"]
    assert sorted(os.listdir(first)) == sorted(os.listdir(second)) == files
    for name in ("metrics.json", "metrics.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert json.loads((first / "metrics.json").read_text())["config"] == config.to_dict()
    saved = checkpoint.load_run(first / "checkpoint")
    assert saved.config == config.to_dict() and saved.epochs_done == 3
    assert saved.history["test_acc"] == result.history["test_acc"]

    with pytest.raises(ConfigError) as err:
        train_and_evaluate(dataclasses.replace(config, lr=0.5), first, resume=True, verbose=0)
    assert str(err.value) == (
        f"train_and_evaluate: resume continues the run in {str(first)!r} with its saved config, but config has "
        "lr=0.5 (saved: 0.1): start from TrainConfig.from_dict(jaxdl.checkpoint.load_run(path).config)."
    )
    with pytest.raises(ConfigError, match="already holds a run"):
        train_and_evaluate(config, first, verbose=0)
    longer = train_and_evaluate(dataclasses.replace(config, epochs=4), first, resume=True, verbose=0)
    assert longer.history["test_acc"][:3] == result.history["test_acc"]
    assert capsys.readouterr().out == ""


def test_sweep_writes_the_run_folder_jaxdl_sweep_writes(tmp_path):
    config = SweepConfig(train=TrainConfig(model="softmax", epochs=2, batch_size=128), lr=(0.1, 0.5), seeds=2)
    result = sweep(config, tmp_path / "library", verbose=0)
    argv = ["--model", "softmax", "--epochs", "2", "--batch-size", "128", "--lr", "0.1,0.5", "--seeds", "2"]
    assert main(["sweep", *argv, "--out", str(tmp_path / "command")]) == 0
    library, command = (tmp_path / "library" / "metrics.json"), (tmp_path / "command" / "metrics.json")
    assert library.read_bytes() == command.read_bytes()
    assert json.loads(library.read_text())["config"] == config.to_dict()
    assert [(r["lr"], r["seed"]) for r in result.runs] == [(0.1, 0), (0.1, 1), (0.5, 0), (0.5, 1)]
    with pytest.raises(ConfigError, match="a sweep does not use train.checkpoint_every"):
        one_run = dataclasses.replace(config.train, checkpoint_every=3)
        sweep(dataclasses.replace(config, train=one_run), tmp_path / "x")
    assert not (tmp_path / "x").exists()
