"""Any linen module trains: the course's ``nn.Sequential`` (lists, tuples, lambdas), modules without ``train``, modules
that are not hashable; with ``fit``, ``fit_many`` and ``predict``."""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdl
from jaxdl import data, optim
from jaxdl.train import apply_model, create_train_state, fit, fit_many
from tests.helpers import compiled_programs, jitted_train_step


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def flatten(x):
    return x.reshape((x.shape[0], -1))


def d2l_mlp(layers_type=list, dropout=0.0):
    """d2l 5.2's ``nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), (nn.Dropout(p)), nn.Linear(64, 10))``."""
    middle = [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(layers_type([flatten, nn.Dense(64), nn.relu, *middle, nn.Dense(10)]))


@pytest.mark.parametrize("layers_type", [list, tuple])
def test_the_course_sequential_with_a_list_or_a_tuple_trains(digits, layers_type):
    r = fit(d2l_mlp(layers_type), digits, optimizer=optim.sgd(lr=0.1), epochs=12, batch_size=32, verbose=0)
    assert r.history["test_acc"][-1] >= 0.9


def test_a_sequential_trains_with_fit_many_and_predicts(digits):
    many = fit_many(d2l_mlp(), digits, optimizer=optim.sgd(lr=0.1), epochs=4, batch_size=64, seeds=(0, 1), verbose=0)
    assert many.history["test_acc"].shape == (2, 4) and (many.history["test_acc"][:, -1] >= 0.8).all()
    state = many.run_state(1)
    X, y = digits.test
    classes = jaxdl.predict(state, d2l_mlp(), X)
    logits = apply_model(d2l_mlp(), {"params": state.params}, X)
    np.testing.assert_array_equal(classes, np.asarray(logits.argmax(-1)))
    assert (classes == np.asarray(y)).mean() >= 0.8


def test_a_sequential_drops_out_in_training_only(digits):
    model = d2l_mlp(dropout=0.5)
    X = digits.train[0][:8]
    state = create_train_state(model, optim.sgd(lr=0.1), X[:1], key=jax.random.key(0))
    variables = {"params": state.params}
    evaluated = [apply_model(model, variables, X, train=False) for _ in range(2)]
    np.testing.assert_array_equal(evaluated[0], evaluated[1])
    trained = [apply_model(model, variables, X, train=True, rngs={"dropout": jax.random.key(k)}) for k in (1, 2)]
    assert not np.allclose(trained[0], trained[1])
    assert not np.allclose(trained[0], evaluated[0])


def test_a_sequential_batch_norm_learns_statistics_from_real_rows_only(digits):
    model = nn.Sequential([flatten, nn.Dense(16), nn.BatchNorm(), nn.relu, nn.Dense(10)])
    X, y = digits.train
    state = create_train_state(model, optim.sgd(lr=0.1), X[:1], key=jax.random.key(0))
    assert state.batch_stats  # nn.BatchNorm's running mean and variance
    real = (X[:6], y[:6], jnp.ones(6))
    padded = (jnp.concatenate([X[:6], X[100:102] * 50]), jnp.concatenate([y[:6], y[:2]]), jnp.arange(8) < 6)
    stepped = [jitted_train_step(state, batch, objective=None)[0] for batch in (real, padded)]
    for a, b in zip(jax.tree.leaves(stepped[0].batch_stats), jax.tree.leaves(stepped[1].batch_stats), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(jax.tree.leaves(stepped[0].batch_stats)[0], jax.tree.leaves(state.batch_stats)[0])
    r = fit(model, digits, optimizer=optim.sgd(lr=0.1), epochs=6, batch_size=32, verbose=0)
    assert r.history["test_acc"][-1] >= 0.9


@dataclasses.dataclass
class Widths:
    """A list of widths that is not hashable, as a module field."""

    sizes: list


class ListMLP(nn.Module):
    """A module with an unhashable field and a ``__call__`` without ``train``."""

    widths: Widths

    @nn.compact
    def __call__(self, x):
        x = flatten(x)
        for width in self.widths.sizes:
            x = nn.relu(nn.Dense(width)(x))
        return nn.Dense(10)(x)


def test_an_unhashable_module_trains_and_an_equal_one_compiles_nothing_new(digits):
    def run():
        return fit(ListMLP(Widths([32])), digits, optimizer=optim.adam(lr=1e-2), epochs=3, batch_size=64, verbose=0)

    first = run()
    assert first.history["test_acc"][-1] >= 0.85
    with compiled_programs() as names:
        second = run()
    assert names == []
    assert second.history["test_acc"] == first.history["test_acc"]


def test_a_bare_dense_layer_trains_without_a_train_argument():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = X @ np.array([[2.0], [-1.0], [0.5]], np.float32) + 1.0
    ds = data.from_arrays(X[:150], y[:150], X[150:], y[150:], regression=True)
    r = fit(nn.Dense(1), ds, optimizer=optim.sgd(lr=0.1), epochs=30, batch_size=10, verbose=0)
    assert r.history["test_mse"][-1] < 1e-3
