"""fit_many: N vmapped runs reproduce N separate fits, compile once, chunk without changing results."""

import json

import jax
import numpy as np
import optax
import pytest

from jaxdl import data, losses, models, optim, schedules, transforms
from jaxdl.cli import main
from jaxdl.errors import ConfigError
from jaxdl.plots import plot_sweep
from jaxdl.train import fit, fit_many, hyperparameter_grid
from tests.helpers import compiled_programs

SEEDS = [0, 1, 2, 3]
LRS = [0.1, 0.3]
METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")


def max_abs_diff(a, b) -> float:
    return max(jax.tree.leaves(jax.tree.map(lambda x, y: float(np.abs(np.asarray(x) - np.asarray(y)).max()), a, b)))


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def lr_sweep(digits, **kwargs):
    """8 runs: lr 0.1 then lr 0.3, each over seeds 0..3 (grid-major); ``kwargs`` go to ``fit_many``."""
    return fit_many(
        models.MLP(hidden=(32,)),
        digits,
        optimizer=lambda lr: optax.sgd(lr),
        hparams={"lr": LRS},
        seeds=SEEDS,
        epochs=3,
        batch_size=64,
        **kwargs,
    )


@pytest.fixture(scope="module")
def sweep(digits):
    return lr_sweep(digits)


def test_runs_are_grid_major_with_history_per_run(sweep):
    assert sweep.runs == [{"seed": s, "lr": lr} for lr in LRS for s in SEEDS]
    assert set(sweep.history) == set(METRICS)
    assert all(v.shape == (8, 3) for v in sweep.history.values())
    assert sweep.epoch_time.shape == (3,)
    assert jax.tree.leaves(sweep.state.params)[0].shape[0] == 8
    assert not sweep.diverged.any()


def test_run_state_counts_from_the_end_and_refuses_a_run_out_of_range(sweep):
    assert max_abs_diff(sweep.run_state(-1).params, sweep.run_state(7).params) == 0
    assert max_abs_diff(sweep.run_state(-1).params, sweep.run_state(6).params) > 0
    for index in (8, -9):
        with pytest.raises(IndexError, match="there are 8 runs"):
            sweep.run_state(index)


def test_four_seeds_equal_four_separate_fits(sweep, digits):
    tx = optax.sgd(0.1)
    for i, seed in enumerate(SEEDS):
        single = fit(models.MLP(hidden=(32,)), digits, optimizer=tx, epochs=3, batch_size=64, seed=seed)
        assert max_abs_diff(single.state.params, sweep.run_state(i).params) < 1e-6
        for key in METRICS:
            np.testing.assert_allclose(sweep.history[key][i], single.history[key], rtol=0, atol=1e-6)
    assert max_abs_diff(sweep.run_state(0).params, sweep.run_state(1).params) > 1e-3  # seeds differ


def test_chunked_equals_unchunked_with_one_compile(sweep, digits):
    with compiled_programs() as names:
        chunked = lr_sweep(digits, max_parallel=3)
    assert names.count("many_call_fn") == 1  # 3 chunks (the last padded) share one program
    assert chunked.runs == sweep.runs
    for key in METRICS:
        np.testing.assert_allclose(chunked.history[key], sweep.history[key], rtol=0, atol=1e-6)
    assert max_abs_diff(chunked.state.params, sweep.state.params) < 1e-6


def test_sixteen_learning_rates_trace_the_epoch_once(digits):
    traces = []

    def counting_cross_entropy(logits, labels, *, reduction="mean"):
        traces.append(1)
        return losses.cross_entropy(logits, labels, reduction=reduction)

    lrs = np.geomspace(1e-3, 0.3, 16)
    with compiled_programs() as names:
        result = fit_many(
            models.MLP(hidden=(32,)),
            digits,
            optimizer=lambda lr: optax.sgd(lr),
            hparams={"lr": lrs},
            seeds=np.array([0]),
            epochs=2,
            batch_size=256,
            loss=counting_cross_entropy,
        )
    assert names.count("many_call_fn") == 1
    assert len(traces) == 2  # once in the training step, once in the evaluation step, for all 16 rates
    final = result.history["train_loss"][:, -1]
    assert len(set(final.tolist())) == 16
    assert final[-1] < final[0] - 0.1
    assert result.runs == [{"seed": 0, "lr": lr} for lr in lrs.tolist()]


