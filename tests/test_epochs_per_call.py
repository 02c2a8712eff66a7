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
from jaxdl.train import evaluate, fit, loop, train_epoch


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


class CallSizes(Callback):
    """Records, for each epoch, how many epochs had ended when its on_epoch_end ran (in order)."""

    def __init__(self):
        self.epochs = []

    def on_epoch_end(self, epoch, row, state, history):
        self.epochs.append(epoch)


def run(monkeypatch, target, model, digits, epochs=6, **kwargs):
    monkeypatch.setattr(loop, "TARGET_CALL_SECONDS", target)
    kwargs.setdefault("optimizer", optax.sgd(0.1))
    return fit(model, digits, epochs=epochs, batch_size=128, progress=False, cache=False, **kwargs)


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
def test_many_epochs_per_call_equal_one_epoch_per_call(monkeypatch, digits, case):
    one = run(monkeypatch, 0.0, digits=digits, **CASES[case])
    many = run(monkeypatch, 1e9, digits=digits, **CASES[case])
    assert without_time(many.history) == without_time(one.history)
    for a, b in zip(
        jax.tree.leaves((one.state.params, one.state.batch_stats, one.state.opt_state)),
        jax.tree.leaves((many.state.params, many.state.batch_stats, many.state.opt_state)),
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_many_epochs_per_call_equal_the_public_epoch_functions(monkeypatch, digits):
    many = run(monkeypatch, 1e9, SoftmaxRegression(10), digits, epochs=5)
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


def test_a_call_ends_at_every_epoch_whose_state_is_wanted(monkeypatch, digits):
    class Want(CallSizes):
        def wants_state(self, epoch):
            return epoch == 4

        def on_epoch_end(self, epoch, row, state, history):
            super().on_epoch_end(epoch, row, state, history)
            assert (state is not None) == (epoch == 4)

    want = Want()
    run(monkeypatch, 1e9, SoftmaxRegression(10), digits, epochs=8, callbacks=[want])
    assert want.epochs == list(range(1, 9))


def test_divergence_inside_a_call_names_its_epoch_and_step(monkeypatch, digits):
    seen = CallSizes()
    with pytest.raises(DivergenceError, match="epoch 3") as err:
        run(
            monkeypatch,
            1e9,
            SoftmaxRegression(10),
            digits,
            epochs=10,
            callbacks=[seen],
            optimizer=optax.sgd(lambda count: jnp.where(count < 24, 0.1, jnp.nan)),
        )
    assert (err.value.epoch, err.value.step) == (3, 2)  # 12 steps per epoch; step 25 makes the params NaN
    assert seen.epochs == [1, 2]


def test_epochs_per_call_respects_every_limit():
    assert loop.epochs_per_call(1.0, remaining=10, until_wanted=None) == 1
    assert loop.epochs_per_call(0.001, remaining=5, until_wanted=None) == 5
    assert loop.epochs_per_call(0.001, remaining=100, until_wanted=None) == loop.MAX_EPOCHS_PER_CALL
    assert loop.epochs_per_call(0.001, remaining=100, until_wanted=2) == 2
