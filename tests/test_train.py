"""The compiled epoch, masked partial batches, fit on real and synthetic data."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdl import data, losses, optim
from jaxdl.errors import ConfigError, DivergenceError
from jaxdl.models import MLP, LinearRegression, SoftmaxRegression
from jaxdl.train import (
    Objective,
    batch_plan,
    create_train_state,
    evaluate,
    fit,
    objective_for,
    train_epoch,
)
from tests.helpers import compiled_programs, jitted_train_step


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def blobs(n_train=300, n_test=100, classes=3, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(classes, dim))
    y = rng.integers(0, classes, n_train + n_test)
    X = centers[y] + rng.normal(size=(len(y), dim))
    return data.from_arrays(X[:n_train], y[:n_train], X[n_train:], y[n_train:])


def test_batch_plan_covers_every_example_once_and_masks_padding():
    idx, weight = batch_plan(jax.random.permutation(jax.random.key(0), 10), 4)
    assert idx.shape == weight.shape == (3, 4)
    real = np.asarray(idx)[np.asarray(weight) == 1]
    assert sorted(real.tolist()) == list(range(10))
    assert np.asarray(weight).sum() == 10


def test_one_train_step_lowers_the_loss(digits):
    X, y = digits.train
    objective = objective_for(MLP())
    state = create_train_state(MLP(), optax.sgd(0.1), X[:1], key=jax.random.key(0))
    batch = (X[:128], y[:128], jnp.ones(128))
    state1, sums1 = jitted_train_step(state, batch, objective=objective)
    _, sums2 = jitted_train_step(state1, batch, objective=objective)
    assert float(sums2["loss"]) < float(sums1["loss"])
    assert int(state1.step) == 1


def test_padded_rows_do_not_change_the_gradient(digits):
    X, y = digits.train
    objective = objective_for(SoftmaxRegression(10))
    state = create_train_state(SoftmaxRegression(10), optax.sgd(1.0), X[:1], key=jax.random.key(0))
    small, _ = jitted_train_step(state, (X[:5], y[:5], jnp.ones(5)), objective=objective)
    padded_x = jnp.concatenate([X[:5], X[100:103]])
    padded_y = jnp.concatenate([y[:5], y[100:103]])
    weight = jnp.array([1, 1, 1, 1, 1, 0, 0, 0], jnp.float32)
    masked, sums = jitted_train_step(state, (padded_x, padded_y, weight), objective=objective)
    for a, b in zip(jax.tree.leaves(small.params), jax.tree.leaves(masked.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert float(sums["count"]) == 5


def test_train_epoch_compiles_once_and_is_reused(digits):
    X, y = digits.train
    objective = Objective(losses.cross_entropy, "classification")
    state = create_train_state(MLP(hidden=(17,)), optax.sgd(0.1), X[:1], key=jax.random.key(0))
    before = train_epoch._cache_size()
    keys = []
    for _ in range(3):
        state, metrics = train_epoch(state, X, y, batch_size=100, objective=objective)
        keys.append(np.asarray(jax.random.key_data(state.key)))
    assert train_epoch._cache_size() == before + 1
    assert int(state.step) == 3 * 15
    assert not np.array_equal(keys[0], keys[1])


def test_fit_again_with_an_equal_model_and_jaxdl_optimizer_reuses_the_compiled_epoch(digits):
    def run(model, tx):
        return fit(model, digits, optimizer=tx, epochs=1, batch_size=128, seed=0)

    first = run(MLP(hidden=(19,)), optim.sgd(lr=0.1, momentum=0.9))
    with compiled_programs() as names:
        again = run(MLP(hidden=(19,)), optim.sgd(lr=0.1, momentum=0.9))
        run(MLP(hidden=(19,)), optim.sgd(lr=0.3, momentum=0.5))  # other numbers: arrays in the state
    assert "fit_call_fn" not in names
    assert again.history == {**first.history, "epoch_time": again.history["epoch_time"]}
    with compiled_programs() as names:
        run(MLP(hidden=(19,)), optim.sgd(lr=0.1))  # no momentum buffer: another program
        run(MLP(hidden=(19,), activation="tanh"), optim.sgd(lr=0.1, momentum=0.9))
    assert names.count("fit_call_fn") == 2


def test_dropout_gets_a_fresh_key_every_step(digits):
    X, y = digits.train
    model = MLP(hidden=(32,), dropout=0.5)
    objective = objective_for(model)
    state = create_train_state(model, optax.sgd(0.0), X[:1], key=jax.random.key(0))
    batch = (X[:64], y[:64], jnp.ones(64))
    s1, sums1 = jitted_train_step(state, batch, objective=objective)
    _, sums2 = jitted_train_step(s1, batch, objective=objective)
    assert float(sums1["loss"]) != float(sums2["loss"])


def test_batch_norm_statistics_update_only_in_training(digits):
    X, y = digits.train
    model = MLP(hidden=(16,), batch_norm=True)
    objective = objective_for(model)
    state = create_train_state(model, optax.sgd(0.1), X[:1], key=jax.random.key(0))
    evaluate(state, X, y, batch_size=64, objective=objective)
    trained, _ = jitted_train_step(state, (X[:64], y[:64], jnp.ones(64)), objective=objective)
    before = state.batch_stats["BatchNorm_0"]["mean"]
    assert float(jnp.abs(before).max()) == 0.0
    assert float(jnp.abs(trained.batch_stats["BatchNorm_0"]["mean"]).max()) > 0.0


def test_fit_reaches_95_percent_on_digits(digits):
    result = fit(MLP(hidden=(128,)), digits, optimizer=optax.sgd(0.1), epochs=20, batch_size=32, seed=0)
    history = result.history
    assert set(history) == {"train_loss", "train_acc", "test_loss", "test_acc", "epoch_time"}
    assert all(len(v) == 20 for v in history.values())
    assert history["test_acc"][-1] >= 0.95
    assert history["train_loss"][-1] < history["train_loss"][0]


@pytest.mark.parametrize("model", [SoftmaxRegression(3), MLP(hidden=(16,), num_classes=3)])
def test_models_train_on_from_arrays_data(model):
    ds = blobs()
    result = fit(model, ds, optimizer=optax.sgd(0.1), epochs=15, batch_size=32)
    assert result.history["test_acc"][-1] >= 0.9
    assert result.history["test_loss"][-1] < result.history["test_loss"][0]


def test_d2l_linear_regression_recovers_w_and_b():
    """d2l 3.5 (concise): nn.LazyLinear(1), nn.MSELoss, SGD lr 0.03, batch 32, 3 epochs."""
    ds = data.load("synthetic_regression", seed=0)
    result = fit(LinearRegression(), ds, optimizer=optax.sgd(0.03), epochs=3, batch_size=32, loss="mse")
    params = result.state.params["Linear_0"]
    np.testing.assert_allclose(np.asarray(params["kernel"])[:, 0], [2.0, -3.4], atol=0.05)
    np.testing.assert_allclose(np.asarray(params["bias"]), [4.2], atol=0.05)
    assert "train_acc" not in result.history


def test_fit_is_reproducible_for_a_seed_and_differs_across_seeds(digits):
    runs = [
        fit(MLP(hidden=(16,), dropout=0.2), digits, optimizer=optax.sgd(0.1), epochs=2, batch_size=64, seed=s)
        for s in (0, 0, 1)
    ]
    assert runs[0].history["train_loss"] == runs[1].history["train_loss"]
    assert runs[0].history["train_loss"] != runs[2].history["train_loss"]


def test_divergence_is_reported_with_epoch_and_step():
    ds = data.load("synthetic_regression", seed=0)
    with pytest.raises(DivergenceError, match=r"epoch 1 at step \d+ of the epoch"):
        fit(LinearRegression(), ds, optimizer=optax.sgd(1e6), epochs=3, batch_size=32)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
        ({"batch_size": -1}, "batch_size must be an .* got -1"),
        ({"batch_size": 5000}, "fit: batch_size must be at most the 1437 training examples, got 5000"),
        ({"optimizer": "sgd"}, "GradientTransformation"),
        ({"loss": "hinge"}, "fit: unknown loss 'hinge'"),
    ],
)
def test_bad_fit_arguments_are_clear_errors(digits, kwargs, match):
    args = {"optimizer": optax.sgd(0.1), "epochs": 1, "batch_size": 32, **kwargs}
    with pytest.raises(ConfigError, match=match):
        fit(MLP(), digits, **args)


def test_model_and_data_mismatch_is_a_clear_error(digits):
    with pytest.raises(ConfigError, match="regressor"):
        fit(LinearRegression(), digits, optimizer=optax.sgd(0.1), epochs=1, batch_size=32)
    with pytest.raises(ConfigError, match="num_classes=10"):
        fit(SoftmaxRegression(3), digits, optimizer=optax.sgd(0.1), epochs=1, batch_size=32)


class D2lCNN(nn.Module):
    """A d2l chapter-7 style CNN written without jaxdl: no ``task``, no ``train``/``mask`` arguments."""

    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.Conv(16, (3, 3), padding="SAME")(x))
        x = nn.avg_pool(x, (2, 2), strides=(2, 2))
        x = nn.relu(nn.Conv(32, (3, 3), padding="SAME")(x))
        x = x.reshape((x.shape[0], -1))
        return nn.Dense(10)(nn.relu(nn.Dense(64)(x)))


def test_a_plain_linen_cnn_trains_on_digits_with_the_task_from_the_data(digits):
    X, y = digits.train
    assert X.shape[1:] == (8, 8, 1)
    r = fit(D2lCNN(), digits, optimizer=optim.adam(lr=1e-2), epochs=3, batch_size=64, verbose=0)
    assert r.history["test_acc"][-1] >= 0.95
