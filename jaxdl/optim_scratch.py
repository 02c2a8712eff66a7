"""Optimizer pieces written by hand, without optax aliases.

Two groups: the course's from-scratch optimizers (d2l's minibatch :func:`SGD`,
:func:`golden_section` line search, :func:`steepest_descent`), and the three transforms
with PyTorch semantics that optax lacks, used by :mod:`jaxdl.optim`
(:func:`dampened_trace`, :func:`scale_by_torch_adagrad`, :func:`scale_by_torch_adam`).
All are ``optax.GradientTransformation``s with ``NamedTuple`` states or jit-compatible
functions (``lax.while_loop``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxdl.errors import ConfigError

_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618..., the golden-section shrink factor


def SGD(lr: float | jax.Array) -> optax.GradientTransformation:  # noqa: N802 (d2l's name)
    """d2l's minibatch SGD: ``p <- p - lr * g`` for every leaf, no state.

    Args:
      lr: learning rate, a float >= 0 or a scalar array (e.g. traced under ``vmap``).

    Returns:
      A stateless ``optax.GradientTransformation``; ``update`` returns ``-lr * g``
      with the gradient's shape and dtype.

    >>> tx = SGD(0.1)
    >>> print(tx.update({"w": jnp.ones(2)}, tx.init(None))[0]["w"])
    [-0.1 -0.1]
    """
    if isinstance(lr, (jax.Array, np.ndarray)) and lr.ndim == 0 and _is_concrete(lr):
        lr = lr.item()
    swept = isinstance(lr, jax.core.Tracer) and lr.ndim == 0  # e.g. a vmapped learning rate
    if not swept and (isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr >= 0):
        raise ConfigError(f"SGD got lr={lr!r}: expected a float >= 0 or a scalar array.")

    def init_fn(params):
        del params
        return optax.EmptyState()

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(lambda g: -lr * g, updates), state

    return optax.GradientTransformation(init_fn, update_fn)


class DampenedTraceState(NamedTuple):
    """State of :func:`dampened_trace`: the step count and the momentum buffer."""

    count: jax.Array
    trace: optax.Updates


def dampened_trace(momentum: float, dampening: float) -> optax.GradientTransformation:
    """torch SGD's momentum buffer: ``buf = g`` at first, then ``momentum * buf + (1 - dampening) * g``.

    ``optax.trace`` is the ``dampening=0`` case only (its buffer starts at 0, which
    for ``dampening=0`` gives the same first step). With ``momentum == 0`` (an array: a
    swept value) the update is ``g``, as torch, which then keeps no buffer at all.

    Args:
      momentum: buffer decay.
      dampening: share of the gradient held back from the buffer after the first step.

    Returns:
      A ``GradientTransformation`` whose updates are the buffer (gradients' shapes).

    >>> tx = dampened_trace(0.9, 0.5)
    >>> s = tx.init(jnp.zeros(1))
    >>> u, s = tx.update(jnp.ones(1), s)
    >>> print(tx.update(jnp.ones(1), s)[0])
    [1.4]
    """

    def init_fn(params):
        return DampenedTraceState(jnp.zeros([], jnp.int32), optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0
        trace = jax.tree.map(
            lambda g, buf: jnp.where(first | (momentum == 0), g, momentum * buf + (1 - dampening) * g),
            updates, state.trace,
        )
        return trace, DampenedTraceState(optax.safe_increment(state.count), trace)

    return optax.GradientTransformation(init_fn, update_fn)


class TorchAdagradState(NamedTuple):
    """State of :func:`scale_by_torch_adagrad`: the running sum of squared gradients."""

    sum_of_squares: optax.Updates


def scale_by_torch_adagrad(
    initial_accumulator_value: float = 0.0, eps: float = 1e-10
) -> optax.GradientTransformation:
    """torch Adagrad's scaling: ``s += g * g``; ``g / (sqrt(s) + eps)``.

    ``optax.scale_by_rss`` starts ``s`` at 0.1 and puts ``eps`` inside the sqrt.

    Args:
      initial_accumulator_value: starting value of ``s``.
      eps: added to ``sqrt(s)``.

    Returns:
      A ``GradientTransformation``; updates have the gradients' shapes.

    >>> tx = scale_by_torch_adagrad()
    >>> print(tx.update(jnp.array([3.0]), tx.init(jnp.zeros(1)))[0])
    [1.]
    """

    def init_fn(params):
        return TorchAdagradState(optax.tree.full_like(params, initial_accumulator_value))

    def update_fn(updates, state, params=None):
        del params
        sums = jax.tree.map(lambda s, g: s + g * g, state.sum_of_squares, updates)
        updates = jax.tree.map(lambda g, s: g / (jnp.sqrt(s) + eps), updates, sums)
        return updates, TorchAdagradState(sums)

    return optax.GradientTransformation(init_fn, update_fn)


class TorchAdamState(NamedTuple):
    """State of :func:`scale_by_torch_adam`: count, both moments, and (AMSGrad) the max second moment."""

    count: jax.Array
    mu: optax.Updates
    nu: optax.Updates
    nu_max: optax.Updates  # () without amsgrad


def _one_minus_power(decay: float | jax.Array, count: jax.Array) -> jax.Array:
    """``1 - decay**count`` (``count >= 1``) computed as ``-expm1(count * log(decay))``.

    PyTorch evaluates its bias corrections in Python doubles; optax raises the float32
    ``decay`` to the power, and ``1 - 0.999f**t`` is off by ~1e-5 relative. A Python
    ``decay`` takes its ``log`` in double, as PyTorch; an array ``decay`` (a swept beta) is
    float32 itself, so ``1 - decay`` carries its rounding (~1e-5 relative for 0.999).
    """
    if not isinstance(decay, numbers.Real):
        return -jnp.expm1(count * jnp.log(decay))
    if decay == 0:
        return jnp.ones_like(count, dtype=float)
    return -jnp.expm1(count * math.log(decay))


def scale_by_torch_adam(
    b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, *, amsgrad: bool = False
) -> optax.GradientTransformation:
    """torch Adam's scaling ``m_hat / (sqrt(v_hat) + eps)``, AMSGrad as PyTorch does it.

    Two differences from optax: the bias corrections ``1 - b**t`` are accurate in
    float32 (see ``_one_minus_power``), and AMSGrad keeps ``nu_max = max(nu_max, nu)``
    of the raw second moment and bias-corrects it afterwards (``optax.scale_by_amsgrad``
    takes the max of the bias-corrected moment).

    Args:
      b1, b2: decay of the first and second moments (torch's ``betas``).
      eps: added to ``sqrt(v_hat)``.
      amsgrad: normalize by the running max of the second moment.

    Returns:
      A ``GradientTransformation``; updates have the gradients' shapes.

    >>> tx = scale_by_torch_adam(eps=0.0)
    >>> print(tx.update(jnp.array([-2.0]), tx.init(jnp.zeros(1)))[0])
    [-1.]
    """

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return TorchAdamState(jnp.zeros([], jnp.int32), zeros, zeros, zeros if amsgrad else ())

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count = optax.safe_increment(state.count)
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu) if amsgrad else ()
        bc1, bc2 = _one_minus_power(b1, count), _one_minus_power(b2, count)
        updates = jax.tree.map(
            lambda m, v: (m / bc1.astype(m.dtype)) / (jnp.sqrt(v / bc2.astype(v.dtype)) + eps),
            mu, nu_max if amsgrad else nu,
        )
        return updates, TorchAdamState(count, mu, nu, nu_max)

    return optax.GradientTransformation(init_fn, update_fn)


def _is_concrete(*values) -> bool:
    return not any(isinstance(v, jax.core.Tracer) for v in values)


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
            jnp.where(left, new, d), jnp.where(left, c, new),
            jnp.where(left, f_new, fd), jnp.where(left, fc, f_new),
        )
        return a, b, c, d, fc, fd, i + 1

    a, b, *_ = jax.lax.while_loop(cond, body, (a, b, c, d, fc, fd, jnp.asarray(0)))
    return (a + b) / 2


def golden_section(
    f: Callable[[jax.Array], jax.Array],
    a: float,
    b: float,
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
    if not (isinstance(tol, numbers.Real) and tol > 0):
        raise ConfigError(f"golden_section got tol={tol!r}: expected a float > 0.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ConfigError(f"golden_section got max_iter={max_iter!r}: expected an int >= 1.")
    if _is_concrete(a, b) and not float(a) < float(b):
        raise ConfigError(f"golden_section got the bracket a={a!r}, b={b!r}: expected a < b.")
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
    x0: jax.Array,
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
    if not (isinstance(eps, numbers.Real) and eps > 0):
        raise ConfigError(f"steepest_descent got eps={eps!r}: expected a float > 0.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 0:
        raise ConfigError(f"steepest_descent got max_iter={max_iter!r}: expected an int >= 0.")
    if not (isinstance(line_tol, numbers.Real) and line_tol > 0):
        raise ConfigError(f"steepest_descent got line_tol={line_tol!r}: expected a float > 0.")
    if len(bracket) != 2 or not float(bracket[0]) < float(bracket[1]):
        raise ConfigError(
            f"steepest_descent got bracket={bracket!r}: expected (lo, hi) with lo < hi."
        )
    x0 = jnp.asarray(x0)
    if x0.ndim != 1:
        raise ConfigError(f"steepest_descent got x0 of shape {x0.shape}: expected a vector (dim,).")
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
