"""jaxdl.callbacks.TensorBoard: event files written without TensorFlow and read back record by record."""

import struct
from pathlib import Path

import optax
import pytest
from tensorboardX.proto import event_pb2

from jaxdl import data, models
from jaxdl.callbacks import TensorBoard
from jaxdl.errors import ConfigError
from jaxdl.train import fit, fit_many


def read_scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value)] from the TFRecord event files in ``folder`` (not its sub-folders)."""
    scalars: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(folder.glob("events.out.tfevents*")):
        raw = path.read_bytes()
        offset = 0
        while offset < len(raw):
            (length,) = struct.unpack("<Q", raw[offset : offset + 8])
            event = event_pb2.Event.FromString(raw[offset + 12 : offset + 12 + length])
            offset += 12 + length + 4  # length, its crc, data, data crc
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars


def test_fit_writes_one_scalar_per_epoch_and_metric(tmp_path):
    ds = data.load("digits")
    result = fit(
        models.SoftmaxRegression(10),
        ds,
        optimizer=optax.sgd(0.5),
        epochs=3,
        batch_size=256,
        callbacks=[TensorBoard(tmp_path / "tb")],
    )
    scalars = read_scalars(tmp_path / "tb")
    assert [step for step, _ in scalars["loss/train"]] == [1, 2, 3]
    assert [v for _, v in scalars["acc/test"]] == pytest.approx(result.history["test_acc"], rel=1e-6)


def test_a_second_run_into_the_same_folder_is_refused_before_training(tmp_path):
    ds = data.load("digits")
    callback = TensorBoard(tmp_path)
    fit(models.SoftmaxRegression(10), ds, optimizer=optax.sgd(0.5), epochs=1, batch_size=256, callbacks=[callback])
    with pytest.raises(ConfigError, match="one run per folder"):
        fit(
            models.SoftmaxRegression(10),
            ds,
            optimizer=optax.sgd(0.5),
            epochs=1,
            batch_size=256,
            callbacks=[TensorBoard(tmp_path)],
        )
    fit(
        models.SoftmaxRegression(10),
        ds,
        optimizer=optax.sgd(0.5),
        epochs=2,
        batch_size=256,
        callbacks=[TensorBoard(tmp_path, overwrite=True)],
    )
    assert len(read_scalars(tmp_path)["loss/train"]) == 2  # the old run's events are gone


def test_fit_many_writes_one_folder_per_run_named_by_its_hyperparameters(tmp_path):
    ds = data.load("digits")
    result = fit_many(
        models.SoftmaxRegression(10),
        ds,
        optimizer=optax.sgd,
        hparams={"learning_rate": [0.1, 0.5]},
        epochs=2,
        batch_size=256,
        seeds=[0],
    )
    callback = TensorBoard(tmp_path)
    callback.on_train_begin(None)
    callback.on_train_end(result)
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert folders == ["learning_rate=0.1,seed=0", "learning_rate=0.5,seed=0"]
    scalars = read_scalars(tmp_path / "learning_rate=0.5,seed=0")
    assert [v for _, v in scalars["loss/test"]] == pytest.approx(list(result.history["test_loss"][1]), rel=1e-6)
