"""Checkpoints: exact round trip, atomic writes, clear errors for bad files."""

import os

import jax
import numpy as np
import optax
import pytest

from jaxdl import checkpoint, data
from jaxdl.errors import ConfigError
from jaxdl.models import MLP
from jaxdl.train import create_train_state, fit


@pytest.fixture(scope="module")
def trained():
    result = fit(
        MLP(hidden=(16,), batch_norm=True), data.load("digits"), optimizer=optax.adam(1e-3), epochs=2, batch_size=128
    )
    return result.state


def leaves(state):
    return [
        np.asarray(jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x)
        for x in jax.tree.leaves(state)
    ]


def fresh(hidden=(16,)):
    return create_train_state(
        MLP(hidden=hidden, batch_norm=True), optax.adam(1e-3), np.zeros((1, 8, 8, 1)), key=jax.random.key(99)
    )


def test_round_trip_is_exact(trained, tmp_path):
    path = tmp_path / "ckpt"
    checkpoint.save(path, trained)
    restored = checkpoint.restore(path, like=fresh())
    assert int(restored.step) == int(trained.step) > 0
    for a, b in zip(leaves(restored), leaves(trained), strict=True):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["ckpt"]


def test_corrupt_checkpoint_is_a_clear_error(trained, tmp_path):
    path = tmp_path / "ckpt"
    checkpoint.save(path, trained)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ConfigError, match="is truncated"):
        checkpoint.restore(path, like=fresh())


def test_checkpoint_from_another_model_shape_is_a_clear_error(trained, tmp_path):
    path = tmp_path / "ckpt"
    checkpoint.save(path, trained)
    with pytest.raises(ConfigError, match="different model shape"):
        checkpoint.restore(path, like=fresh(hidden=(32,)))


def test_missing_checkpoint_and_missing_folder(trained, tmp_path):
    with pytest.raises(ConfigError, match="no checkpoint"):
        checkpoint.restore(tmp_path / "nope", like=fresh())
    with pytest.raises(ConfigError, match="does not exist"):
        checkpoint.save(tmp_path / "no" / "ckpt", trained)


@pytest.mark.parametrize("where", ["header", "middle", "end"])
def test_a_flipped_byte_anywhere_is_one_line(trained, tmp_path, where):
    path = tmp_path / "ckpt"
    checkpoint.save(path, trained)
    raw = bytearray(path.read_bytes())
    raw[{"header": 12, "middle": len(raw) // 2, "end": len(raw) - 1}[where]] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(ConfigError) as err:
        checkpoint.restore(path, like=fresh())
    assert "\n" not in str(err.value) and "ckpt" in str(err.value)


@pytest.mark.parametrize("keep", [0, 5, 20, -1])
def test_truncation_is_one_line_for_runs_too(trained, tmp_path, keep):
    path = tmp_path / "ckpt"
    checkpoint.save_run(path, trained, config={"lr": 0.1}, history={"loss": [1.0]})
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(ConfigError, match="truncated|not a jaxdl checkpoint"):
        checkpoint.load_run(path)


@pytest.mark.parametrize("content", [b"", b"<html><body>404</body></html>", b"\x89PNG\r\n\x1a\n" + bytes(40)])
def test_foreign_file_is_not_a_checkpoint(tmp_path, content):
    path = tmp_path / "ckpt"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="not a jaxdl checkpoint"):
        checkpoint.restore(path, like={"w": np.zeros(2)})


def test_old_format_is_named_and_can_be_upgraded(tmp_path):
    from flax import serialization

    path = tmp_path / "ckpt"
    path.write_bytes(serialization.to_bytes({"w": np.ones(2)}))
    with pytest.raises(ConfigError, match="old format 1"):
        checkpoint.restore(path, like={"w": np.zeros(2)})
    checkpoint.upgrade(path)
    assert checkpoint.restore(path, like={"w": np.zeros(2)})["w"].tolist() == [1.0, 1.0]


def test_save_onto_a_folder_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="is a folder"):
        checkpoint.save(tmp_path, {"w": np.ones(2)})
    with pytest.raises(ConfigError, match="is a folder"):
        checkpoint.restore(tmp_path, like={"w": np.ones(2)})


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt"
    checkpoint.save(path, {"w": np.ones(2)})
    good = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ConfigError, match="No space left on device"):
        checkpoint.save(path, {"w": np.zeros(2)})
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["ckpt"]


def test_like_with_another_optimizer_says_so(trained, tmp_path):
    path = tmp_path / "ckpt"
    checkpoint.save(path, trained)
    sgd = create_train_state(
        MLP(hidden=(16,), batch_norm=True), optax.sgd(0.1, momentum=0.9), np.zeros((1, 8, 8, 1)), key=jax.random.key(0)
    )
    with pytest.raises(ConfigError, match="different optimizer"):
        checkpoint.restore(path, like=sgd)


def test_load_model_of_a_cli_run_predicts_like_the_state(tmp_path):
    from jaxdl.models import build_model

    ds = data.load("digits")
    model = build_model("mlp", ds, hidden=(16,), batch_norm=True)
    result = (
        fit(model, ds, optimizer=optax.adam(1e-3), epochs=2, batch_size=128, verbose=0)
        if "progress" in fit.__code__.co_varnames
        else fit(model, ds, optimizer=optax.adam(1e-3), epochs=2, batch_size=128)
    )
    config = {
        "model": "mlp",
        "dataset": "digits",
        "hidden": [16],
        "dropout": 0.0,
        "batch_norm": True,
        "activation": "relu",
    }
    checkpoint.save_run(tmp_path / "checkpoint", result.state, config=config, history=result.history)
    loaded = checkpoint.load_model(tmp_path)
    assert loaded.class_names == data.DIGIT_CLASSES and loaded.input_shape == (8, 8, 1)
    X = ds.test[0][:20]
    want = model.apply({"params": result.state.params, "batch_stats": result.state.batch_stats}, X, train=False)
    got = loaded.model.apply(loaded.variables, X, train=False)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    model2, variables = checkpoint.load_model(tmp_path / "checkpoint")
    assert model2 == model and set(variables) == {"params", "batch_stats"}
    with pytest.raises(ConfigError, match="no checkpoint file"):
        checkpoint.load_model(tmp_path / "nothing")
