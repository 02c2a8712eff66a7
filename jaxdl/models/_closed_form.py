"""Linear regression in closed form (d2l 3.1.1.2): the normal equations."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxdl._checks import fail


def normal_equations(X: jax.Array, y: jax.Array) -> jax.Array:
    """Least-squares weights ``w* = (AᵀA)⁻¹ Aᵀ y`` with ``A = [X, 1]`` (a bias column appended).

    PyTorch: ``A = torch.cat([X, torch.ones(n, 1)], 1); torch.linalg.solve(A.T @ A, A.T @ y)``.
    The system ``AᵀA w = Aᵀy`` is solved directly (no explicit inverse); it needs ``A`` to
    have full column rank. For ill-conditioned or rank-deficient ``X`` use ``jnp.linalg.lstsq``.

    Args:
      X: features (n, d), n >= d + 1.
      y: targets (n,) or (n, k).

    Returns:
      ``w`` of shape (d + 1,) for 1-D ``y`` or (d + 1, k) for 2-D ``y``: the first ``d``
      rows are the weights, the last row is the bias, so ``[X, 1] @ w`` predicts ``y``.

    >>> X = jnp.array([[0.0], [1.0], [2.0]])
    >>> normal_equations(X, 3 * X[:, 0] + 1).round(4)                # w = 3, b = 1
    Array([3., 1.], dtype=float32)
    """
    X, y = jnp.asarray(X), jnp.asarray(y)
    if X.ndim != 2:
        raise fail("normal_equations", "X", X, "of shape (n, d)", got=f"shape {X.shape}")
    n, d = X.shape
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise fail(
            "normal_equations",
            "y",
            y,
            f"of shape ({n},) or ({n}, k), a target row per row of X",
            got=f"shape {y.shape}",
        )
    if n < d + 1:
        raise fail(
            "normal_equations",
            "X",
            X,
            f"at least d + 1 = {d + 1} rows (one per weight and the bias) for a unique solution",
            got=f"shape {X.shape}",
        )
    dtype = jnp.result_type(X.dtype, y.dtype, jnp.float32)
    A = jnp.concatenate([X.astype(dtype), jnp.ones((n, 1), dtype)], axis=1)
    return jnp.linalg.solve(A.T @ A, A.T @ y.astype(dtype))
