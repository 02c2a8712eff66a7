"""A loop of one's own: ``data.DataLoader`` batches, ``train_step`` and ``evaluate`` without internal arguments."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdl import data, losses, models, optim
from jaxdl.errors import ConfigError
from jaxdl.train import create_train_state, evaluate, objective_for, train_step


@pytest.fixture(scope="module")
def regression():
    return data.synthetic_regression(w=(2.0, -3.4), b=4.2, noise=0.01, key=jax.random.key(0))


def test_batches_of_32_from_1000_examples_cover_each_once_with_a_short_last_batch():
    X, y = jnp.arange(1000.0)[:, None], jnp.arange(1000)
    loader = data.DataLoader(X, y, batch_size=32, shuffle=True)
    batches = list(loader.batches(key=jax.random.key(0)))
    assert len(loader) == len(batches) == 32
    assert [len(b[0]) for b in batches] == [32] * 31 + [8]
    seen = np.concatenate([np.asarray(yb) for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(1000)) and seen.tolist() != list(range(1000))
    for xb, yb in batches:
        np.testing.assert_array_equal(np.asarray(xb[:, 0]), np.asarray(yb, np.float32))
    dropped = data.DataLoader(X, y, batch_size=32, shuffle=True, drop_last=True)
    assert len(dropped) == 31 and {len(b[0]) for b in dropped.batches(key=jax.random.key(0))} == {32}


def test_the_order_follows_the_key_and_is_fixed_without_shuffle():
    y = jnp.arange(10)
    loader = data.DataLoader(y, batch_size=4, shuffle=True)

    def order(key):
        return np.concatenate([b for (b,) in loader.batches(key=key)]).tolist()

    assert order(jax.random.key(1)) == order(jax.random.key(1)) != order(jax.random.key(2))
    in_order = data.DataLoader(y, batch_size=4)
    assert [b.tolist() for (b,) in in_order] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert repr(in_order) == "DataLoader(10 examples, batch_size=4, shuffle=False, drop_last=False: 3 batches)"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: list(data.DataLoader(jnp.ones(4), batch_size=2, shuffle=True)), r"loader.batches\(key=epoch_key\)"),
        (lambda: data.DataLoader(jnp.ones(4), jnp.ones(5), batch_size=2), r"same first axis.*\(4,\), \(5,\)"),
        (lambda: data.DataLoader(jnp.ones(4), batch_size=0), "batch_size must be"),
        (lambda: list(data.DataLoader(jnp.ones(4), batch_size=2).batches(key=jax.random.key(0))), "shuffle=True"),
    ],
)
def test_loader_misuse_is_one_line(make, match):
    with pytest.raises(ConfigError, match=match) as err:
        make()
    assert "\n" not in str(err.value)


def test_a_from_scratch_loop_with_batch_32_on_1000_examples_recovers_the_weights(regression):
    X, y = regression.train
    assert len(X) == 1000

    @jax.jit
    def sgd_step(params, X, y):
        grads = jax.grad(lambda p: losses.squared_loss(X @ p["w"] + p["b"], y))(params)
        return jax.tree.map(lambda p, g: p - 0.1 * g, params, grads)

    params = {"w": jnp.zeros((2, 1)), "b": jnp.zeros(1)}
    loader = data.DataLoader(X, y, batch_size=32, shuffle=True)
    for epoch_key in jax.random.split(jax.random.key(1), 5):
        for xb, yb in loader.batches(key=epoch_key):
            params = sgd_step(params, xb, yb)
    np.testing.assert_allclose(np.asarray(params["w"]).ravel(), [2.0, -3.4], atol=0.01)
    np.testing.assert_allclose(np.asarray(params["b"]), [4.2], atol=0.01)


def test_train_step_and_evaluate_pick_the_objective_fit_picks():
    ds = data.load("digits")
    X, y = ds.train
    model = models.SoftmaxRegression(10)
    state = create_train_state(model, optim.sgd(lr=0.5), X[:1], key=jax.random.key(0))
    objective = objective_for(model)
    step = jax.jit(train_step)
    stepped, sums = step(state, (X[:32], y[:32]))
    explicit, explicit_sums = train_step(state, (X[:32], y[:32], jnp.ones(32)), objective=objective)
    assert float(sums["count"]) == 32 and set(sums) == {"loss", "acc", "count"}
    np.testing.assert_allclose(float(sums["loss"]), float(explicit_sums["loss"]), rtol=1e-6)
    np.testing.assert_allclose(stepped.params["Linear_0"]["kernel"], explicit.params["Linear_0"]["kernel"], atol=1e-6)
    before = evaluate(state, *ds.test, batch_size=256)
    for xb, yb in data.DataLoader(X, y, batch_size=32, shuffle=True).batches(key=jax.random.key(2)):
        state, _ = step(state, (xb, yb))
    after = evaluate(state, *ds.test)
    assert set(after) == {"loss", "acc"} and after["acc"] > 0.85 > 0.2 > before["acc"]
    assert float(after["loss"]) == pytest.approx(float(evaluate(state, *ds.test, objective=objective)["loss"]))


def test_a_regressor_state_evaluates_with_mse(regression):
    state = create_train_state(
        models.LinearRegression(), optim.sgd(lr=0.1), regression.train[0][:1], key=jax.random.key(0)
    )
    metrics = evaluate(state, *regression.test)
    assert set(metrics) == {"loss", "mse"} and float(metrics["loss"]) == pytest.approx(float(metrics["mse"]))


def test_a_batch_that_is_not_a_pair_or_triple_is_one_line():
    state = create_train_state(models.LinearRegression(), optim.sgd(lr=0.1), jnp.ones((1, 2)), key=jax.random.key(0))
    with pytest.raises(ConfigError, match=r"train_step: batch must be a pair \(x, y\) or a triple.*got 1 arrays"):
        train_step(state, (jnp.ones((4, 2)),))
