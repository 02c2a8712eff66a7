"""Diabetes regression: train-only standardization, MSE/R² reporting (sklearn parity), the recipe, the CLI."""

import json

import numpy as np
import optax
import pytest
from sklearn.datasets import load_diabetes
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.preprocessing import StandardScaler

from jaxdl import data
from jaxdl.cli import main
from jaxdl.errors import ConfigError
from jaxdl.models import MLP, LinearRegression
from jaxdl.train import fit


@pytest.fixture(scope="module")
def raw():
    return data.load_diabetes_raw()


@pytest.fixture(scope="module")
def ds():
    return data.load("diabetes")


@pytest.fixture(scope="module")
def recipe(ds):
    """The course's Boston-housing recipe on diabetes: MLP(10), Adam 1e-3, batch 100, 500 epochs."""
    return fit(MLP(hidden=(10,), num_classes=None), ds, optimizer=optax.adam(1e-3), epochs=500, batch_size=100)


def test_split_is_all_442_rows_once(raw):
    X, y = load_diabetes(return_X_y=True, scaled=False)
    rows = np.concatenate([np.asarray(raw.train[0]), np.asarray(raw.test[0])])
    assert raw.train[0].shape == (353, 10) and raw.test[0].shape == (89, 10)
    assert raw.train[1].shape == (353, 1) and raw.train[1].dtype == np.float32
    np.testing.assert_allclose(np.sort(rows, axis=0), np.sort(X, axis=0).astype(np.float32))
    np.testing.assert_allclose(np.sort(np.concatenate([raw.train[1], raw.test[1]]).ravel()), np.sort(y))


def test_features_are_standardized_with_train_statistics_only(raw, ds):
    X_raw, X_raw_test = np.asarray(raw.train[0], np.float64), np.asarray(raw.test[0], np.float64)
    np.testing.assert_allclose(ds.standardizer.mean, X_raw.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(ds.standardizer.std, X_raw.std(axis=0), rtol=1e-6)
    train, test = np.asarray(ds.train[0]), np.asarray(ds.test[0])
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-5)
    assert np.abs(test.mean(axis=0)).max() > 0.05  # the test split was not standardized by its own stats
    scaler = StandardScaler().fit(X_raw)
    np.testing.assert_allclose(test, scaler.transform(X_raw_test), atol=1e-5)


def test_targets_are_standardized_and_map_back(raw, ds):
    y_raw = np.asarray(raw.train[1], np.float64)
    np.testing.assert_allclose(ds.target_standardizer.mean, y_raw.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ds.train[1]).mean(), 0.0, atol=1e-5)
    back = np.asarray(ds.target_standardizer.inverse_transform(ds.test[1]))
    np.testing.assert_allclose(back, np.asarray(raw.test[1]), rtol=1e-5)


def test_constant_feature_gets_std_one():
    s = data.Standardizer.fit(np.array([[1.0, 2.0], [1.0, 4.0]]))
    assert s.std.tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(np.asarray(s.transform(np.array([[1.0, 3.0]]))), [[0.0, 0.0]])


def test_recipe_beats_the_train_mean_by_a_wide_margin(raw, recipe):
    y_train, y_test = np.asarray(raw.train[1]), np.asarray(raw.test[1])
    baseline_mse = mean_squared_error(y_test, np.full_like(y_test, y_train.mean()))
    h = recipe.history
    assert len(h["test_r2"]) == 500
    assert h["test_r2"][-1] >= 0.4
    assert h["test_mse"][-1] < 0.6 * baseline_mse
    assert h["test_r2"][-1] > h["test_r2"][0] + 0.3  # it learned


def test_reported_mse_and_r2_equal_sklearn_on_the_predictions(ds, raw, recipe):
    state = recipe.state
    pred = state.apply_fn({"params": state.params, "batch_stats": state.batch_stats}, ds.test[0])
    pred = np.asarray(ds.target_standardizer.inverse_transform(pred))
    y_test = np.asarray(raw.test[1])
    assert recipe.history["test_mse"][-1] == pytest.approx(mean_squared_error(y_test, pred), rel=1e-4)
    assert recipe.history["test_r2"][-1] == pytest.approx(r2_score(y_test, pred), rel=1e-4)


def test_unstandardized_targets_report_the_loss_units():
    ds = data.load("synthetic_regression")
    result = fit(LinearRegression(), ds, optimizer=optax.sgd(0.03), epochs=3, batch_size=10)
    h = result.history
    assert h["test_mse"] == pytest.approx(h["test_loss"], rel=1e-6)
    state = result.state
    pred = np.asarray(state.apply_fn({"params": state.params}, ds.test[0]))
    assert h["test_r2"][-1] == pytest.approx(r2_score(np.asarray(ds.test[1]), pred), rel=1e-4)


def test_standardize_rejects_misuse(ds):
    with pytest.raises(ConfigError, match="standardize: data must be a dataset not yet standardized"):
        data.standardize(ds)
    with pytest.raises(ConfigError, match=r"standardize: targets must be False .*only regression targets"):
        data.standardize(data.load("digits"), targets=True)


def test_load_suggests_diabetes():
    with pytest.raises(ConfigError, match="did you mean 'diabetes'"):
        data.load("diabetis")


def test_cli_reports_test_mse_and_r2(tmp_path, raw):
    out = tmp_path / "run"
    argv = [
        "train",
        "--dataset",
        "diabetes",
        "--model",
        "mlp",
        "--hidden",
        "10",
        "--optimizer",
        "adam",
        "--lr",
        "1e-3",
        "--batch-size",
        "100",
        "--epochs",
        "3",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert len(history["test_mse"]) == len(history["test_r2"]) == 3
    assert all(m > 1000 for m in history["test_mse"])  # original units (targets ~150 ± 77), not standardized ones
    variance = np.var(np.asarray(raw.test[1], np.float64))
    np.testing.assert_allclose(history["test_r2"], 1 - np.array(history["test_mse"]) / variance, rtol=1e-5)
