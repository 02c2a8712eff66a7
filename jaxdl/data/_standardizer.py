"""The train-statistics scaling of a feature array: ``StandardScaler`` as a value."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpy.typing as npt
from jax.typing import ArrayLike

from jaxdl.errors import ConfigError


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
    def fit(cls, X: npt.ArrayLike) -> Standardizer:
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

    def transform(self, X: ArrayLike) -> jax.Array:
        """``(X - mean) / std`` for X (N, ...) with the fitted trailing shape.

        >>> float(Standardizer.fit(np.array([[1.0], [3.0]])).transform(jnp.array([[3.0]]))[0, 0])
        1.0
        """
        return (jnp.asarray(X, jnp.float32) - self.mean) / self.std

    def inverse_transform(self, Z: ArrayLike) -> jax.Array:
        """``Z * std + mean``: back to the original units.

        >>> float(Standardizer.fit(np.array([[1.0], [3.0]])).inverse_transform(jnp.array([[1.0]]))[0, 0])
        3.0
        """
        return jnp.asarray(Z, jnp.float32) * self.std + self.mean
