"""Every user mistake gets one ConfigError naming the argument, the value and what was expected.

Library cases assert the message; CLI cases assert exit code 2, exactly one stderr line,
no traceback and an untouched ``--out``. The table "What jaxdl checks" in docs/errors.md lists them.
"""

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

from jaxdl import checkpoint, data, losses, optim, schedules
from jaxdl.callbacks import LossLimit
from jaxdl.errors import ConfigError
from jaxdl.models import MLP, Conv2d, Linear
from jaxdl.train import create_train_state, evaluate, fit, fit_many, objective_for, train_epoch
from tests.helpers import one_error_line, run_cli

SGD = optax.sgd(0.1)
LR = "a finite number >= 0 or a schedule (a function of the step count)"


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def arrays(**overrides):
    """Four valid arrays (4 and 2 examples of 3 features, classes 0..2), with some replaced."""
    args = {"X_train": np.zeros((4, 3)), "y_train": [0, 1, 2, 1], "X_test": np.zeros((2, 3)), "y_test": [0, 2]}
    args.update(overrides)
    return args


def from_arrays(**overrides):
    kwargs = {k: overrides.pop(k) for k in ("num_classes", "regression") if k in overrides}
    return data.from_arrays(*arrays(**overrides).values(), **kwargs)


LIBRARY = {
    "unknown dataset": (
        lambda ctx: data.load("fashion-mnst"),
        "unknown dataset 'fashion-mnst' (did you mean 'fashion_mnist'?); expected one of digits, mnist",
    ),
    "unknown optimizer": (
        lambda ctx: optim.by_name("adma", lr=0.1),
        "unknown optimizer 'adma' (did you mean 'Adam'?); expected one of SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW",
    ),
    "unknown scheduler": (
        lambda ctx: schedules.by_name("StepLRR", lr=0.1, step_size=2),
        "unknown scheduler 'StepLRR' (did you mean 'StepLR'?); expected one of LambdaLR",
    ),
    "unknown activation": (
        lambda ctx: MLP(activation="rleu"),
        "unknown activation 'rleu' (did you mean 'relu'?); expected one of relu, sigmoid, tanh, gelu, elu",
    ),
    "negative lr": (lambda ctx: optim.sgd(lr=-0.1), f"SGD: lr must be {LR}, got -0.1"),
    "NaN lr": (lambda ctx: optim.adam(lr=math.nan), f"Adam: lr must be {LR}, got nan"),
    "infinite lr": (lambda ctx: optim.sgd(lr=math.inf), f"SGD: lr must be {LR}, got inf"),
    "text dropout": (lambda ctx: MLP(dropout="0.5"), "MLP: dropout must be a probability in [0, 1), got '0.5'"),
    "zero epochs": (
        lambda ctx: fit(MLP(), ctx, optimizer=SGD, epochs=0, batch_size=64),
        "fit: epochs must be an integer >= 1, got 0",
    ),
    "fractional epochs": (
        lambda ctx: fit(MLP(), ctx, optimizer=SGD, epochs=2.5, batch_size=64),
        "fit: epochs must be an integer >= 1, got 2.5",
    ),
    "negative batch size": (
        lambda ctx: fit(MLP(), ctx, optimizer=SGD, epochs=1, batch_size=-1),
        "fit: batch_size must be an integer >= 1, got -1",
    ),
    "batch larger than the data": (
        lambda ctx: fit(MLP(), ctx, optimizer=SGD, epochs=1, batch_size=5000),
        "fit: batch_size must be at most the 1437 training examples, got 5000",
    ),
    "zero hidden width": (
        lambda ctx: MLP(hidden=(16, 0)),
        "MLP: hidden must be positive integer layer widths, got (16, 0)",
    ),
    "dropout 1": (lambda ctx: MLP(dropout=1.0), "MLP: dropout must be a probability in [0, 1), got 1.0"),
    "negative dropout": (lambda ctx: MLP(dropout=-0.1), "MLP: dropout must be a probability in [0, 1), got -0.1"),
    "bad max_loss": (
        lambda ctx: LossLimit(math.inf),
        "LossLimit: max_loss must be a number > 0, got inf",
    ),
    "label above num_classes": (
        lambda ctx: from_arrays(y_train=[0, 1, 5, 1], num_classes=3),
        "y_train has labels in [0, 5]: expected 0 <= label < num_classes=3.",
    ),
    "negative label": (
        lambda ctx: from_arrays(y_test=[-1, 2], num_classes=3),
        "y_test has labels in [-1, 2]: expected 0 <= label < num_classes=3.",
    ),
    "non-integer labels": (
        lambda ctx: from_arrays(y_train=[0, 1.5, 2, 1]),
        "labels must be integer class indices (or pass regression=True).",
    ),
    "text labels": (
        lambda ctx: from_arrays(y_train=["cat", "dog", "cat", "dog"]),
        "y_train has dtype <U3: expected integer class indices 0..num_classes-1 (map names to indices first).",
    ),
    "one-hot labels": (
        lambda ctx: from_arrays(y_train=np.eye(3)[[0, 1, 2, 1]], y_test=np.eye(3)[[0, 2]]),
        "y_train has shape (4, 3): expected (4,) class indices (for one-hot labels pass y.argmax(axis=1)).",
    ),
    "NaN in X": (
        lambda ctx: from_arrays(X_train=np.where(np.eye(4, 3), np.nan, 0.0)),
        "X_train contains 3 NaN/inf values: clean or impute the data first.",
    ),
    "inf in regression targets": (
        lambda ctx: from_arrays(y_test=[0.5, np.inf], regression=True),
        "y_test contains NaN/inf values: expected finite regression targets.",
    ),
    "X and y of different lengths": (
        lambda ctx: from_arrays(y_train=[0, 1, 2]),
        "X_train and y_train have different lengths (4 vs 3): expected one label per example.",
    ),
    "empty dataset": (
        lambda ctx: from_arrays(X_train=np.zeros((0, 3)), y_train=[]),
        "X_train is empty: expected at least one example, got shape (0, 3).",
    ),
    "ragged X": (
        lambda ctx: from_arrays(X_test=[[0.0, 1.0, 2.0], [0.0]]),
        "X_test cannot be read as one array (setting an array element with a sequence.",
    ),
    "train/test example shapes differ": (
        lambda ctx: from_arrays(X_test=np.zeros((2, 4))),
        "X_train examples have shape (3,) but X_test examples (4,): expected the same.",
    ),
    "a seed where create_train_state takes a key": (
        lambda ctx: create_train_state(MLP(), SGD, jnp.zeros((1, 3)), key=0),
        "create_train_state: key must be a JAX random key, e.g. jax.random.key(seed), got 0",
    ),
    "a seed where DataLoader.batches takes a key": (
        lambda ctx: next(data.DataLoader(np.zeros((4, 3)), batch_size=2, shuffle=True).batches(key=0)),
        "DataLoader.batches: key must be a JAX random key, e.g. jax.random.key(seed), got 0",
    ),
    "a float array where permutation takes a key": (
        lambda ctx: data.permutation(jnp.zeros(2), 5),
        "permutation: key must be a JAX random key, e.g. jax.random.key(seed), got an array of dtype float32 and "
        "shape (2,)",
    ),
    "misspelled optimizer argument": (
        lambda ctx: optim.sgd(0.1, momentun=0.9),
        "SGD: unknown argument 'momentun' (did you mean 'momentum'?); expected one of lr, momentum,",
    ),
    "validation_split above 1": (
        lambda ctx: fit(MLP(), ctx, optimizer=SGD, epochs=1, batch_size=64, validation_split=1.5),
        "fit: validation_split must be a number in (0, 1), got 1.5",
    ),
    "a negative seed with validation_split": (
        lambda ctx: fit(MLP(), ctx, optimizer=SGD, epochs=1, batch_size=64, validation_split=0.1, seed=-1),
        "fit: seed must be an integer in [0, 2**63 - 1], got -1",
    ),
    "fit_many's validation_split": (
        lambda ctx: fit_many(MLP(), ctx, optimizer=SGD, epochs=1, batch_size=64, validation_split=0.0),
        "fit_many: validation_split must be a number in (0, 1), got 0.0",
    ),
    "train_epoch with fewer targets than examples": (
        lambda ctx: train_epoch(state_for(64), ctx.train[0], ctx.train[1][:100], batch_size=64),
        "train_epoch: y must be one target per example of X (1437 examples), got 100 targets",
    ),
    "evaluate with batch size 0": (
        lambda ctx: evaluate(state_for(64), *ctx.test, batch_size=0),
        "evaluate: batch_size must be an integer >= 1, got 0",
    ),
    "a schedule with an optimizer function that takes no lr=": (
        lambda ctx: fit(
            MLP(), ctx, optimizer=optax.sgd, schedule=schedules.step_lr(0.1, step_size=1), epochs=1, batch_size=64
        ),
        "fit: optimizer must be a function that takes the rate as lr= with schedule=, e.g. lambda lr: optax.adam(lr) "
        "or functools.partial(jaxdl.optim.sgd, momentum=0.9), got a function of (learning_rate, momentum,",
    ),
    "a function as the callbacks": (
        lambda ctx: fit(MLP(), ctx, optimizer=SGD, epochs=1, batch_size=64, callbacks=print),
        "fit: callbacks must be a list of Callback instances (wrap a function in "
        "jaxdl.callbacks.LambdaCallback(on_epoch_end=f)), got <built-in function print>",
    ),
    "a Linear layer of -3 features": (lambda ctx: Linear(-3), "Linear: features must be an integer >= 1, got -3"),
    "a Conv2d kernel of size 0": (
        lambda ctx: Conv2d(4, kernel_size=0),
        "Conv2d: kernel_size must be an integer >= 1, got 0",
    ),
    "a class index beyond the logits": (
        lambda ctx: losses.cross_entropy(jnp.zeros((2, 3)), jnp.array([0, 5])),
        "cross_entropy: labels must be class indices in [0, 3), got labels in [0, 5]",
    ),
    "a negative class index": (
        lambda ctx: losses.nll(jnp.zeros((2, 3)), jnp.array([-1, 2])),
        "nll: labels must be class indices in [0, 3), got labels in [-1, 2]",
    ),
    "a probability above 1 given to bce": (
        lambda ctx: losses.bce(jnp.array([0.5, 1.25]), jnp.array([1.0, 0.0])),
        "bce: probs must be probabilities in [0, 1] (for unbounded scores use losses.bce_with_logits), "
        "got values in [0.5, 1.25]",
    ),
    "empty sweep list": (
        lambda ctx: fit_many(
            MLP(hidden=(8,)), ctx, optimizer=lambda lr: optax.sgd(lr), hparams={"lr": []}, epochs=1, batch_size=64
        ),
        "fit_many: hparams['lr'] must be a list of at least one value, got []",
    ),
}


