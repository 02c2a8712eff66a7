"""A model whose outputs do not fit the data's targets is refused before anything compiles, naming both shapes."""

from __future__ import annotations

import flax.linen as nn
import jax
import optax
import pytest

from jaxdl import data, optim
from jaxdl.errors import ConfigError
from jaxdl.train import create_train_state, evaluate, fit, fit_many, objective_for

SGD = optim.sgd(lr=0.1)


class Dense(nn.Module):
    """``nn.Dense(outputs)`` on the inputs, flattened or not, with the last axis dropped when ``squeeze``."""

    outputs: int
    flatten: bool = True
    squeeze: bool = False

    @nn.compact
    def __call__(self, x):
        x = x.reshape(x.shape[0], -1) if self.flatten else x
        y = nn.Dense(self.outputs)(x)
        return y[:, 0] if self.squeeze else y


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.mark.parametrize("trainer", ["fit", "fit_many"])
def test_too_few_classes_is_refused_naming_both_shapes(digits, trainer):
    run = {
        "fit": lambda m: fit(m, digits, optimizer=SGD, epochs=1, batch_size=128, verbose=0),
        "fit_many": lambda m: fit_many(m, digits, optimizer=SGD, epochs=1, batch_size=128, seeds=[0, 1]),
    }[trainer]
    with pytest.raises(ConfigError) as err:
        run(Dense(5))
    assert str(err.value) == (
        f"{trainer}: model must be a model returning outputs of shape (128, 10) for the 10 classes of 'digits' "
        "(one row of scores per example; labels have shape (128,)), got (128, 5) for inputs of shape (128, 8, 8, 1)"
    )


def test_a_model_that_does_not_flatten_is_told_to(digits):
    with pytest.raises(ConfigError, match=r"got \(64, 8, 8, 10\) for inputs of shape \(64, 8, 8, 1\) \(flatten the"):
        fit(Dense(10, flatten=False), digits, optimizer=SGD, epochs=1, batch_size=64, verbose=0)


def test_more_outputs_than_classes_still_train(digits):
    result = fit(Dense(12), digits, optimizer=SGD, epochs=1, batch_size=256, verbose=0)
    assert len(result.history["test_acc"]) == 1


def test_a_regressor_must_return_the_targets_shape():
    diabetes = data.load("diabetes")
    assert diabetes.train[1].shape[1:] == (1,)
    with pytest.raises(ConfigError) as err:
        fit(Dense(1, squeeze=True), diabetes, optimizer=SGD, epochs=1, batch_size=64, verbose=0)
    assert str(err.value) == (
        "fit: model must be a model returning outputs of shape (64, 1), the shape of the regression targets of "
        "'diabetes', got (64,) for inputs of shape (64, 10)"
    )
    with pytest.raises(ConfigError, match=r"shape \(64, 1\), the shape of the regression targets .*got \(64, 3\)"):
        fit(Dense(3), diabetes, optimizer=SGD, epochs=1, batch_size=64, verbose=0)


def test_evaluate_names_the_outputs_that_do_not_fit_the_labels(digits):
    model = Dense(10, flatten=False)
    state = create_train_state(model, optax.sgd(0.1), digits.train[0][:1], key=jax.random.key(0))
    X, y = digits.test
    with pytest.raises(ConfigError, match=r"^evaluate: model must be .*got \(360, 8, 8, 10\) for inputs"):
        evaluate(state, X, y, batch_size=64, objective=objective_for(model, default_task="classification"))
