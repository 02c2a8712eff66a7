"""data.split (stratified validation part) and the embedded datasets, index for index against scikit-learn."""

import dataclasses

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from jaxdl import data
from jaxdl.errors import ConfigError


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def test_digits_equal_scikit_learns_load_digits_and_the_stratified_split():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = (bunch.images / 16.0).astype(np.float32)[..., None]
    want = train_test_split(X, bunch.target, test_size=0.2, stratify=bunch.target, random_state=0)
    ds = data.digits()
    for got, ref in zip((ds.train[0], ds.test[0], ds.train[1], ds.test[1]), want, strict=True):
        np.testing.assert_array_equal(np.asarray(got), ref)


def test_diabetes_equals_scikit_learns_file_and_split():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, scaled=False)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=42)
    ds = data.load_diabetes_raw()
    np.testing.assert_array_equal(np.asarray(ds.train[0]), Xtr.astype(np.float32))
    np.testing.assert_array_equal(np.asarray(ds.test[1]), yte.astype(np.float32)[:, None])


def test_digits_load_without_importing_scikit_learn(tmp_path):
    import subprocess
    import sys

    code = "import sys; from jaxdl import data; data.load('digits'); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("val,seed", [(0.1, 0), (0.25, 3), (0.5, 7)])
def test_split_equals_scikit_learns_stratified_split(digits, val, seed):
    X, y = np.asarray(digits.train[0]), np.asarray(digits.train[1])
    Xtr, Xval, ytr, yval = train_test_split(X, y, test_size=val, stratify=y, random_state=seed)
    parts = data.split(digits, val=val, seed=seed)
    np.testing.assert_array_equal(np.asarray(parts.train[0]), Xtr)
    np.testing.assert_array_equal(np.asarray(parts.val[1]), yval)
    np.testing.assert_array_equal(np.asarray(parts.val[0]), Xval)


def test_split_keeps_test_names_standardizers_and_class_shares(digits):
    parts = data.split(digits, val=0.2)
    assert parts.test is digits.test and parts.class_names == digits.class_names
    assert len(parts.train[0]) + len(parts.val[0]) == len(digits.train[0])
    shares = np.bincount(np.asarray(parts.val[1]), minlength=10) / len(parts.val[1])
    full = np.bincount(np.asarray(digits.train[1]), minlength=10) / len(digits.train[1])
    assert np.max(np.abs(shares - full)) < 0.01
    diabetes = data.split(data.load("diabetes"), val=0.1, seed=1)
    assert diabetes.target_standardizer is not None and diabetes.val[1].shape == (36, 1)


def test_from_arrays_datasets_have_no_val_part():
    ds = data.from_arrays(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [1, 0])
    assert ds.val is None
    assert dataclasses.replace(ds, val=ds.test).val is ds.test


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"val": 0.0}, r"split: val must be a number in \(0, 1\), got 0.0"),
        ({"val": 1}, r"val must be a number in \(0, 1\)"),
        ({"val": "0.1"}, "val must be a number"),
        ({"val": 0.1, "seed": 1.5}, "seed must be an integer >= 0, got 1.5"),
        ({"val": 0.1, "seed": 2**70}, r"seed must be an integer in \[0, 2\*\*63 - 1\]"),
    ],
)
def test_split_arguments_are_one_line(digits, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        data.split(digits, **kwargs)


def test_large_seeds_split_too(digits):
    a, b = data.split(digits, val=0.1, seed=2**40), data.split(digits, val=0.1, seed=2**40 + 1)
    assert a.val[0].shape == b.val[0].shape and not np.array_equal(np.asarray(a.val[1]), np.asarray(b.val[1]))


def test_split_refuses_arrays_and_a_second_split(digits):
    with pytest.raises(ConfigError, match=r"split: ds must be a jaxdl.data.Dataset .*, got tuple"):
        data.split(digits.train, val=0.1)
    with pytest.raises(ConfigError, match="split: ds must be a Dataset without a val part"):
        data.split(data.split(digits, val=0.1), val=0.1)
    tiny = data.from_arrays(np.zeros((2, 1)), [0, 1], np.zeros((1, 1)), [0])
    with pytest.raises(ConfigError, match="split: val must be a fraction that leaves both parts"):
        data.split(tiny, val=0.9)
