"""Tabular data: standardization with training statistics, and the diabetes regression set.

A :class:`Standardizer` is ``sklearn.preprocessing.StandardScaler`` as a value: it is fitted
on the TRAINING split only and then applied to both splits, so no test statistic leaks
into training. :func:`standardize` returns a new :class:`~jaxdl.data.Dataset` that keeps
the standardizers, so predictions can be mapped back to the original units.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl.data import Dataset, from_arrays
from jaxdl.errors import ConfigError

DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
DIABETES_SPLIT_SEED = 42


class Standardizer(NamedTuple):
    """Per-feature ``(x - mean) / std`` with statistics of the training split.

    Attributes:
      mean: (...) float32, the mean over the examples of the fitted array.
      std: (...) float32, the population standard deviation (ddof=0, as StandardScaler);
        features that are constant in the fitted array get std 1 so they map to 0.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X) -> Standardizer:
        """Statistics of ``X`` (N, ...) over the example axis.

        >>> Standardizer.fit(np.array([[1.0], [3.0]])).std.tolist()
        [1.0]
        """
        X = np.asarray(X, np.float64)
        if X.ndim < 1 or len(X) == 0:
            raise ConfigError(f"cannot fit a Standardizer on an empty array of shape {X.shape}.")
        std = X.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return cls(mean=X.mean(axis=0).astype(np.float32), std=std.astype(np.float32))

    def transform(self, X: jax.Array) -> jax.Array:
        """``(X - mean) / std`` for X (N, ...) with the fitted trailing shape.

        >>> float(Standardizer.fit(np.array([[1.0], [3.0]])).transform(jnp.array([[3.0]]))[0, 0])
        1.0
        """
        return (jnp.asarray(X, jnp.float32) - self.mean) / self.std

    def inverse_transform(self, Z: jax.Array) -> jax.Array:
        """``Z * std + mean``: back to the original units.

        >>> float(Standardizer.fit(np.array([[1.0], [3.0]])).inverse_transform(jnp.array([[1.0]]))[0, 0])
        3.0
        """
        return jnp.asarray(Z, jnp.float32) * self.std + self.mean


def standardize(data: Dataset, *, targets: bool = False) -> Dataset:
    """Standardize the features (and, with ``targets``, the regression targets) of ``data``.

    The statistics come from ``data.train`` only and are kept on the result as
    ``standardizer`` and ``target_standardizer``; training then reports MSE in the
    original target units (see :func:`jaxdl.train.fit`).

    Args:
      data: a Dataset whose features are not standardized yet.
      targets: also standardize y; only for regression data with one target column.

    >>> ds = standardize(load_diabetes_raw(), targets=True)
    >>> round(float(ds.train[0].mean()), 4), ds.target_standardizer.mean.shape
    (0.0, (1,))
    """
    if data.standardizer is not None:
        raise ConfigError(f"dataset {data.name!r} is already standardized: standardize it once.")
    if targets and data.num_classes is not None:
        raise ConfigError(
            f"targets=True but dataset {data.name!r} has {data.num_classes} classes: "
            "only regression targets can be standardized."
        )
    if targets and data.train[1].shape[1:] != (1,):
        raise ConfigError(
            f"targets=True needs one target column (N, 1); dataset {data.name!r} has targets "
            f"of shape {tuple(data.train[1].shape)}."
        )
    (X, y), (X_test, y_test) = data.train, data.test
    features = Standardizer.fit(X)
    target = Standardizer.fit(y) if targets else None
    scale_y = target.transform if target is not None else jnp.asarray
    return dataclasses.replace(
        data,
        train=(features.transform(X), scale_y(y)),
        test=(features.transform(X_test), scale_y(y_test)),
        standardizer=features,
        target_standardizer=target,
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
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=DIABETES_SPLIT_SEED)
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
