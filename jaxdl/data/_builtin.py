"""The datasets that need no files: scikit-learn's digits and diabetes, and d2l's synthetic regression."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl.data._dataset import Dataset, from_arrays
from jaxdl.data._standardize import standardize

DIGIT_CLASSES = tuple(str(i) for i in range(10))


def digits() -> Dataset:
    """scikit-learn's 8x8 digits: 1437 train / 360 test, a fixed stratified 80/20 split.

    Images (N, 8, 8, 1) scaled from 0..16 to [0, 1]; labels (N,) int32 in 0..9.

    >>> digits().test[0].shape
    (360, 8, 8, 1)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    X = (bunch.images / 16.0).astype(np.float32)[..., None]
    Xtr, Xte, ytr, yte = train_test_split(
        X, bunch.target, test_size=0.2, stratify=bunch.target, random_state=0
    )
    return from_arrays(Xtr, ytr, Xte, yte, num_classes=10, class_names=DIGIT_CLASSES, name="digits")


def synthetic_regression(
    w: Sequence[float] = (2.0, -3.4), b: float = 4.2, *, noise: float = 0.01,
    num_train: int = 1000, num_val: int = 1000, key: jax.Array,
) -> Dataset:
    """d2l's ``SyntheticRegressionData``: y = X w + b + noise * eps, X ~ N(0, 1).

    Returns X (n, len(w)) float32 and y (n, 1) float32 for train and test.

    >>> synthetic_regression(num_train=8, num_val=4, key=jax.random.key(0)).test[1].shape
    (4, 1)
    """
    w = jnp.asarray(w, jnp.float32)
    kx, kn = jax.random.split(key)
    n = num_train + num_val
    X = jax.random.normal(kx, (n, w.shape[0]))
    y = (X @ w + b + noise * jax.random.normal(kn, (n,)))[:, None]
    return Dataset(
        train=(X[:num_train], y[:num_train]), test=(X[num_train:], y[num_train:]),
        name="synthetic_regression",
    )


def load_diabetes_raw() -> Dataset:
    """scikit-learn's diabetes set in its original units, split 80/20 (353 / 89 rows).

    X (N, 10) float32: age, sex, bmi, bp and six blood serum measurements, unscaled;
    y (N, 1) float32: disease progression one year after baseline (25 … 346).
    The split is ``train_test_split(test_size=0.2, random_state=42)``.

    >>> float(load_diabetes_raw().train[1].max())
    346.0
    """
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    X, y = load_diabetes(return_X_y=True, scaled=False)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=42)
    return from_arrays(Xtr, ytr, Xte, yte, regression=True, name="diabetes")


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