@pytest.mark.parametrize("case", list(LIBRARY))
def test_library_mistakes_raise_one_clear_config_error(case, digits):
    make, message = LIBRARY[case]
    with pytest.raises(ConfigError) as err:
        make(digits)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_sweep_lists_of_different_lengths_form_a_grid_not_an_error(digits):
    result = fit_many(
        MLP(hidden=(8,)),
        digits,
        optimizer=lambda lr, momentum: optax.sgd(lr, momentum),
        hparams={"lr": [0.05, 0.1, 0.2], "momentum": [0.0, 0.9]},
        epochs=1,
        batch_size=256,
    )
    assert result.history["test_acc"].shape == (6, 1)
    assert [(r["lr"], r["momentum"]) for r in result.runs] == [(lr, m) for lr in (0.05, 0.1, 0.2) for m in (0.0, 0.9)]


def state_for(features: int):
    return create_train_state(MLP(hidden=(16,)), SGD, jnp.zeros((1, features)), key=jax.random.key(0))


def ten_features():
    rng = np.random.default_rng(0)
    return data.from_arrays(
        rng.normal(size=(64, 10)),
        rng.integers(0, 10, 64),
        rng.normal(size=(16, 10)),
        np.arange(16) % 10,
        num_classes=10,
    )


def test_state_for_64_features_given_10_feature_data_at_fit():
    initial = fit(MLP(hidden=(16,)), data.load("digits"), optimizer=SGD, epochs=1, batch_size=128)
    with pytest.raises(ConfigError) as err:
        fit(MLP(hidden=(16,)), ten_features(), optimizer=SGD, epochs=2, batch_size=16, initial=initial)
    assert str(err.value) == (
        "initial.state has params/Linear_0/kernel of shape (64, 16), but MLP on inputs of shape (10,) needs "
        "(10, 16): it was trained on other inputs or another model."
    )