def test_one_seed_lr_sweep_with_dropout_and_batch_norm_matches_one_fit_per_rate(digits):
    model = models.MLP(hidden=(32,), dropout=0.5, batch_norm=True)
    result = fit_many(
        model,
        digits,
        optimizer=lambda lr: optax.sgd(lr, momentum=0.9),
        hparams={"lr": LRS},
        seeds=[7],
        epochs=2,
        batch_size=64,
    )
    for i, lr in enumerate(LRS):
        # optax's sgd with the rate as an array in its state: both fits share one compiled program
        tx = optax.inject_hyperparams(optax.sgd)(learning_rate=lr, momentum=0.9)
        single = fit(model, digits, optimizer=tx, epochs=2, batch_size=64, seed=7)
        assert max_abs_diff(single.state.params, result.run_state(i).params) < 1e-6
        assert jax.random.key_data(single.state.key).tolist() == jax.random.key_data(result.run_state(i).key).tolist()
        for key in METRICS:  # the test metrics use the running batch-norm statistics
            np.testing.assert_allclose(result.history[key][i], single.history[key], rtol=0, atol=1e-6)


def test_momentum_and_weight_decay_swept_with_jaxdl_sgd_match_one_fit_per_setting(digits):
    grid = {"momentum": [0.0, 0.9], "weight_decay": [0.0, 1e-3]}
    result = fit_many(
        models.MLP(hidden=(32,)),
        digits,
        hparams=grid,
        seeds=[5],
        epochs=2,
        batch_size=64,
        optimizer=lambda momentum, weight_decay: optim.sgd(lr=0.05, momentum=momentum, weight_decay=weight_decay),
    )
    assert [{k: r[k] for k in grid} for r in result.runs] == hyperparameter_grid(grid)
    for i, run in enumerate(result.runs):
        tx = optim.sgd(lr=0.05, momentum=run["momentum"], weight_decay=run["weight_decay"])
        single = fit(models.MLP(hidden=(32,)), digits, optimizer=tx, epochs=2, batch_size=64, seed=5)
        assert max_abs_diff(single.state.params, result.run_state(i).params) < 1e-6
        for key in METRICS:
            np.testing.assert_allclose(result.history[key][i], single.history[key], rtol=0, atol=1e-6)
    assert max_abs_diff(result.run_state(0).params, result.run_state(2).params) > 1e-3


def test_runs_of_one_seed_share_one_key_so_each_batch_is_gathered_once_for_all(digits):
    """One seed, many rates: every run draws the same permutation (the key is taken out of the vmap)."""
    result = fit_many(
        models.SoftmaxRegression(10),
        digits,
        optimizer=lambda lr: optax.sgd(lr),
        hparams={"lr": [0.1, 0.2, 0.3]},
        seeds=[4],
        epochs=2,
        batch_size=64,
        verbose=0,
    )
    keys = jax.random.key_data(result.state.key)
    assert (keys == keys[0]).all()
    single = fit(
        models.SoftmaxRegression(10), digits, optimizer=optax.sgd(0.2), epochs=2, batch_size=64, seed=4, verbose=0
    )
    assert keys[1].tolist() == jax.random.key_data(single.state.key).tolist()


def test_schedule_swept_lr_and_a_random_transform_match_fit(digits):
    def optimizer(lr):
        return optim.sgd(lr=schedules.step_lr(lr, step_size=10, gamma=0.5), momentum=0.9)

    flip = transforms.random_flip("horizontal")
    result = fit_many(
        models.SoftmaxRegression(10),
        digits,
        optimizer=optimizer,
        hparams={"lr": [0.05, 0.2]},
        seeds=[3],
        epochs=2,
        batch_size=64,
        transform=flip,
    )
    single = fit(
        models.SoftmaxRegression(10), digits, optimizer=optimizer(0.2), epochs=2, batch_size=64, seed=3, transform=flip
    )
    assert max_abs_diff(single.state.params, result.run_state(1).params) < 1e-6
    np.testing.assert_allclose(result.history["train_loss"][1], single.history["train_loss"], rtol=0, atol=1e-6)
    assert max_abs_diff(result.run_state(0).params, result.run_state(1).params) > 1e-3


def test_best_picks_max_accuracy_and_min_loss(sweep):
    best = sweep.best("test_acc")
    assert best["index"] == int(np.argmax(sweep.history["test_acc"][:, -1]))
    assert best == {"index": best["index"], **sweep.runs[best["index"]], "test_acc": best["test_acc"]}
    assert sweep.best("test_loss")["index"] == int(np.argmin(sweep.history["test_loss"][:, -1]))
    with pytest.raises(ConfigError, match="test_ac.*did you mean 'test_acc'"):
        sweep.best("test_ac")


