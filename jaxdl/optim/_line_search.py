"""The course's line search: golden-section search, and steepest descent built on it (jit-compatible)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.core import Tracer
from jax.typing import ArrayLike

from jaxdl import _checks

_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618..., the golden-section shrink factor


def _is_concrete(*values) -> bool:
    return not any(isinstance(v, Tracer) for v in values)


def _golden_section(f, a, b, tol: float, max_iter: int) -> jax.Array:
    """Unchecked golden-section search; ``a`` and ``b`` may be traced."""
    dtype = jnp.result_type(a, b, float)
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    c = b - _INV_PHI * (b - a)
    d = a + _INV_PHI * (b - a)
    fc, fd = f(c), f(d)

    def cond(s):
        a, b, *_, i = s
        return (b - a > tol) & (i < max_iter)

    def body(s):
        a, b, c, d, fc, fd, i = s
        left = fc < fd  # the minimum lies in [a, d]: keep c as the new d
        a = jnp.where(left, a, c)
        b = jnp.where(left, d, b)
        new = jnp.where(left, b - _INV_PHI * (b - a), a + _INV_PHI * (b - a))
        f_new = f(new)
        c, d, fc, fd = (
            jnp.where(left, new, d),
            jnp.where(left, c, new),
            jnp.where(left, f_new, fd),
            jnp.where(left, fc, f_new),
        )
        return a, b, c, d, fc, fd, i + 1

    a, b, *_ = jax.lax.while_loop(cond, body, (a, b, c, d, fc, fd, jnp.asarray(0)))
    return (a + b) / 2


def golden_section(
    f: Callable[[jax.Array], jax.Array],
    a: float | jax.Array,
    b: float | jax.Array,
    *,
    tol: float = 1e-6,
    max_iter: int = 200,
) -> jax.Array:
    """Minimize a unimodal ``f`` on ``[a, b]`` by golden-section search (the course's ``gss``).

    Each iteration shrinks the bracket by 0.618 and costs one evaluation of ``f``. The
    search stops when the bracket is narrower than ``tol`` (so the returned midpoint is
    within ``tol / 2`` of the minimizer) or after ``max_iter`` iterations, a guard for
    a ``tol`` below the float resolution of the bracket. Works under ``jax.jit``.
    Comparing values of ``f`` locates a minimum only to about ``sqrt(machine eps)``
    times its scale (~3e-4 in float32), so ask for a tighter ``tol`` in float64.

    Args:
      f: scalar function of a scalar, ``() -> ()``.
      a, b: the bracket, ``a < b`` (Python or traced scalars).
      tol: bracket width at which to stop, > 0.
      max_iter: cap on iterations (200 shrink any bracket by 1e-42).

    Returns:
      The midpoint of the final bracket, a scalar array.

    >>> float(golden_section(lambda x: (x - 0.3) ** 2, 0.0, 1.0))  # doctest: +ELLIPSIS
    0.3...
    """
    tol = _checks.number("golden_section", "tol", tol, low=0.0, low_open=True)
    max_iter = _checks.integer("golden_section", "max_iter", max_iter, low=1)
    if _is_concrete(a, b) and not float(a) < float(b):
        raise _checks.fail("golden_section", "b", b, f"greater than a={a!r} (the bracket is [a, b])")
    return _golden_section(f, a, b, tol, max_iter)


class SteepestDescentResult(NamedTuple):
    """Output of :func:`steepest_descent`.

    Attributes:
      x: final iterate, shape (dim,).
      history: iterates, shape (max_iter + 1, dim); ``history[0]`` is ``x0``, row ``k``
        is the k-th iterate for ``k <= n_iter`` and rows after ``n_iter`` repeat ``x``.
      n_iter: number of descent steps taken, an int32 scalar.
    """

    x: jax.Array
    history: jax.Array
    n_iter: jax.Array


def steepest_descent(
    f: Callable[[jax.Array], jax.Array],
    x0: ArrayLike,
    *,
    eps: float = 1e-6,
    max_iter: int = 1000,
    bracket: tuple[float, float] = (0.0, 1.0),
    line_tol: float = 1e-6,
) -> SteepestDescentResult:
    """Steepest descent with golden-section line search (the course's ``SDM``).

    From ``x`` go along ``-grad f(x)``; the step length ``t`` minimizes
    ``f(x - t * grad f(x))`` over ``bracket`` (default ``[0, 1]``) by
    :func:`golden_section` with tolerance ``line_tol``. Stop when
    ``||grad f(x)|| < eps`` or after ``max_iter`` steps. Works under ``jax.jit``
    (``max_iter`` fixes the history's shape, so it must be a Python int).

    Args:
      f: scalar function of a vector, ``(dim,) -> ()``.
      x0: starting point, shape (dim,).
      eps: gradient-norm threshold, > 0.
      max_iter: most steps, an int >= 0.
      bracket: ``(lo, hi)`` interval searched for the step length, ``lo < hi``.
      line_tol: tolerance of the line search, > 0.

    Returns:
      ``SteepestDescentResult(x, history, n_iter)`` with shapes (dim,),
      (max_iter + 1, dim) and ().

    >>> x, history, n = steepest_descent(lambda x: (x ** 2).sum(), jnp.array([1.0, -2.0]))
    >>> history.shape, bool(jnp.linalg.norm(x) < 1e-6)
    ((1001, 2), True)
    """
    eps = _checks.number("steepest_descent", "eps", eps, low=0.0, low_open=True)
    max_iter = _checks.integer("steepest_descent", "max_iter", max_iter, low=0)
    line_tol = _checks.number("steepest_descent", "line_tol", line_tol, low=0.0, low_open=True)
    if len(bracket) != 2 or not float(bracket[0]) < float(bracket[1]):
        raise _checks.fail("steepest_descent", "bracket", bracket, "a pair (lo, hi) with lo < hi")
    x0 = jnp.asarray(x0)
    if x0.ndim != 1:
        raise _checks.fail("steepest_descent", "x0", x0, "a vector (dim,)", got=f"shape {x0.shape}")
    x0 = x0.astype(jnp.result_type(x0, float))
    grad_f = jax.grad(f)
    lo, hi = bracket

    def cond(s):
        _, g, _, k = s
        return (jnp.linalg.norm(g) >= eps) & (k < max_iter)

    def body(s):
        x, g, history, k = s
        t = _golden_section(lambda t: f(x - t * g), lo, hi, line_tol, 200)
        x = x - t * g
        return x, grad_f(x), history.at[k + 1].set(x), k + 1

    history = jnp.zeros((max_iter + 1, x0.shape[0]), x0.dtype).at[0].set(x0)
    init = (x0, grad_f(x0), history, jnp.asarray(0, jnp.int32))
    x, _, history, k = jax.lax.while_loop(cond, body, init)
    filled = jnp.arange(max_iter + 1)[:, None] > k
    return SteepestDescentResult(x, jnp.where(filled, x, history), k)
