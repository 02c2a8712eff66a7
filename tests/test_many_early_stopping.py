"""``EarlyStopping`` under ``fit_many``: each run stops on its own, exactly where its own ``fit`` would."""

from __future__ import annotations

import csv

import jax
import numpy as np
import optax
import pytest

from jaxdl import callbacks, data, models, train
from jaxdl.errors import ConfigError
from tests.helpers import one_error_line, run_cli

RATES = (0.01, 0.3, 3.0)  # trains to the end / stops late / stops early
EPOCHS, BATCH, VAL = 30, 64, 0.2


def _rule(**kwargs) -> callbacks.EarlyStopping:
    return callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=0.01, **kwargs)


def _sweep(digits, rule, **kwargs) -> train.ManyResult:
    return train.fit_many(
        models.SoftmaxRegression(10),
        digits,
        optimizer=lambda lr: optax.sgd(lr),
        hparams={"lr": list(RATES)},
        batch_size=BATCH,
        validation_split=VAL,
        callbacks=[rule],
        verbose=0,
        **{"epochs": EPOCHS, **kwargs},
    )


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def sweep(digits):
    rule = _rule()
    return _sweep(digits, rule), rule


@pytest.fixture(scope="module")
def singles(digits):
    """One ``fit`` per rate with its own EarlyStopping: (FitResult, rule) each."""
    out = []
    for lr in RATES:
        rule = _rule()
        fitted = train.fit(
            models.SoftmaxRegression(10),
            digits,
            optimizer=optax.sgd(lr),
            epochs=EPOCHS,
            batch_size=BATCH,
            validation_split=VAL,
            callbacks=[rule],
            verbose=0,
        )
        out.append((fitted, rule))
    return out


def _params_close(a, b) -> None:
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=0, atol=1e-6)


def test_each_run_stops_and_keeps_the_best_state_as_its_own_fit(sweep, singles):
    result, rule = sweep
    stopped = [s.stopped_epoch or 0 for _, s in singles]
    assert stopped[0] == 0 and 0 < stopped[2] < stopped[1] < EPOCHS  # the three behaviours this test needs
    assert result.stopped_epoch.tolist() == stopped == rule.stopped_epoch.tolist()
    assert result.best_epoch.tolist() == [s.best_epoch for _, s in singles] == rule.best_epoch.tolist()
    assert result.restored and result.epochs.tolist() == [e or EPOCHS for e in stopped]
    for i, (fitted, _) in enumerate(singles):
        _params_close(result.run_state(i).params, fitted.state.params)
        ran = len(fitted.history["val_loss"])
        # fit's program is another than the vmapped one: as between chunks below, float32 sums may differ in their
        # last bits, and lr 3.0's large first-epoch logits grow them (6.8e-6 relative on an AVX-512 CPU)
        np.testing.assert_allclose(result.history["val_loss"][i, :ran], fitted.history["val_loss"], rtol=1e-5)
        assert np.isnan(result.history["val_loss"][i, ran:]).all()  # a stopped run's history ends at its stop


def test_ranking_and_final_scores_are_those_of_the_states_returned(sweep, singles):
    result, _ = sweep
    best_val = [f.history["val_loss"][s.best_epoch - 1] for f, s in singles]
    np.testing.assert_allclose(result.final("val_loss"), best_val, rtol=0, atol=1e-6)
    assert result.best("val_loss")["index"] == int(np.argmin(best_val))


def test_without_restoring_a_stopped_run_keeps_the_state_of_its_stopping_epoch(digits, singles):
    result = _sweep(digits, _rule(restore_best=False))
    assert not result.restored and result.stopped_epoch.tolist() == [s.stopped_epoch or 0 for _, s in singles]
    val = data.split(digits, VAL, seed=0).val
    for i in range(len(RATES)):
        loss = train.evaluate(result.run_state(i), *val, batch_size=BATCH)["loss"]
        assert float(loss) == pytest.approx(result.final("val_loss")[i], abs=1e-6)
        assert result.final("val_loss")[i] == result.history["val_loss"][i, result.epochs[i] - 1]


def test_chunks_stop_on_their_own_and_equal_one_batch_of_runs(digits, sweep):
    whole, _ = sweep
    chunked = _sweep(digits, _rule(), max_parallel=2)  # two chunks, the second padded with a copy of run 0
    assert chunked.stopped_epoch.tolist() == whole.stopped_epoch.tolist()
    assert chunked.best_epoch.tolist() == whole.best_epoch.tolist()
    # a chunk of 2 runs is another program than one of 3: float32 sums differ in their last bits (lr 3.0 grows them)
    np.testing.assert_allclose(chunked.history["val_loss"], whole.history["val_loss"], rtol=1e-5)
    for x, y in zip(jax.tree.leaves(chunked.state.params), jax.tree.leaves(whole.state.params), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


def test_training_ends_when_every_run_has_stopped(digits, sweep, full_calls):
    long = _sweep(digits, _rule(), epochs=1000)
    last = int(long.stopped_epoch.max())
    assert (long.stopped_epoch > 0).all() and len(long.epoch_time) == last < 1000
    assert long.calls <= last // 8 + 2  # several epochs per call, and none after the last run stopped
    assert long.stopped_epoch[1:].tolist() == sweep[0].stopped_epoch[1:].tolist()


def test_what_cannot_follow_each_run_is_one_clear_error(digits):
    def run(cbs, **kwargs):
        train.fit_many(
            models.SoftmaxRegression(10),
            digits,
            optimizer=lambda lr: optax.sgd(lr),
            hparams={"lr": [0.1, 0.2]},
            epochs=3,
            batch_size=BATCH,
            validation_split=VAL,
            callbacks=cbs,
            verbose=0,
            **kwargs,
        )

    with pytest.raises(ConfigError, match=r"callbacks must be at most one EarlyStopping, got 2 of them"):
        run([_rule(), _rule()])
    with pytest.raises(ConfigError, match=r"no EarlyStopping together with halving"):
        run([_rule()], halving=train.SuccessiveHalving())
    with pytest.raises(ConfigError, match=r"LossLimit"):
        run([callbacks.LossLimit(10.0)])


def test_sweep_cli_stops_each_run_and_prints_a_train_command_that_stops_too(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", "--model", "softmax", "--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--lr", "0.01,0.3,3.0"]
    args += ["--seeds", "1", "--val", str(VAL), "--early-stopping", "2", "--out", str(out)]
    assert run_cli(args) == 0
    printed = capsys.readouterr().out
    with open(out / "runs.csv", newline="") as f:
        rows = {float(row["lr"]): int(row["epochs"]) for row in csv.DictReader(f)}
    assert rows[0.01] == EPOCHS and 0 < rows[3.0] < EPOCHS  # the slow rate trains to the end, the fast one stops
    assert "--early-stopping 2" in printed
    assert run_cli([*args[:-2], "--halving", "3", "--out", str(tmp_path / "both")]) == 2
    assert "--early-stopping and --halving both stop runs early" in one_error_line(capsys)
    assert not (tmp_path / "both").exists()