def test_regression_runs_match_fit_and_a_diverging_run_is_flagged():
    ds = data.load("synthetic_regression")
    result = fit_many(
        models.LinearRegression(),
        ds,
        optimizer=lambda lr: optax.sgd(lr),
        hparams={"lr": [0.03, 10.0]},
        epochs=4,
        batch_size=100,
    )
    single = fit(models.LinearRegression(), ds, optimizer=optax.sgd(0.03), epochs=4, batch_size=100)
    assert set(result.history) == set(single.history) - {"epoch_time"}
    for key in result.history:
        np.testing.assert_allclose(result.history[key][0], single.history[key], rtol=1e-6, atol=1e-6)
    assert result.diverged.tolist() == [False, True]
    assert not np.isfinite(result.history["train_loss"][1, -1])
    assert np.isfinite(result.history["train_loss"][0]).all()
    assert result.best("test_loss")["index"] == 0 and result.best("test_r2")["index"] == 0


def test_plain_optimizer_over_seeds_matches_the_hyperparameter_path(sweep, digits):
    result = fit_many(models.MLP(hidden=(32,)), digits, optimizer=optax.sgd(0.1), seeds=[1], epochs=3, batch_size=64)
    assert result.runs == [{"seed": 1}]
    assert max_abs_diff(result.run_state(0).params, sweep.run_state(1).params) < 1e-6


def test_grid_order_last_name_fastest():
    grid = hyperparameter_grid({"lr": [0.1, 0.2], "momentum": [0.0, 0.5, 0.9]})
    assert grid[:4] == [
        {"lr": 0.1, "momentum": 0.0},
        {"lr": 0.1, "momentum": 0.5},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.2, "momentum": 0.0},
    ]
    assert len(grid) == 6


def sgd_momentum(lr, momentum):
    return optax.sgd(lr, momentum)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"seeds": []}, r"fit_many: seeds must be a list of at least one seed, got \[\]"),
        ({"seeds": 4}, "fit_many: seeds must be a list of seeds, e.g. range\\(4\\), got 4"),
        ({"seeds": [0, -1]}, "fit_many: seeds must be integers .*, got -1 in it"),
        ({"seeds": [0, 2**70]}, r"seeds must be integers in \[0, 2\*\*63 - 1\] .*, got 1180591620717411303424 in it"),
        ({"hparams": {"lr": [], "momentum": [0.9]}}, r"hparams\['lr'\] must be a list of at least one value, got \[\]"),
        ({"hparams": {"lr": 0.1, "momentum": [0.9]}}, r"hparams\['lr'\] must be a list of numbers, .*, got 0.1"),
        (
            {"hparams": {"lr": np.ones((2, 2)), "momentum": [0.9]}},
            r"hparams\['lr'\] must be a list of numbers, .*, got an array of shape \(2, 2\)",
        ),
        ({"hparams": {"lr": [0.1], "momentum": [True]}}, r"flags cannot be swept\), got True in it"),
        (
            {"hparams": {"lr": [0.1], "momentun": [0.9]}},
            "fit_many: unknown hyperparameter of the optimizer function 'momentun' \\(did you mean 'momentum'\\?\\)",
        ),
        ({"hparams": {"lr": [0.1]}}, "fit_many: hparams must be a dict with momentum"),
        ({"hparams": None}, "fit_many: hparams must be the values to sweep when optimizer is a function of them"),
        (
            {"hparams": {"lr": [0.1], "momentum": [0.9]}, "optimizer": optax.sgd(0.1)},
            "fit_many: optimizer must be a function of the hyperparameters when hparams is given",
        ),
        (
            {"hparams": {"lr": [0.1]}, "optimizer": lambda lr: optax.sgd(lr) if lr > 0 else optax.adam(lr)},
            "rejected array-valued hyperparameters lr",
        ),
        ({"hparams": {"lr": [0.1]}, "optimizer": lambda lr: lr}, "returned .*expected an optax.GradientTransformation"),
        (
            {"hparams": {"lr": [0.1], "momentum": [0.9]}, "max_parallel": 0},
            "fit_many: max_parallel must be an integer >= 1, got 0",
        ),
    ],
)
def test_bad_arguments_raise_one_clear_config_error(digits, kwargs, message):
    arguments = {"optimizer": sgd_momentum, "seeds": [0], "epochs": 1, "batch_size": 64, **kwargs}
    with pytest.raises(ConfigError, match=message):
        fit_many(models.SoftmaxRegression(10), digits, **arguments)


