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
    result = fit(MLP(hidden=(16,), batch_norm=True), data.load("digits"), optimizer=optax.adam(1e-3),
                 epochs=2, batch_size=128)
    return result.state


def leaves(state):
    return [np.asarray(jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x)
            for x in jax.tree.leaves(state)]


def fresh(hidden=(16,)):
    return create_train_state(MLP(hidden=hidden, batch_norm=True), optax.adam(1e-3), np.zeros((1, 8, 8, 1)),
                              key=jax.random.key(99))


def test_round_trip_is_exact(trained, tmp_path):
    path = tmp_path / "ckpt"
    checkpoint.save(path, trained)
    restored = checkpoint.restore(path, like=fresh())
    assert int(restored.step) == int(trained.step) > 0
    for a, b in zip(leaves(restored), leaves(trained)):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["ckpt"]


def test_corrupt_checkpoint_is_a_clear_error(trained, tmp_path):
    path = tmp_path / "ckpt"
    checkpoint.save(path, trained)
    path.write_bytes(path.read_bytes()[: 200])
    with pytest.raises(ConfigError, match="corrupt or truncated"):
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
