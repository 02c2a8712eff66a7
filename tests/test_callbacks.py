"""Callbacks, the one extension point of fit: order, states, stops, Ctrl-C, and what each costs in compiled calls."""

import csv
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdl import checkpoint, data, optim
from jaxdl.callbacks import (
    Callback,
    Checkpoint,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LivePlot,
    LossLimit,
    ProgressBar,
    TrainInfo,
)
from jaxdl.errors import ConfigError, DivergenceError
from jaxdl.models import MLP, SoftmaxRegression
from jaxdl.swa import AveragedWeights
from jaxdl.train import fit

EPOCHS = 40


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def leaves_equal(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def without_time(history):
    return {k: v for k, v in history.items() if k != "epoch_time"}


def train(digits, epochs=EPOCHS, **kwargs):
    kwargs.setdefault("optimizer", optim.sgd(lr=0.1, momentum=0.9))
    return fit(MLP(hidden=(16,)), digits, epochs=epochs, batch_size=128, verbose=0, **kwargs)


class Recorder(Callback):
    def __init__(self, want=()):
        self.want, self.calls, self.states, self.info, self.result = set(want), [], {}, None, None

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
        SoftmaxRegression(10), digits, optimizer=optax.sgd(0.1), epochs=5, batch_size=256, callbacks=[rec], verbose=0
    )
    assert [c[0] for c in rec.calls] == [1, 2, 3, 4, 5]
    assert [c[2] for c in rec.calls] == [1, 2, 3, 4, 5]
    assert [c[1]["train_loss"] for c in rec.calls] == r.history["train_loss"]
    assert sorted(rec.states) == [2, 4]
    assert rec.info == TrainInfo(
        total_epochs=5, first_epoch=1, steps_per_epoch=6, label="fit", metrics=rec.info.metrics
    )
    assert set(rec.info.metrics) == set(r.history)
    assert rec.result is r


def test_states_handed_to_callbacks_are_safe_to_keep_and_equal_a_run_that_stops_there(digits):
    rec, kept = Recorder(want={1, 2, 3}), []
    r = train(digits, epochs=3, callbacks=[rec, LambdaCallback(on_state=lambda epoch, state: kept.append(state))])
    assert [int(rec.states[e].step) for e in (1, 2, 3)] == [12, 24, 36]  # would raise "Array has been deleted"
    assert [int(s.step) for s in kept] == [12, 24, 36]
    leaves_equal(rec.states[2].params, train(digits, epochs=2).state.params)
    leaves_equal(rec.states[3].params, r.state.params)


def test_a_stop_inside_a_compiled_call_ends_exactly_at_that_epoch(digits, full_calls):
    stop_at = 7
    rec = Recorder()
    r = train(digits, callbacks=[rec, LambdaCallback(on_epoch_end=lambda epoch, row: epoch == stop_at)])
    plain = train(digits, epochs=stop_at)
    assert r.calls < stop_at  # several epochs ran per call, so the stop fell inside one
    assert without_time(r.history) == without_time(plain.history)
    leaves_equal(
        (r.state.params, r.state.opt_state, jax.random.key_data(r.state.key)),
        (plain.state.params, plain.state.opt_state, jax.random.key_data(plain.state.key)),
    )
    assert [c[0] for c in rec.calls] == list(range(1, stop_at + 1))


def test_calls_per_run_for_each_built_in_callback(digits, tmp_path, full_calls):
    """Several epochs per compiled call whatever the callbacks; only a state every k epochs ends calls."""
    plain = train(digits)
    assert plain.calls == 5  # two timing calls of one epoch, then 16, 16 and 6 epochs
    with open(tmp_path / "bar.txt", "w") as bar:
        for cb in (
            ProgressBar(file=bar),
            LivePlot(),
            CSVLogger(tmp_path / "log.csv"),
            LossLimit(1e6),
            AveragedWeights(start_epoch=10),
            Checkpoint(tmp_path / "every-minute.ckpt"),
            EarlyStopping(monitor="test_loss", patience=EPOCHS),
        ):
            r = train(digits, callbacks=[cb])
            assert r.calls == plain.calls, type(cb).__name__
            assert without_time(r.history) == without_time(plain.history), type(cb).__name__
    r = train(digits, callbacks=[Checkpoint(tmp_path / "every-10.ckpt", every_epochs=10, every_seconds=None)])
    assert r.calls == EPOCHS // 10 + 2  # epochs 1 and 2, then calls ending at 10, 20, 30, 40


def test_early_stopping_with_restore_stops_and_restores_without_a_call_per_epoch(digits, full_calls):
    es = EarlyStopping(monitor="test_loss", patience=2)
    r = fit(
        MLP(hidden=(64,)),
        digits,
        optimizer=optax.sgd(0.5, momentum=0.9),
        epochs=60,
        batch_size=64,
        verbose=0,
        callbacks=[es],
    )
    losses = r.history["test_loss"]
    assert r.stopped_epoch == len(losses) < 60 and r.best_epoch == int(np.argmin(losses)) + 1
    assert r.calls < r.stopped_epoch / 2
    best = fit(
        MLP(hidden=(64,)), digits, optimizer=optax.sgd(0.5, momentum=0.9), epochs=r.best_epoch, batch_size=64, verbose=0
    )
    leaves_equal((r.state.params, r.state.opt_state), (best.state.params, best.state.opt_state))


