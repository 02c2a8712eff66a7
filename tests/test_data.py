"""Datasets: digits for real, IDX files written by the test, TFDS under mock_data, user arrays."""

import gzip
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxdl import data
from jaxdl.errors import ConfigError


def test_digits_is_a_fixed_stratified_split_of_float_images():
    ds = data.load("digits")
    (X, y), (Xt, yt) = ds.train, ds.test
    assert X.shape == (1437, 8, 8, 1) and Xt.shape == (360, 8, 8, 1)
    assert X.dtype == np.float32 and y.dtype == np.int32
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    assert ds.num_classes == 10 and ds.class_names[3] == "3"
    train_share = np.bincount(np.asarray(y), minlength=10) / len(y)
    test_share = np.bincount(np.asarray(yt), minlength=10) / len(yt)
    np.testing.assert_allclose(train_share, test_share, atol=0.01)
    np.testing.assert_array_equal(data.load("digits").test[1], yt)


def test_synthetic_regression_follows_d2l():
    ds = data.load("synthetic_regression", seed=3)
    X, y = ds.train
    assert X.shape == (1000, 2) and y.shape == (1000, 1) and ds.test[0].shape == (1000, 2)
    residual = np.asarray(y)[:, 0] - np.asarray(X) @ np.array([2.0, -3.4]) - 4.2
    assert abs(residual.std() - 0.01) < 0.002
    assert not np.array_equal(np.asarray(data.load("synthetic_regression", seed=4).train[0]), np.asarray(X))


def write_idx_set(folder, n_train=6, n_test=4, gz=True):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28)),
        "train_labels": rng.integers(0, 10, n_train),
        "test_images": rng.integers(0, 256, (n_test, 28, 28)),
        "test_labels": rng.integers(0, 10, n_test),
    }
    for key, stem in data.IDX_FILES.items():
        data.write_idx(os.path.join(folder, stem + (".gz" if gz else "")), arrays[key])
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_torchvision_raw_layout(tmp_path, gz):
    arrays = write_idx_set(tmp_path / "FashionMNIST" / "raw", gz=gz)
    ds = data.load("fashion_mnist", data_dir=str(tmp_path))
    X, y = ds.train
    assert X.shape == (6, 28, 28, 1) and ds.test[0].shape == (4, 28, 28, 1)
    np.testing.assert_allclose(np.asarray(X)[..., 0], arrays["train_images"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(y), arrays["train_labels"])
    assert ds.class_names[0] == "t-shirt" and ds.class_names[9] == "ankle boot"


def test_mnist_idx_files_directly_in_data_dir(tmp_path):
    arrays = write_idx_set(tmp_path)
    ds = data.load("mnist", data_dir=str(tmp_path))
    np.testing.assert_array_equal(np.asarray(ds.test[1]), arrays["test_labels"])


def test_missing_fashion_mnist_lists_files_and_folders(tmp_path):
    with pytest.raises(ConfigError) as err:
        data.load("fashion_mnist", data_dir=str(tmp_path))
    message = str(err.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in message
    for stem in data.IDX_FILES.values():
        assert stem + ".gz" in message
    assert "torchvision" in message


def test_truncated_idx_file_is_a_clear_error(tmp_path):
    write_idx_set(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ConfigError, match="truncated"):
        data.load("mnist", data_dir=str(tmp_path))


def test_fashion_mnist_through_tfds_mock_data(tmp_path):
    with tfds.testing.mock_data(num_examples=12):
        ds = data.load("fashion_mnist", data_dir=str(tmp_path))
    X, y = ds.train
    assert X.shape == (12, 28, 28, 1) and X.dtype == np.float32
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
    assert y.dtype == np.int32 and 0 <= int(y.min()) and int(y.max()) < 10
    assert not os.listdir(tmp_path)


def test_from_arrays_infers_classes_and_validates():
    ds = data.from_arrays(np.zeros((4, 3)), [0, 2, 1, 2], np.zeros((2, 3)), [1, 0])
    assert ds.num_classes == 3 and ds.input_shape == (3,)
    with pytest.raises(ConfigError, match="different lengths"):
        data.from_arrays(np.zeros((4, 3)), [0, 1], np.zeros((2, 3)), [1, 0])
    with pytest.raises(ConfigError, match="NaN/inf"):
        data.from_arrays(np.full((2, 3), np.nan), [0, 1], np.zeros((2, 3)), [1, 0])
    with pytest.raises(ConfigError, match="num_classes=2"):
        data.from_arrays(np.zeros((2, 3)), [0, 5], np.zeros((2, 3)), [1, 0], num_classes=2)
    with pytest.raises(ConfigError, match="non-integer"):
        data.from_arrays(np.zeros((2, 3)), [0.5, 1], np.zeros((2, 3)), [1, 0], num_classes=2)
    with pytest.raises(ConfigError, match="empty"):
        data.from_arrays(np.zeros((0, 3)), [], np.zeros((2, 3)), [1, 0], num_classes=2)


def test_from_arrays_checks_num_classes_and_class_names():
    with pytest.raises(ConfigError, match="from_arrays: num_classes must be an integer >= 1, got 0"):
        data.from_arrays(np.zeros((2, 3)), [0, 0], np.zeros((2, 3)), [0, 0], num_classes=0)
    with pytest.raises(ConfigError, match="from_arrays: class_names must be 2 names, one per class, got 3 names"):
        data.from_arrays(np.zeros((2, 3)), [0, 1], np.zeros((2, 3)), [1, 0], class_names=("a", "b", "c"))


def test_load_accepts_any_case_and_dashes():
    assert data.load("Synthetic-Regression", seed=1).name == "synthetic_regression"


def test_import_does_not_load_pandas_sklearn_or_tfds():
    code = (
        "import sys, jaxdl.data; "
        "print(sorted(m for m in ('pandas', 'sklearn', 'tensorflow_datasets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unknown_dataset_suggests_a_name():
    with pytest.raises(ConfigError, match="did you mean 'digits'"):
        data.load("digist")


def test_idx_round_trip_reads_gzip_bytes(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    data.write_idx(str(tmp_path / "a.gz"), array)
    with gzip.open(tmp_path / "a.gz", "rb") as f:
        assert f.read(4) == bytes([0, 0, 8, 3])
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / "a.gz")), array)
