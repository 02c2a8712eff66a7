"""Hyperparameter search with fit_many: search spaces, validation-based selection, successive halving."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

from jaxdl import data, models, optim
from jaxdl.callbacks import Callback
from jaxdl.errors import ConfigError
from jaxdl.train import Choice, LogUniform, SuccessiveHalving, Uniform, fit_many, hyperparameter_grid, search_space
from tests.helpers import compiles_by_thread

EPOCHS = 9


def sgd(lr, momentum, weight_decay):
    return optim.sgd(lr=lr, momentum=momentum, weight_decay=weight_decay)


SPACE = search_space(
    {"momentum": [0.0, 0.9]}, {"lr": LogUniform(1e-3, 1.0), "weight_decay": LogUniform(1e-6, 1e-2)}, samples=5
)


class RowSizes(Callback):
    """Records the number of runs each epoch's row holds."""

    can_stop = False

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def on_epoch_end(self, epoch, row, state, history):
        self.sizes.append(len(row["train_loss"]))


@pytest.fixture(scope="module")
def digits():
    return data.split(data.load("digits"), val=0.2, seed=0)


HALVING = SuccessiveHalving(eta=3)


def search(ds, halving: SuccessiveHalving | None = HALVING, callbacks=(), **kwargs):
    return fit_many(
        models.MLP(hidden=(16,)),
        ds,
        optimizer=sgd,
        hparams=SPACE,
        epochs=EPOCHS,
        batch_size=128,
        halving=halving,
        callbacks=callbacks,
        verbose=0,
        **kwargs,
    )


@pytest.fixture(scope="module")
def halved_run(digits):
    """The halving search, each epoch's row size, and the (program, thread) of every compile inside it."""
    sizes = RowSizes()
    with compiles_by_thread() as compiles:
        result = search(digits, callbacks=[sizes])
    return result, sizes.sizes, compiles


@pytest.fixture(scope="module")
def halved(halved_run):
    return halved_run[:2]


def test_search_space_crosses_the_grid_with_the_same_seeded_draws():
    assert len(SPACE) == 10
    first, second = SPACE[:5], SPACE[5:]
    assert [s["momentum"] for s in first] == [0.0] * 5 and [s["momentum"] for s in second] == [0.9] * 5
    assert [{**s, "momentum": 0.9} for s in first] == second
    assert all(1e-3 <= s["lr"] <= 1.0 and 1e-6 <= s["weight_decay"] <= 1e-2 for s in SPACE)
    assert all(float(f"{s['lr']:.4g}") == s["lr"] for s in SPACE)
    again = search_space(
        {"momentum": [0.0, 0.9]}, {"lr": LogUniform(1e-3, 1.0), "weight_decay": LogUniform(1e-6, 1e-2)}, samples=5
    )
    assert again == SPACE
    assert search_space(random={"lr": LogUniform(1e-3, 1.0)}, samples=5, seed=1) != search_space(
        random={"lr": LogUniform(1e-3, 1.0)}, samples=5, seed=0
    )
    assert search_space({"lr": [0.1, 0.2], "momentum": [0.0, 0.9]}) == hyperparameter_grid(
        {"lr": [0.1, 0.2], "momentum": [0.0, 0.9]}
    )


def test_draws_follow_their_distribution():
    rng = np.random.default_rng(0)
    logs = np.log10(LogUniform(1e-4, 1.0).sample(rng, 4000))
    assert abs(np.mean(logs < -2) - 0.5) < 0.03  # half the draws below the geometric middle
    flat = Uniform(0.5, 0.9).sample(rng, 4000)
    assert flat.min() >= 0.5 and flat.max() <= 0.9 and abs(np.mean(flat < 0.7) - 0.5) < 0.03
    assert set(Choice((0.1, 0.2)).sample(rng, 100).tolist()) == {0.1, 0.2}


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: search_space(), "search_space: the search space is empty"),
        (lambda: search_space({"lr": []}), "search_space: grid['lr'] must be a list of at least one value, got []"),
        (lambda: LogUniform(0.0, 1.0), "LogUniform: low must be a number > 0 (a log-uniform range is positive), got 0"),
        (lambda: Uniform(0.9, 0.5), "Uniform: high must be a number above low (0.9), got 0.5"),
        (lambda: Uniform(0.1, float("nan")), "Uniform: high must be a finite number, got nan"),
        (lambda: Choice(()), "Choice: values must be a list of at least one value, got ()"),
        (lambda: search_space(random={"lr": LogUniform(0.1, 1.0)}), "search_space: samples must be at least 1 draw"),
        (
            lambda: search_space({"lr": [0.1]}, {"lr": LogUniform(0.1, 1.0)}, samples=2),
            "search_space: random must be a name that is not also in grid, got 'lr' in both",
        ),
        (lambda: SuccessiveHalving(eta=1), "SuccessiveHalving: eta must be an integer >= 2, got 1"),
        (lambda: SuccessiveHalving(metric="test_acc"), "SuccessiveHalving: metric must be a validation metric"),
    ],
)
def test_bad_search_specs_raise_one_line(make, message):
    with pytest.raises(ConfigError) as err:
        make()
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_halving_plan_keeps_one_in_eta_and_trains_eta_times_longer():
    assert SuccessiveHalving(eta=3).plan(runs=64, epochs=27) == [(1, 64), (3, 21), (9, 7), (27, 2)]
    assert SuccessiveHalving(eta=4).plan(runs=64, epochs=100) == [(2, 64), (6, 16), (25, 4), (100, 1)]
    assert SuccessiveHalving(eta=3, min_epochs=5).plan(runs=64, epochs=20) == [(7, 64), (20, 21)]
    assert SuccessiveHalving().plan(runs=2, epochs=10) == [(10, 2)]


