"""The datasets that need no files: scikit-learn's digits and diabetes, and d2l's synthetic regression."""

from __future__ import annotations

import gzip
import importlib.util
import math
import os
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxdl.data._dataset import Dataset, from_arrays
from jaxdl.data._split import split_indices
from jaxdl.data._standardize import standardize
from jaxdl.errors import ConfigError

DIGIT_CLASSES = tuple(str(i) for i in range(10))


def _sklearn_data_file(name: str) -> str:
    """The path of a data file scikit-learn ships (``sklearn/datasets/data/<name>``), found without importing it."""
    spec = importlib.util.find_spec("sklearn")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = os.path.join(folder, "datasets", "data", name)
        if os.path.isfile(path):
            return path
    raise ConfigError(
        f"the embedded dataset needs scikit-learn's data file datasets/data/{name}: pip install scikit-learn."
    )


def _read_csv_gz(path: str, delimiter: str | None) -> np.ndarray:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return np.loadtxt(f, delimiter=delimiter)


def digits() -> Dataset:
    """scikit-learn's 8x8 digits: 1437 train / 360 test, a fixed stratified 80/20 split.

    Images (N, 8, 8, 1) scaled from 0..16 to [0, 1]; labels (N,) int32 in 0..9. The data is
    read from the file scikit-learn ships (without importing scikit-learn, which takes a
    second), split as ``train_test_split(test_size=0.2, stratify=y, random_state=0)`` does.

    >>> digits().test[0].shape
    (360, 8, 8, 1)
    """
    table = _read_csv_gz(_sklearn_data_file("digits.csv.gz"), ",")
    X = (table[:, :-1].reshape(-1, 8, 8) / 16.0).astype(np.float32)[..., None]
    y = table[:, -1].astype(int)
    train, test = split_indices(y, len(y), math.ceil(0.2 * len(y)), seed=0)
    return from_arrays(X[train], y[train], X[test], y[test], num_classes=10, class_names=DIGIT_CLASSES, name="digits")


def synthetic_regression(
    w: ArrayLike | Sequence[float] = (2.0, -3.4),
    b: ArrayLike = 4.2,
    *,
    noise: ArrayLike = 0.01,
    num_train: int = 1000,
    num_val: int = 1000,
    key: jax.Array,
) -> Dataset:
    """d2l's ``SyntheticRegressionData``: y = X w + b + noise * eps, X ~ N(0, 1).

    Returns X (n, len(w)) float32 and y (n, 1) float32 for train and test.

    >>> synthetic_regression(num_train=8, num_val=4, key=jax.random.key(0)).test[1].shape
    (4, 1)
    """
    weights = jnp.asarray(w, jnp.float32)
    kx, kn = jax.random.split(key)
    n = num_train + num_val
    X = jax.random.normal(kx, (n, weights.shape[0]))
    y = (X @ weights + b + noise * jax.random.normal(kn, (n,)))[:, None]
    return Dataset(
        train=(X[:num_train], y[:num_train]),
        test=(X[num_train:], y[num_train:]),
        name="synthetic_regression",
    )


def load_diabetes_raw() -> Dataset:
    """scikit-learn's diabetes set in its original units, split 80/20 (353 / 89 rows).

    X (N, 10) float32: age, sex, bmi, bp and six blood serum measurements, unscaled;
    y (N, 1) float32: disease progression one year after baseline (25 … 346).
    Read from the files scikit-learn ships (without importing it) and split as
    ``train_test_split(test_size=0.2, random_state=42)`` does.

    >>> float(load_diabetes_raw().train[1].max())
    346.0
    """
    X = _read_csv_gz(_sklearn_data_file("diabetes_data_raw.csv.gz"), None)
    y = _read_csv_gz(_sklearn_data_file("diabetes_target.csv.gz"), None)
    train, test = split_indices(None, len(y), math.ceil(0.2 * len(y)), seed=42)
    return from_arrays(X[train], y[train], X[test], y[test], regression=True, name="diabetes")


def diabetes() -> Dataset:
    """The diabetes regression set, features AND targets standardized with train statistics.

    Targets are standardized because the course recipe (Adam, lr 1e-3, 500 epochs of a
    10-unit MLP) cannot move an output that starts near 0 to targets of mean ~150: on raw
    targets the recipe ends with a negative test R². Metrics from :func:`jaxdl.train.fit`
    are reported in the original units all the same. ``ds.standardizer.mean`` is the raw
    train mean of each feature; ``ds.target_standardizer.inverse_transform`` maps
    predictions back.

    >>> ds = diabetes()
    >>> ds.train[0].shape, ds.test[1].shape
    ((353, 10), (89, 1))
    """
    return standardize(load_diabetes_raw(), targets=True)
