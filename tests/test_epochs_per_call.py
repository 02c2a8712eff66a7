"""Several epochs per compiled call give the history and state of one epoch per call, bit for bit."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdl import data, optim, schedules
from jaxdl.callbacks import Callback
from jaxdl.errors import DivergenceError
from jaxdl.models import MLP, SoftmaxRegression
from jaxdl.train import evaluate, fit, train_epoch


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


class CallSizes(Callback):
    """Records, for each epoch, how many epochs had ended when its on_epoch_end ran (in order)."""

    def __init__(self):
        self.epochs = []

    def on_epoch_end(self, epoch, row, state, history):
        self.epochs.append(epoch)


class EveryEpoch(Callback):
    """Wants the state after every epoch: one epoch per compiled call."""

    def wants_state(self, epoch):
        return True


def run(one_per_call, model, digits, epochs=6, **kwargs):
    if one_per_call:
        kwargs["callbacks"] = [*kwargs.get("callbacks", ()), EveryEpoch()]
    kwargs.setdefault("optimizer", optax.sgd(0.1))
    return fit(model, digits, epochs=epochs, batch_size=128, verbose=0, **kwargs)


def without_time(history):
    return {k: v for k, v in history.items() if k != "epoch_time"}


CASES = {
    "softmax": dict(model=SoftmaxRegression(10)),
    "dropout_bn": dict(model=MLP(hidden=(32,), dropout=0.3, batch_norm=True), optimizer=optim.adam(lr=1e-3)),
    "schedule": dict(
        model=MLP(hidden=(16,)),
        optimizer=functools.partial(optim.sgd, momentum=0.9),
        schedule=schedules.step_lr(0.2, step_size=2, gamma=0.5),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_many_epochs_per_call_equal_one_epoch_per_call(digits, case, full_calls):
    one = run(True, digits=digits, epochs=20, **CASES[case])
    many = run(False, digits=digits, epochs=20, **CASES[case])
    assert one.calls == 20 and many.calls == 4  # epochs 1 and 2 (timing), 3-18, 19-20
    assert without_time(many.history) == without_time(one.history)
    for a, b in zip(
        jax.tree.leaves((one.state.params, one.state.batch_stats, one.state.opt_state)),
        jax.tree.leaves((many.state.params, many.state.batch_stats, many.state.opt_state)),
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_many_epochs_per_call_equal_the_public_epoch_functions(digits):
    many = run(False, SoftmaxRegression(10), digits, epochs=5)
    from jaxdl.train import create_train_state, objective_for

    model = SoftmaxRegression(10)
    objective = objective_for(model)
    X, y = digits.train
    state = create_train_state(model, optax.sgd(0.1), X[:1], key=jax.random.key(0))
    losses, accs = [], []
    for _ in range(5):
        state, train = train_epoch(state, X, y, batch_size=128, objective=objective)
        test = evaluate(state, *digits.test, batch_size=128, objective=objective)
        losses.append(float(train["loss"]))
        accs.append(float(test["acc"]))
    assert many.history["train_loss"] == losses
    assert many.history["test_acc"] == accs


def test_a_call_ends_at_every_epoch_whose_state_is_wanted(digits):
    class Want(CallSizes):
        def wants_state(self, epoch):
            return epoch == 4

        def on_epoch_end(self, epoch, row, state, history):
            super().on_epoch_end(epoch, row, state, history)
            assert (state is not None) == (epoch == 4)

    want = Want()
    run(False, SoftmaxRegression(10), digits, epochs=8, callbacks=[want])
    assert want.epochs == list(range(1, 9))


def test_divergence_inside_a_call_names_its_epoch_and_step(digits):
    seen = CallSizes()
    with pytest.raises(DivergenceError, match="epoch 3") as err:
        run(
            False,
            SoftmaxRegression(10),
            digits,
            epochs=10,
            callbacks=[seen],
            optimizer=optax.sgd(lambda count: jnp.where(count < 24, 0.1, jnp.nan)),
        )
    assert (err.value.epoch, err.value.step) == (3, 2)  # 12 steps per epoch; step 25 makes the params NaN
    assert seen.epochs == [1, 2]