def test_plot_sweep_draws_final_metric_and_curves(sweep):
    fig = plot_sweep(sweep)
    final_ax, curve_ax = fig.axes
    assert final_ax.get_xlabel() == "lr" and curve_ax.get_ylabel() == "test_acc"
    assert len(curve_ax.get_lines()) == len(LRS)
    np.testing.assert_allclose(curve_ax.get_lines()[0].get_ydata(), sweep.history["test_acc"][:4].mean(axis=0))
    with pytest.raises(ConfigError, match="plot_sweep: unknown hyperparameter 'momentum'.*; expected one of lr"):
        plot_sweep(sweep, param="momentum")


def test_sweep_cli_writes_metrics_and_figure(tmp_path):
    out = tmp_path / "sweep"
    code = main(
        [
            "sweep",
            "--model",
            "softmax",
            "--lr",
            "0.1,0.5",
            "--seeds",
            "2",
            "--seed",
            "3",
            "--epochs",
            "2",
            "--batch-size",
            "128",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "runs.csv", "sweep.png", "timing.json"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [(r["lr"], r["seed"]) for r in metrics["runs"]] == [(0.1, 3), (0.1, 4), (0.5, 3), (0.5, 4)]
    assert all(len(r["history"]["test_acc"]) == 2 for r in metrics["runs"])
    finals = [r["history"]["test_acc"][-1] for r in metrics["runs"]]
    assert metrics["best"]["test_acc"] == max(finals)
    assert metrics["config"]["lr"] == [0.1, 0.5]
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["--lr", "0.1,abc"],
        ["--seeds", "0"],
        ["--lr", "0.1,-1"],
    ],
)
def test_sweep_cli_bad_arguments_exit_2_without_writing(tmp_path, capsys, argv):
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", *argv, "--out", str(out)])
    assert exit_info.value.code == 2
    assert not out.exists()
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "digitz"], "did you mean 'digits'"),
        (["--optimizer", "adma"], "did you mean 'Adam'"),
        (["--optimizer-args", "momentun=0.9"], "SGD: unknown argument 'momentun' (did you mean 'momentum'?)"),
        (["--scheduler", "ReduceLROnPlateau"], "jaxdl sweep cannot drive it"),
        (
            ["--scheduler", "StepLR"],
            "--scheduler StepLR needs step_size (torch's has no default): add --scheduler-args step_size=...",
        ),
        (
            ["--scheduler", "StepLR", "--scheduler-args", "step_size=1", "--grid", "gamma=0.5,0.9"],
            "--grid/--random gamma: StepLR checks its gamma as a Python number, so one compiled sweep cannot give "
            "each run its own; fix it with --scheduler-args gamma=..., or run jaxdl train once per value.",
        ),
        (
            ["--scheduler", "CyclicLR", "--scheduler-args", "max_lr=0.5", "--grid", "momentum=0.8,0.9"],
            "--grid/--random momentum: --scheduler CyclicLR sets the momentum at every step (cycle_momentum=True), "
            "so the swept values would not be used: add --scheduler-args cycle_momentum=False to sweep it.",
        ),
    ],
)
def test_sweep_cli_config_errors_exit_2_without_writing(tmp_path, capsys, argv, message):
    out = tmp_path / "sweep"
    assert main(["sweep", *argv, "--epochs", "1", "--out", str(out)]) == 2
    assert not out.exists()
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "schedule",
    [
        ["--optimizer-args", "momentum=0.9", "--scheduler", "StepLR", "--scheduler-args", "step_size=1,gamma=0.5"],
        [
            "--optimizer",
            "Adam",
            "--scheduler",
            "OneCycleLR",
            "--scheduler-args",
            "total_steps=33",
            "--schedule-unit",
            "step",
        ],
    ],
    ids=["StepLR", "OneCycleLR-cycles-beta1"],
)
def test_sweep_cli_applies_optimizer_args_and_scheduler_exactly_as_train(tmp_path, schedule):
    common = ["--epochs", "3", "--hidden", "16", "--batch-size", "128", *schedule]
    assert main(["sweep", *common, "--lr", "0.05,0.2", "--seeds", "1", "--out", str(tmp_path / "sweep")]) == 0
    runs = json.loads((tmp_path / "sweep" / "metrics.json").read_text())["runs"]
    for run in runs:
        out = tmp_path / f"train-{run['lr']}"
        assert main(["train", *common, "--lr", str(run["lr"]), "--out", str(out)]) == 0
        history = json.loads((out / "metrics.json").read_text())["history"]
        assert set(history) - {"lr"} == set(run["history"])
        for key, values in run["history"].items():
            np.testing.assert_allclose(values, history[key], rtol=0, atol=1e-6)
    assert runs[0]["history"]["test_loss"] != runs[1]["history"]["test_loss"]