def test_state_for_64_features_given_10_feature_data_at_evaluate():
    model = MLP(hidden=(16,))
    with pytest.raises(ConfigError) as err:
        evaluate(
            state_for(64), jnp.ones((5, 10)), jnp.zeros(5, jnp.int32), batch_size=5, objective=objective_for(model)
        )
    assert str(err.value) == (
        'evaluate: X has examples of shape (10,), which the model\'s parameters do not fit (For parameter "kernel" in '
        '"/Linear_0", the given initializer is expected to generate shape (10, 16), but the existing parameter it '
        "received has shape (64, 16).): was the state trained on other inputs?"
    )


def test_checkpoint_of_another_model_shape_at_restore(tmp_path):
    checkpoint.save(tmp_path / "ckpt", state_for(64))
    with pytest.raises(ConfigError) as err:
        checkpoint.restore(tmp_path / "ckpt", like=state_for(10))
    assert str(err.value) == (
        f"checkpoint {str(tmp_path / 'ckpt')!r} holds /params/Linear_0/kernel with shape (64, 16), the model "
        "expects (10, 16): it was saved from a different model shape."
    )


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_checkpoint_is_one_clear_error(tmp_path, damage):
    path = tmp_path / "ckpt"
    checkpoint.save_run(path, state_for(64), config={}, history={"train_loss": [1.0]})
    payload = path.read_bytes()
    path.write_bytes(payload[: len(payload) // 2] if damage == "truncated" else b"\x93" + bytes(range(256)) * 4)
    for read in (lambda: checkpoint.load_run(path), lambda: checkpoint.restore(path, like=state_for(64))):
        with pytest.raises(ConfigError, match=r"checkpoint '.*ckpt' is truncated|'.*ckpt' is not a jaxdl checkpoint"):
            read()


TORCH_REJECTS = [
    ("ConstantLR", {"factor": 1.5}),
    ("LinearLR", {"start_factor": 0.0}),
    ("LinearLR", {"end_factor": 1.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 0}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 0}),
    ("ReduceLROnPlateau", {"factor": 1.0}),
    ("ReduceLROnPlateau", {"mode": "maximum"}),
    ("ReduceLROnPlateau", {"threshold_mode": "relative"}),
    ("OneCycleLR", {"max_lr": 0.1}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "cosine"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "mode": "triangle"}),
]


