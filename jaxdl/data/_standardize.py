"""Standardize a dataset with statistics of its training split only.

A :class:`Standardizer` is fitted on the TRAINING split and then applied to both splits, so
no test statistic leaks into training. The result keeps the standardizers, so predictions
can be mapped back to the original units.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from jaxdl._checks import fail
from jaxdl.data._dataset import Dataset
from jaxdl.data._standardizer import Standardizer


def standardize(data: Dataset, *, targets: bool = False) -> Dataset:
    """Standardize the features (and, with ``targets``, the regression targets) of ``data``.

    The statistics come from ``data.train`` only and are kept on the result as
    ``standardizer`` and ``target_standardizer``; training then reports MSE in the
    original target units (see :func:`jaxdl.train.fit`).

    Args:
      data: a Dataset whose features are not standardized yet.
      targets: also standardize y; only for regression data with one target column (N, 1).

    >>> from jaxdl.data import load_diabetes_raw
    >>> ds = standardize(load_diabetes_raw(), targets=True)
    >>> round(float(ds.train[0].mean()), 4), ds.target_standardizer.mean.shape
    (0.0, (1,))
    """
    if data.standardizer is not None:
        raise fail(
            "standardize", "data", data, "a dataset not yet standardized (standardize it once)", got=repr(data.name)
        )
    if targets and data.num_classes is not None:
        raise fail(
            "standardize",
            "targets",
            targets,
            f"False for dataset {data.name!r} with {data.num_classes} classes (only regression targets can be)",
        )
    if targets and data.train[1].shape[1:] != (1,):
        raise fail(
            "standardize",
            "targets",
            targets,
            f"False for targets of shape {tuple(data.train[1].shape)} (it needs one target column (N, 1))",
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
