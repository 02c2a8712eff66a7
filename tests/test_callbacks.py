"""Callbacks in fit: order, state copies safe to keep, the old function arguments, progress output."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdl import data
from jaxdl.callbacks import Callback, ProgressBar, TrainInfo
from jaxdl.errors import ConfigError
from jaxdl.models import MLP, SoftmaxRegression
from jaxdl.train import fit


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


class Recorder(Callback):
    def __init__(self, want=()):
        self.want, self.calls, self.states, self.info = set(want), [], {}, None

    def on_train_begin(self, info):
        self.info = info

    def wants_state(self, epoch):
        return epoch in self.want

    def on_epoch_end(self, epoch, row, state, history):
        self.calls.append((epoch, dict(row), len(history["train_loss"])))
        if state is not None:
            self.states[epoch] = state

    def on_train_end(self, result):
        self.result = result


def test_every_epoch_is_reported_in_order_with_the_state_only_where_wanted(digits):
    rec = Recorder(want={2, 4})
    r = fit(
        SoftmaxRegression(10),
        digits,
        optimizer=optax.sgd(0.1),
        epochs=5,
        batch_size=256,
        callbacks=[rec],
        progress=False,
        cache=False,
    )
    assert [c[0] for c in rec.calls] == [1, 2, 3, 4, 5]
    assert [c[2] for c in rec.calls] == [1, 2, 3, 4, 5]
    assert [c[1]["train_loss"] for c in rec.calls] == r.history["train_loss"]
    assert sorted(rec.states) == [2, 4]
    assert rec.info == TrainInfo(
        total_epochs=5, first_epoch=1, steps_per_epoch=6, label="fit", metrics=rec.info.metrics
    )
    assert {"train_loss", "test_acc"} <= set(rec.info.metrics)
    assert rec.result is not None and rec.result.history is r.history


def test_states_handed_to_callbacks_are_safe_to_keep(digits):
    rec = Recorder(want={1, 2, 3})
    kept = []
    r = fit(
        MLP(hidden=(16,)),
        digits,
        optimizer=optax.sgd(0.1),
        epochs=3,
        batch_size=128,
        callbacks=[rec],
        on_epoch_end=kept.append,
        progress=False,
        cache=False,
    )
    steps = [int(rec.states[e].step) for e in (1, 2, 3)]  # would raise "Array has been deleted"
    assert steps == [12, 24, 36]
    assert [int(res.state.step) for res in kept] == [12, 24, 36]
    first = jax.tree.leaves(rec.states[1].params)[0]
    assert not np.array_equal(np.asarray(first), np.asarray(jax.tree.leaves(r.state.params)[0]))


def test_returning_true_stops_after_that_epoch(digits):
    class StopAt2(Callback):
        def on_epoch_end(self, epoch, row, state, history):
            return epoch == 2

    r = fit(
        SoftmaxRegression(10),
        digits,
        optimizer=optax.sgd(0.1),
        epochs=6,
        batch_size=256,
        callbacks=[StopAt2()],
        progress=False,
        cache=False,
    )
    assert len(r.history["train_loss"]) == 2


def test_old_callback_argument_still_works(digits):
    seen = []
    fit(
        SoftmaxRegression(10),
        digits,
        optimizer=optax.sgd(0.1),
        epochs=2,
        batch_size=256,
        callback=lambda epoch, row: seen.append(epoch),
        progress=False,
        cache=False,
    )
    assert seen == [1, 2]


def test_a_function_in_callbacks_is_one_clear_error(digits):
    with pytest.raises(ConfigError, match="callbacks.*Callback"):
        fit(
            SoftmaxRegression(10),
            digits,
            optimizer=optax.sgd(0.1),
            epochs=1,
            batch_size=256,
            callbacks=[print],
            progress=False,
            cache=False,
        )


def test_progress_bar_writes_to_stderr_and_progress_false_is_silent(digits, capsys):
    fit(SoftmaxRegression(10), digits, optimizer=optax.sgd(0.1), epochs=3, batch_size=256, cache=False)
    out = capsys.readouterr()
    assert out.out == ""
    assert "3/3" in out.err and "train_loss=" in out.err
    fit(SoftmaxRegression(10), digits, optimizer=optax.sgd(0.1), epochs=2, batch_size=256, progress=False, cache=False)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_says_compiling_before_the_first_epoch(capsys):
    bar = ProgressBar()
    bar.on_train_begin(TrainInfo(total_epochs=4, first_epoch=1, steps_per_epoch=1, label="fit"))
    assert "compiling" in capsys.readouterr().err
    bar.on_epoch_end(1, {"train_loss": 0.25}, None, {})
    bar.on_train_end(None)
    assert "train_loss=0.2500" in capsys.readouterr().err


def test_progress_bar_is_closed_when_training_raises(digits):
    bar = ProgressBar()

    class Boom(Callback):
        def on_epoch_end(self, epoch, row, state, history):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fit(
            SoftmaxRegression(10),
            digits,
            optimizer=optax.sgd(0.1),
            epochs=2,
            batch_size=256,
            callbacks=[bar, Boom()],
            progress=False,
            cache=False,
        )
    assert bar._bar is None


def with_val(ds, n_val=300):
    """``ds`` with its first ``n_val`` training examples as validation data (``data.val``)."""
    X, y = ds.train
    train, val = (X[n_val:], y[n_val:]), (X[:n_val], y[:n_val])
    if not hasattr(ds, "val"):  # until Dataset has a val field
        cls = dataclasses.make_dataclass("WithVal", [("val", object, None)], bases=(type(ds),), frozen=True)
        ds = cls(**{f.name: getattr(ds, f.name) for f in dataclasses.fields(ds)})
    return dataclasses.replace(ds, train=train, val=val)


def test_validation_data_adds_val_metrics_that_match_a_direct_evaluation(digits):
    ds = with_val(digits)
    r = fit(SoftmaxRegression(10), ds, optimizer=optax.sgd(0.1), epochs=2, batch_size=128, progress=False, cache=False)
    assert len(r.history["val_loss"]) == len(r.history["val_acc"]) == 2
    X, y = ds.val
    logits = r.state.apply_fn({"params": r.state.params}, X, train=False)
    acc = float(jnp.mean(jnp.argmax(logits, -1) == y))
    assert abs(r.history["val_acc"][-1] - acc) < 1e-6


def test_validation_split_is_fit_on_jaxdl_data_split(digits):
    kwargs = dict(optimizer=optax.sgd(0.1), epochs=2, batch_size=128, progress=False, cache=False)
    a = fit(SoftmaxRegression(10), digits, validation_split=0.2, seed=3, **kwargs)
    b = fit(SoftmaxRegression(10), data.split(digits, val=0.2, seed=3), seed=3, **kwargs)
    a.history.pop("epoch_time"), b.history.pop("epoch_time")
    assert a.history == b.history
    assert "val_acc" in a.history