@pytest.mark.parametrize("name, kwargs", TORCH_REJECTS, ids=[f"{n}-{'-'.join(k)}" for n, k in TORCH_REJECTS])
def test_scheduler_arguments_torch_rejects_are_config_errors(name, kwargs):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError):
        getattr(torch.optim.lr_scheduler, name)(opt, **kwargs)
    base = {} if name in ("OneCycleLR", "CyclicLR") else {"lr": 0.1}
    with pytest.raises(ConfigError) as err:
        schedules.by_name(name, **base, **kwargs)
    message = str(err.value)
    named = [k for k in kwargs if k not in ("base_lr", "max_lr")] or ["total_steps"]
    assert message.startswith(f"{name}: ") and named[-1] in message and "\n" not in message


QUICK = ["train", "--epochs", "1", "--hidden", "8"]
CLI = {
    "unknown model": (
        ["--model", "mpl"],
        "argument --model: 'mpl' is not a model (did you mean 'mlp'?); expected one of mlp, softmax",
    ),
    "model without a near name": (["--model", "cnn"], "argument --model: 'cnn' is not a model"),
    "unknown dataset": (["--dataset", "digist"], "unknown dataset 'digist' (did you mean 'digits'?)"),
    "unknown optimizer": (["--optimizer", "adma"], "unknown optimizer 'adma' (did you mean 'Adam'?)"),
    "unknown scheduler": (["--scheduler", "StepLRR"], "unknown scheduler 'StepLRR' (did you mean 'StepLR'?)"),
    "unknown activation": (["--activation", "rleu"], "unknown activation 'rleu' (did you mean 'relu'?)"),
    "unparsable lr": (["--lr", "abc"], "argument --lr: 'abc' is not a number (expected a positive number)"),
    "zero lr": (["--lr", "0"], "argument --lr: '0' must be a finite number > 0"),
    "infinite lr": (["--lr", "inf"], "argument --lr: 'inf' must be a finite number > 0"),
    "NaN lr": (["--lr", "nan"], "argument --lr: 'nan' must be a finite number > 0"),
    "zero epochs": (["--epochs", "0"], "argument --epochs: '0' must be a positive integer"),
    "zero batch size": (["--batch-size", "0"], "argument --batch-size: '0' must be a positive integer"),
    "batch larger than the data": (["--batch-size", "5000"], "fit: batch_size must be at most the 1437 training"),
    "a validation split that leaves less than a batch": (
        ["--val", "0.999"],
        "fit: batch_size must be at most the 1 training examples (a validation split holds out 1436 more), got 256",
    ),
    "zero hidden width": (["--hidden", "0"], "argument --hidden: '0' must be a positive integer"),
    "unparsable hidden": (["--hidden", "16,x"], "argument --hidden: 'x' is not an integer"),
    "dropout 1": (["--dropout", "1"], "argument --dropout: '1' must be in [0, 1)"),
    "dropout above 1": (["--dropout", "1.5"], "argument --dropout: '1.5' must be in [0, 1)"),
    "negative seed": (["--seed", "-1"], "argument --seed: '-1' must be 0 or more"),
    "scheduler argument torch rejects": (
        ["--scheduler", "CosineAnnealingWarmRestarts", "--scheduler-args", "T_0=0"],
        "CosineAnnealingWarmRestarts: T_0",
    ),
    "zero checkpoint interval": (["--checkpoint-every", "0"], "argument --checkpoint-every: '0' must be a positive"),
    "missing data dir": (
        ["--data-dir", "/no/such/folder"],
        "argument --data-dir: '/no/such/folder' is not an existing folder",
    ),
    "data dir without the files": (["--dataset", "fashion_mnist", "--data-dir", "."], "fashion_mnist not found"),
    "resume without a run": (["--resume", "."], "--resume '.': no checkpoint file there"),
    "out under a file": (["--out", "FILE/run"], "argument --out: 'FILE/run' is not writable"),
    "an option spelled with underscores": (
        ["--optimizer_args", "momentum=0.9"],
        "jaxdl train: error: unrecognized arguments: --optimizer_args momentum=0.9 (did you mean '--optimizer-args'?) "
        "(see jaxdl train --help)",
    ),
    "a stray word": (["extra"], "jaxdl train: error: unrecognized arguments: extra (see jaxdl train --help)"),
    "a scheduler argument torch requires": (
        ["--scheduler", "CosineAnnealingLR"],
        "jaxdl train: error: --scheduler CosineAnnealingLR needs T_max (torch's has no default): add --scheduler-args "
        "T_max=...",
    ),
    "OneCycleLR without its length": (
        ["--scheduler", "OneCycleLR", "--scheduler-args", "epochs=5"],
        "jaxdl train: error: --scheduler OneCycleLR needs the length of its cycle: add --scheduler-args total_steps=N, "
        "N the scheduler's steps in the run (--epochs, or --epochs times the batches per epoch with --schedule-unit "
        "step).",
    ),
    "a cycling scheduler with an optimizer that has no momentum": (
        ["--optimizer", "Adagrad", "--scheduler", "OneCycleLR", "--scheduler-args", "total_steps=10"],
        "jaxdl train: error: --scheduler OneCycleLR cycles the optimizer's momentum (cycle_momentum=True), which "
        "--optimizer Adagrad does not have: add --scheduler-args cycle_momentum=False, or use --optimizer SGD, RMSprop "
        "or an Adam-family one (torch refuses this too).",
    ),
    "a scheduler that takes a Python function": (
        ["--scheduler", "LambdaLR"],
        "--scheduler LambdaLR takes a Python function (lr_lambda): build it in Python (jaxdl.schedules), or draw one "
        "with jaxdl schedules LambdaLR --lr_lambda '0.95 ** epoch'.",
    ),
}


