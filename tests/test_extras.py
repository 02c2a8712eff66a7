"""The optional extras (pyproject.toml): without one, what needs it says in one line which extra to install,
and what does not need it works. A module set to None in ``sys.modules`` is one that is not installed."""

import sys

import numpy as np
import pytest

from jaxdl import data
from jaxdl.callbacks import TensorBoard
from jaxdl.errors import ConfigError


def test_without_tensorboardx_the_callback_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ConfigError) as err:
        TensorBoard(tmp_path / "tb")
    assert str(err.value) == (
        'TensorBoard needs tensorboardX (no TensorFlow needed): pip install "jaxdl-course[tensorboard]".'
    )


def test_without_tfds_the_idx_files_load(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (6, 28, 28)),
        "train_labels": rng.integers(0, 10, 6),
        "test_images": rng.integers(0, 256, (4, 28, 28)),
        "test_labels": rng.integers(0, 10, 4),
    }
    for key, stem in data.IDX_FILES.items():
        data.write_idx(str(tmp_path / stem), arrays[key])
    ds = data.load("mnist", data_dir=str(tmp_path))
    np.testing.assert_array_equal(np.asarray(ds.train[1]), arrays["train_labels"])
    np.testing.assert_allclose(np.asarray(ds.test[0])[..., 0], arrays["test_images"] / 255.0, rtol=1e-6)


def test_without_tfds_a_tfds_copy_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    (tmp_path / "fashion_mnist" / "3.0.1").mkdir(parents=True)
    (tmp_path / "fashion_mnist" / "3.0.1" / "dataset_info.json").write_text("{}")
    with pytest.raises(ConfigError) as err:
        data.load("fashion_mnist", data_dir=str(tmp_path))
    assert str(err.value) == (
        f"fashion_mnist: {tmp_path} holds a TFDS copy, which needs tensorflow-datasets: "
        'pip install "jaxdl-course[tfds]".'
    )
