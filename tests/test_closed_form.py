"""normal_equations against numpy.linalg.lstsq on [X, 1]."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdl.errors import ConfigError
from jaxdl.models import normal_equations


def problem(k: int | None, n: int = 50, d: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=(d + 1,) if k is None else (d + 1, k))
    y = np.c_[X, np.ones(n)] @ w + 0.1 * rng.normal(size=(n,) if k is None else (n, k))
    return X, y


def lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]


@pytest.mark.parametrize("k", [None, 3])
def test_matches_lstsq_in_float64(k):
    X, y = problem(k)
    with jax.enable_x64(True):
        w = normal_equations(jnp.asarray(X), jnp.asarray(y))
        assert w.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(w), lstsq(X, y), rtol=1e-10, atol=1e-12)
    assert w.shape == ((5,) if k is None else (5, 3))


@pytest.mark.parametrize("k", [None, 3])
def test_matches_lstsq_in_float32(k):
    X, y = problem(k, seed=1)
    w = normal_equations(X.astype(np.float32), y.astype(np.float32))
    assert w.dtype == jnp.float32
    # float32 solve of the normal equations: relative error ~ cond(AᵀA) · 6e-8 (cond is 2.3 here; measured max 1e-6).
    np.testing.assert_allclose(np.asarray(w), lstsq(X, y), rtol=1e-5, atol=1e-5)


def test_bias_is_the_last_entry():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]], np.float32)
    y = X @ np.array([2.0, -3.4], np.float32) + 4.2
    np.testing.assert_allclose(np.asarray(normal_equations(X, y)), [2.0, -3.4, 4.2], rtol=1e-5)


def test_bad_shapes_raise():
    with pytest.raises(ConfigError, match=r"normal_equations: X must be of shape \(n, d\), got shape \(5,\)"):
        normal_equations(np.ones(5), np.ones(5))
    with pytest.raises(ConfigError, match=r"y must be of shape \(5,\) or \(5, k\), .*, got shape \(4,\)"):
        normal_equations(np.ones((5, 2)), np.ones(4))
    with pytest.raises(ConfigError, match="X must be at least d \\+ 1 = 4 rows"):
        normal_equations(np.ones((3, 3)), np.ones(3))