def assert_one_line_error(capsys, code, expected):
    assert code == 2
    line = one_error_line(capsys)
    assert expected in line
    return line


@pytest.mark.parametrize("case", list(CLI))
def test_cli_mistakes_exit_2_with_one_line_and_write_nothing(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("a file, not a folder")
    argv, expected = CLI[case]
    out = [] if "--out" in argv else ["--out", str(tmp_path / "run")]
    assert_one_line_error(capsys, run_cli([*QUICK, *argv, *out]), expected)
    assert sorted(os.listdir(tmp_path)) == ["FILE"]


def test_cli_out_not_writable(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = assert_one_line_error(capsys, run_cli([*QUICK, "--out", str(blocker / "run")]), "argument --out")
    assert line == (
        f"jaxdl train: error: argument --out: {str(blocker / 'run')!r} is not writable "
        f"({str(blocker)!r} is a file, not a folder) (see jaxdl train --help)"
    )


def test_cli_data_dir_without_the_files_lists_folders_and_files(tmp_path, capsys):
    out = tmp_path / "run"
    line = assert_one_line_error(
        capsys,
        run_cli([*QUICK, "--dataset", "fashion_mnist", "--data-dir", str(tmp_path), "--out", str(out)]),
        "jaxdl train: error: fashion_mnist not found: no prepared TFDS copy and no IDX files in ",
    )
    folders = [tmp_path / "FashionMNIST" / "raw", tmp_path / "FashionMNIST", tmp_path]
    assert ", ".join(map(str, folders)) in line
    files = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    assert "Put the four files " + ", ".join(f"{name}.gz" for name in files) in line
    assert not out.exists()


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_cli_resume_from_a_damaged_checkpoint(tmp_path, capsys, damage):
    run = tmp_path / "run"
    run.mkdir()
    checkpoint.save_run(run / "checkpoint", state_for(64), config={}, history={"train_loss": [1.0]})
    payload = (run / "checkpoint").read_bytes()
    (run / "checkpoint").write_bytes(payload[:100] if damage == "truncated" else b"\xc1" * 64)
    expected = "is truncated" if damage == "truncated" else "is not a jaxdl checkpoint"
    assert_one_line_error(capsys, run_cli(["train", "--resume", str(run)]), expected)
    assert sorted(os.listdir(run)) == ["checkpoint"]


OTHER_COMMANDS = {
    "ovr with LBFGS": (["ovr", "--optimizer", "lbfgs", "--epochs", "1"], "jaxdl ovr: error: --optimizer LBFGS is a"),
    "bench with a data folder that is not there": (
        ["bench", "--quick", "--data-dir", "nowhere"],
        "jaxdl bench: error: argument --data-dir: 'nowhere' is not an existing folder",
    ),
    "sweep --resume without --out": (
        ["sweep", "--resume", "--epochs", "1"],
        "jaxdl sweep: error: --resume continues the search saved in --out: give --out DIR, without --overwrite.",
    ),
    "schedules into a .pgf (it needs LaTeX)": (
        ["schedules", "StepLR", "--lr", "0.1", "--step_size", "10", "--out", "lr.pgf"],
        "jaxdl schedules: error: --out 'lr.pgf' needs an image extension: one of ",
    ),
    "a misspelled ovr option": (
        ["ovr", "--epohcs", "2"],
        "jaxdl ovr: error: unrecognized arguments: --epohcs 2 (did you mean '--epochs'?) (see jaxdl ovr --help)",
    ),
}


@pytest.mark.parametrize("case", list(OTHER_COMMANDS))
def test_other_commands_mistakes_exit_2_with_one_line_and_write_nothing(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, expected = OTHER_COMMANDS[case]
    assert_one_line_error(capsys, run_cli(argv), expected)
    assert os.listdir(tmp_path) == []


def test_help_after_a_scheduler_name_prints_the_help(capsys):
    assert run_cli(["schedules", "StepLR", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: jaxdl schedules [-h]")
