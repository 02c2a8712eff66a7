"""Wrong types at the public entry points: one ConfigError line naming the argument and the fix."""

import numpy as np
import pytest

from jaxdl import data, models, optim
from jaxdl.errors import ConfigError
from jaxdl.train import check_fit_args, fit, fit_many


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def one_line(err) -> str:
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize(
    "bad,match",
    [
        (
            (np.zeros((10, 3)), np.zeros(10)),
            r"fit: data must be a jaxdl.data.Dataset \(wrap arrays with jaxdl.data.from_arrays\(.*\), got tuple$",
        ),
        ("digits", r"fit: data must be a Dataset, e.g. jaxdl.data.load\('digits'\), got the name 'digits'$"),
        ({"train": 1}, r"data must be a jaxdl.data.Dataset .*, got dict$"),
    ],
)
def test_data_that_is_not_a_dataset(bad, match):
    with pytest.raises(ConfigError, match=match) as err:
        fit(models.MLP(), bad, optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8)
    one_line(err)
    with pytest.raises(ConfigError, match=match.replace("fit:", "fit_many:")):
        fit_many(models.MLP(), bad, optimizer=optim.sgd, hparams={"lr": [0.1]}, epochs=1, batch_size=8)


def test_a_model_class_instead_of_a_model(digits):
    with pytest.raises(ConfigError, match=r"fit: model must be a model, e.g. model=MLP\(...\), got the class MLP$"):
        fit(models.MLP, digits, optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8)
    with pytest.raises(ConfigError, match="model must be a flax.linen.Module such as jaxdl.models.MLP"):
        fit("mlp", digits, optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8)


@pytest.mark.parametrize("seed", [1.5, -1, 2**70, "0", True])
def test_seeds_must_be_integers_the_prng_accepts(digits, seed):
    with pytest.raises(ConfigError, match=r"fit: seed must be an integer in \[0, 2\*\*63 - 1\], got "):
        check_fit_args(models.MLP(), digits, optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8, seed=seed)


def test_fit_checks_its_seed(digits):
    with pytest.raises(ConfigError, match=r"fit: seed must be an integer in \[0, 2\*\*63 - 1\], got 1.5"):
        fit(models.MLP(), digits, optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8, seed=1.5)


def test_the_largest_seed_is_accepted(digits):
    check_fit_args(models.MLP(), digits, optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8, seed=2**63 - 1)


@pytest.mark.parametrize(
    "model,dataset,loss,match",
    [
        (
            models.MLP(),
            "digits",
            "mse",
            r"fit: loss must be one of cross_entropy, nll for MLP, a classification model \(or left out for "
            r"cross_entropy\), got 'mse'",
        ),
        (models.MLP(), "digits", "bce", "loss must be one of cross_entropy, nll for MLP.*, got 'bce'"),
        (
            models.LinearRegression(),
            "diabetes",
            "cross_entropy",
            "fit: loss must be one of mse, squared_loss, l1 for LinearRegression, a regression model",
        ),
    ],
)
def test_a_loss_of_another_task(model, dataset, loss, match):
    with pytest.raises(ConfigError, match=match) as err:
        fit(model, data.load(dataset), optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8, loss=loss)
    one_line(err)


def test_a_loss_of_the_task_and_a_custom_loss_pass(digits):
    from jaxdl import losses

    for loss in ("nll", "cross_entropy", losses.cross_entropy):
        check_fit_args(models.MLP(), digits, optimizer=optim.sgd(lr=0.1), epochs=1, batch_size=8, loss=loss)
