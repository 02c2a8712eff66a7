"""EarlyStopping: Keras semantics, best epoch restored, one clear line without validation data."""

import jax
import numpy as np
import optax
import pytest

from jaxdl import data
from jaxdl.callbacks import Callback, EarlyStopping
from jaxdl.errors import ConfigError
from jaxdl.models import MLP


def feed(es, values):
    return [es.on_epoch_end(e, {es.monitor: v}, None, {}) for e, v in enumerate(values, 1)]


def test_stops_after_patience_epochs_without_improvement_like_keras():
    es = EarlyStopping(monitor="m", patience=2, restore_best=False)
    assert feed(es, [1.0, 0.5, 0.6, 0.7]) == [None, None, None, True]
    assert (es.best_epoch, es.stopped_epoch) == (2, 4)


def test_min_delta_and_max_mode():
    es = EarlyStopping(monitor="val_acc", patience=1, min_delta=0.05, restore_best=False)
    assert es.mode == "max"
    assert feed(es, [0.5, 0.52]) == [None, True]
    es = EarlyStopping(monitor="val_loss", patience=1, mode="max", restore_best=False)
    assert feed(es, [1.0, 2.0, 1.5]) == [None, None, True]


@pytest.mark.parametrize("kwargs", [{"patience": -1}, {"mode": "up"}, {"monitor": ""}, {"min_delta": float("nan")}])
def test_bad_arguments_are_one_clear_error(kwargs):
    with pytest.raises(ConfigError, match="EarlyStopping"):
        EarlyStopping(**kwargs)


def test_monitoring_val_loss_without_validation_data_names_validation_split():
    with pytest.raises(ConfigError, match="validation_split"):
        jax_fit(EarlyStopping())


def jax_fit(es, epochs=30, extra=()):
    from jaxdl.train import fit

    return fit(
        MLP(hidden=(64,)),
        data.load("digits"),
        optimizer=optax.sgd(0.5, momentum=0.9),
        epochs=epochs,
        batch_size=64,
        verbose=0,
        callbacks=[es, *extra],
    )


def test_fit_stops_and_restores_the_best_epoch_state():
    class Keep(Callback):
        states = {}

        def wants_state(self, epoch):
            return True

        def on_epoch_end(self, epoch, row, state, history):
            self.states[epoch] = state

    keep = Keep()
    es = EarlyStopping(monitor="test_loss", patience=2)
    r = jax_fit(es, extra=[keep])
    losses = r.history["test_loss"]
    assert r.stopped_epoch == len(losses) < 30
    assert r.best_epoch == int(np.argmin(losses)) + 1
    assert r.stopped_epoch - r.best_epoch == 2
    best = keep.states[r.best_epoch]
    for a, b in zip(jax.tree.leaves(r.state.params), jax.tree.leaves(best.params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_without_early_stopping_best_and_stopped_epoch_are_none():
    from jaxdl.train import fit

    r = fit(
        MLP(hidden=(8,)),
        data.load("digits"),
        optimizer=optax.sgd(0.1),
        epochs=1,
        batch_size=256,
        verbose=0,
    )
    assert (r.best_epoch, r.stopped_epoch) == (None, None)
