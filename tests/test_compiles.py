"""One compile per concept: a fit compiles its init and its epoch program once, evaluation inside it."""

import functools

import jax
import numpy as np
import optax
import pytest

from jaxdl import data, optim, schedules
from jaxdl.models import MLP
from jaxdl.train import fit, fit_many
from tests.helpers import compiled_programs


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def run(hidden, digits, **kwargs):
    return fit(
        MLP(hidden=(hidden,)),
        digits,
        optimizer=optim.sgd(lr=0.1),
        epochs=4,
        batch_size=128,
        verbose=0,
        **kwargs,
    )


def test_a_new_model_compiles_its_init_and_one_epoch_program(digits):
    run(5, digits)  # the process's first fit also compiles small helper programs
    with compiled_programs() as names:
        run(6, digits)
    assert names.count("_init_variables") == 1
    assert names.count("fit_call_fn") == 1
    assert len(names) <= 3, names
    assert not {"evaluate_fn", "train_epoch_fn"} & set(names)


def test_an_equal_model_compiles_nothing(digits):
    run(7, digits)
    with compiled_programs() as names:
        run(7, digits)
    assert names == []


@pytest.mark.parametrize(
    "make",
    [
        lambda lr, v: optim.sgd(lr=lr, momentum=v, weight_decay=v / 100),
        lambda lr, v: optim.adam(lr=lr, eps=v / 1e6, weight_decay=v / 100),
        lambda lr, v: optim.rmsprop(lr=lr, momentum=v),
    ],
)
def test_a_fit_with_other_numeric_hyperparameters_compiles_nothing(digits, make):
    """lr, momentum, eps and weight_decay travel as arrays in the state, so the epoch program is reused."""

    def go(lr, v):
        return fit(MLP(hidden=(9,)), digits, optimizer=make(lr, v), epochs=3, batch_size=128, verbose=0)

    go(0.05, 0.9)
    with compiled_programs() as names:
        result = go(0.02, 0.5)
    assert names == []
    assert len(result.history["train_loss"]) == 3


@pytest.mark.parametrize(
    "make",
    [
        lambda: optim.sgd(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-3),
        lambda: optim.adamw(lr=0.01, eps=1e-6),
        lambda: optim.adagrad(lr=0.1, lr_decay=0.01),
    ],
)
def test_array_hyperparameters_give_the_numbers_of_python_floats(digits, make):
    """The same optimizer handed to fit as a plain optax transform (its floats baked into the program)."""

    def go(tx):
        return fit(MLP(hidden=(9,)), digits, optimizer=tx, epochs=3, batch_size=128, verbose=0)

    tx = make()
    lifted, baked = go(tx), go(optax.GradientTransformation(tx.init, tx.update))
    for key in ("train_loss", "test_loss", "test_acc"):
        np.testing.assert_allclose(lifted.history[key], baked.history[key], rtol=1e-6)
    assert jax.tree.structure(lifted.state.opt_state) == jax.tree.structure(baked.state.opt_state)
    assert lifted.state.tx is tx


@pytest.mark.parametrize("unit", ["epoch", "step"])
def test_a_fit_with_other_schedule_arguments_compiles_nothing_and_follows_the_schedule(digits, unit):
    """The schedule's rates travel as a table in the state: a new gamma or base rate reuses the program."""

    def go(lr, gamma):
        schedule = schedules.step_lr(lr, step_size=2, gamma=gamma)
        return fit(
            MLP(hidden=(9,)),
            digits,
            optimizer=functools.partial(optim.sgd, momentum=0.9),
            schedule=schedule if unit == "epoch" else schedules.per_step(schedule),
            epochs=4,
            batch_size=128,
            verbose=0,
        )

    go(0.1, 0.5)
    with compiled_programs() as names:
        result = go(0.2, 0.1)
    assert names == []
    steps = -(-digits.train[0].shape[0] // 128)
    counts = [e if unit == "epoch" else e * steps for e in range(4)]
    np.testing.assert_allclose(result.history["lr"], [0.2 * 0.1 ** (c // 2) for c in counts], rtol=1e-6)


def _momentum_sgd(lr, momentum):
    return optim.sgd(lr=lr, momentum=momentum)


def test_a_second_search_with_the_same_optimizer_function_and_other_values_compiles_nothing(digits):
    """fit_many's programs are keyed on the optimizer function and the names it takes, not on the values swept."""

    def search(lrs, momenta):
        return fit_many(
            MLP(hidden=(8,)),
            digits,
            optimizer=_momentum_sgd,
            hparams={"lr": lrs, "momentum": momenta},
            epochs=2,
            batch_size=128,
            verbose=0,
        )

    search([0.1, 0.2], [0.5, 0.9])
    with compiled_programs() as names:
        again = search([0.05, 0.3], [0.0, 0.8])
    assert names == []
    assert again.runs[3] == {"seed": 0, "lr": 0.3, "momentum": 0.8}
    one = fit(MLP(hidden=(8,)), digits, optimizer=_momentum_sgd(0.3, 0.8), epochs=2, batch_size=128, verbose=0)
    np.testing.assert_allclose(again.history["test_loss"][3], one.history["test_loss"], rtol=0, atol=1e-6)