def test_pruned_runs_leave_the_compiled_batch(halved):
    result, sizes = halved
    plan = SuccessiveHalving(eta=3).plan(len(SPACE), EPOCHS)
    assert plan == [(1, 10), (3, 3), (9, 1)]
    assert sizes == [10] + [3] * 2 + [1] * 6  # each epoch vmaps over the survivors only
    trained = np.isfinite(result.history["train_loss"]).sum()
    assert trained == sum(sizes) == 10 * 1 + 3 * 2 + 1 * 6  # run-epochs: the rungs' survivors, not 10 x 9
    assert result.rung_ends == (1, 3, 9)
    assert np.bincount(result.rung).tolist() == [7, 2, 1]
    assert result.epochs.tolist() == [(1, 3, 9)[r] for r in result.rung]


def test_each_rung_compiles_once_and_the_later_rungs_compile_while_the_first_does(halved_run):
    epochs = [thread for name, thread in halved_run[2] if name == "many_call_fn"]
    assert len(epochs) == 3  # rungs of 10, 3 and 1 runs: one program each, none compiled twice
    assert epochs.count("MainThread") < 3  # the background thread compiled at least one ahead


def test_survivors_are_the_best_by_validation_and_train_as_without_halving(halved, digits):
    result, _ = halved
    val = result.history["val_acc"]
    first_rung = np.flatnonzero(result.rung >= 1)
    ranked = sorted(range(len(SPACE)), key=lambda i: (-val[i, 0], i))
    assert sorted(ranked[:3]) == first_rung.tolist()
    full = search(digits, halving=None)
    best = result.best()
    assert best["index"] == int(np.flatnonzero(result.rung == 2)[0]) and set(best) == {
        "index",
        "seed",
        *SPACE[0],
        "val_acc",
    }
    for i in first_rung:
        n = result.epochs[i]
        np.testing.assert_allclose(
            result.history["val_loss"][i, :n], full.history["val_loss"][i, :n], rtol=0, atol=1e-5
        )
        assert np.isnan(result.history["val_loss"][i, n:]).all()


def test_changing_the_test_labels_does_not_change_the_choice(halved, digits):
    result, _ = halved
    X_test, y_test = digits.test
    scrambled = dataclasses.replace(digits, test=(X_test, jnp.asarray((np.asarray(y_test) + 3) % 10)))
    again = search(scrambled)
    assert not np.allclose(np.nan_to_num(again.history["test_acc"]), np.nan_to_num(result.history["test_acc"]))
    assert again.rung.tolist() == result.rung.tolist()
    assert again.best()["index"] == result.best()["index"]
    assert result.best("val_acc") == result.best() and "val_acc" in result.best()


def test_a_list_of_settings_trains_as_the_same_grid(digits):
    grid = {"lr": [0.05, 0.2], "momentum": [0.0, 0.9]}
    common = {"optimizer": lambda lr, momentum: optim.sgd(lr=lr, momentum=momentum), "epochs": 2, "batch_size": 256}
    by_grid = fit_many(models.SoftmaxRegression(10), digits, hparams=grid, verbose=0, **common)
    by_list = fit_many(models.SoftmaxRegression(10), digits, hparams=hyperparameter_grid(grid), verbose=0, **common)
    assert by_list.runs == by_grid.runs
    np.testing.assert_array_equal(by_list.history["val_loss"], by_grid.history["val_loss"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"halving": SuccessiveHalving()}, "fit_many: halving must be used with validation data"),
        (
            {"hparams": [{"lr": 0.1}, {"momentum": 0.1}]},
            "fit_many: hparams[1] must be a dict of the names of hparams[0] (lr)",
        ),
        ({"hparams": [{"lr": float("inf")}]}, "fit_many: hparams[0] must be finite numbers"),
    ],
)
def test_bad_search_arguments_raise_one_line(kwargs, message):
    arguments = {"optimizer": lambda lr: optim.sgd(lr=lr), "hparams": {"lr": [0.1]}, "epochs": 1, "batch_size": 64}
    with pytest.raises(ConfigError) as err:
        fit_many(models.SoftmaxRegression(10), data.load("digits"), **{**arguments, **kwargs}, verbose=0)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_validation_split_holds_out_data_and_best_ranks_on_it():
    result = fit_many(
        models.SoftmaxRegression(10),
        data.load("digits"),
        optimizer=lambda lr: optim.sgd(lr=lr),
        hparams={"lr": [0.01, 0.5]},
        epochs=2,
        batch_size=256,
        validation_split=0.2,
        verbose=0,
    )
    assert {"val_loss", "val_acc", "test_acc"} <= set(result.history)
    assert result.default_metric() == "val_acc"
    assert result.best()["index"] == int(np.argmax(result.history["val_acc"][:, -1]))


def test_a_search_stopped_after_a_rung_goes_on_from_it(halved, digits):
    result, _ = halved
    saved = []

    def stop(partial):
        saved.append(partial)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        search(digits, on_rung=stop)
    assert saved[0].rung_ends == (1,) and np.isnan(saved[0].history["val_loss"][:, 1:]).all()
    resumed = search(digits, initial=saved[0])
    assert resumed.rung.tolist() == result.rung.tolist() and resumed.rung_ends == result.rung_ends
    np.testing.assert_allclose(resumed.history["val_loss"], result.history["val_loss"], rtol=0, atol=1e-6)
    with pytest.raises(ConfigError) as err:
        search(digits, initial=resumed)
    assert str(err.value).startswith("fit_many: initial must be the unfinished result of this search (10 runs")