def test_averaged_weights_on_the_device_equal_the_average_of_each_epoch_s_weights(digits):
    seen = []
    swa = AveragedWeights(start_epoch=3)
    train(digits, epochs=6, callbacks=[swa, LambdaCallback(on_state=lambda epoch, state: seen.append(state.params))])
    expected = jax.tree.map(lambda *ws: sum(ws) / len(ws), *seen[2:])
    for a, b in zip(jax.tree.leaves(swa.variables["params"]), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(swa.state.n_averaged) == 4


def test_ctrl_c_keeps_every_finished_epoch_in_the_result_and_the_checkpoint(digits, tmp_path):
    path = tmp_path / "run.ckpt"

    def interrupt(epoch, row):
        if epoch == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as stop:
        train(digits, callbacks=[Checkpoint(path), LambdaCallback(on_epoch_end=interrupt)])
    result = stop.value.result
    done = len(result.history["train_loss"])
    assert result.interrupted and done >= 5
    assert int(result.state.step) == done * 12  # the state after the last recorded epoch
    saved = checkpoint.load_run(path)
    assert saved.epochs_done == done
    resumed = train(digits, epochs=done + 3, initial=saved)
    straight = train(digits, epochs=done + 3)
    assert without_time(resumed.history) == without_time(straight.history)


def test_lambda_callback_and_a_plain_function_in_callbacks(digits):
    seen, ends = [], []
    train(
        digits,
        epochs=2,
        callbacks=[LambdaCallback(on_epoch_end=lambda e, row: seen.append(e), on_train_end=ends.append)],
    )
    assert seen == [1, 2] and len(ends) == 1
    with pytest.raises(ConfigError, match="LambdaCallback"):
        train(digits, epochs=1, callbacks=[print])


def test_loss_limit_raises_after_the_bad_epoch_and_runs_no_epoch_after_it(digits):
    seen = []
    with pytest.raises(DivergenceError, match="epoch 1 is above max_loss=0.5") as err:
        train(digits, callbacks=[LambdaCallback(on_epoch_end=lambda e, row: seen.append(e)), LossLimit(0.5)])
    assert err.value.epoch == 1 and seen == [1]


def test_csv_logger_holds_the_history(digits, tmp_path):
    r = train(digits, epochs=4, callbacks=[CSVLogger(tmp_path / "log.csv")])
    with open(tmp_path / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3, 4]
    assert [float(row["test_acc"]) for row in rows] == r.history["test_acc"]


def test_progress_lines_on_stderr_when_not_a_terminal_and_verbose_0_is_silent(digits, capsys):
    fit(SoftmaxRegression(10), digits, optimizer=optax.sgd(0.1), epochs=3, batch_size=256)
    out = capsys.readouterr()
    lines = out.err.splitlines()
    assert out.out == "" and lines[0] == "fit: 3 epochs, compiling…"
    assert [line.split()[1] for line in lines[1:]] == ["1/3", "2/3", "3/3"] and "train_loss" in lines[-1]
    fit(SoftmaxRegression(10), digits, optimizer=optax.sgd(0.1), epochs=2, batch_size=256, verbose=0)
    assert capsys.readouterr() == ("", "")


def test_a_callback_that_raises_closes_the_progress_bar(digits, tmp_path):
    class Terminal:
        def __init__(self):
            self.text = []

        def write(self, s):
            self.text.append(s)

        def flush(self):
            pass

        def isatty(self):
            return True

    bar = ProgressBar(file=Terminal())

    def boom(epoch, row):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        train(digits, epochs=2, callbacks=[bar, LambdaCallback(on_epoch_end=boom)])
    assert bar._bar is None


def with_val(ds, n_val=300):
    """``ds`` with its first ``n_val`` training examples as validation data (``data.val``)."""
    X, y = ds.train
    return dataclasses.replace(ds, train=(X[n_val:], y[n_val:]), val=(X[:n_val], y[:n_val]))


def test_validation_data_adds_val_metrics_that_match_a_direct_evaluation(digits):
    ds = with_val(digits)
    r = fit(SoftmaxRegression(10), ds, optimizer=optax.sgd(0.1), epochs=2, batch_size=128, verbose=0)
    assert len(r.history["val_loss"]) == len(r.history["val_acc"]) == 2
    X, y = ds.val
    logits = r.state.apply_fn({"params": r.state.params}, X, train=False)
    acc = float(jnp.mean(jnp.argmax(logits, -1) == y))
    assert abs(r.history["val_acc"][-1] - acc) < 1e-6


def test_validation_split_is_fit_on_jaxdl_data_split(digits):
    kwargs = dict(optimizer=optax.sgd(0.1), epochs=2, batch_size=128, verbose=0)
    a = fit(SoftmaxRegression(10), digits, validation_split=0.2, seed=3, **kwargs)
    b = fit(SoftmaxRegression(10), data.split(digits, val=0.2, seed=3), seed=3, **kwargs)
    assert without_time(a.history) == without_time(b.history)
    assert "val_acc" in a.history
