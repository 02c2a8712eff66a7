"""The autograd chapter (d2l 2.5) and forward/backward propagation (d2l 5.3) as pure functions.

PyTorch records a graph while ``f(x)`` runs and ``backward()`` walks it, writing into
``x.grad``. JAX has no graph and no ``.grad`` attribute: a derivative is another function,
built by a transformation (``jax.grad``, ``jax.vjp``, ``jax.jvp``) and called like any other.
Each function here names the PyTorch idiom it replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import ArrayLike

from jaxdl._checks import fail
from jaxdl.errors import unknown

__all__ = [
    "JACOBIAN_STRATEGIES",
    "accumulate_grads",
    "backward",
    "control_flow",
    "detach",
    "hvp",
    "jacobian",
    "jvp",
    "manual_backprop",
    "regularized_loss",
]

PyTree = Any
JACOBIAN_STRATEGIES = ("reverse-mode", "forward-mode")


def detach(x: PyTree) -> PyTree:
    """``y.detach()``: the same values, seen as a constant by every derivative (``lax.stop_gradient``).

    >>> x = jnp.arange(4.0)
    >>> jax.grad(lambda x: jnp.sum(detach(x * x) * x))(x)  # u = (x*x).detach(); z = u*x
    Array([0., 1., 4., 9.], dtype=float32)
    """
    return lax.stop_gradient(x)


def _check_float(where: str, x: PyTree, name: str) -> None:
    for leaf in jax.tree.leaves(x):
        if not jnp.issubdtype(jnp.result_type(leaf), jnp.inexact):
            raise fail(where, name, leaf, "floating-point to be differentiated", got=f"dtype {jnp.result_type(leaf)}")


def _check_like(where: str, v: PyTree, x: PyTree, name: str) -> None:
    v_shapes = jax.tree.map(jnp.shape, v)
    x_shapes = jax.tree.map(jnp.shape, x)
    if jax.tree.structure(v) != jax.tree.structure(x) or v_shapes != x_shapes:
        raise fail(where, name, v, f"of the input's shapes {x_shapes}", got=f"shapes {v_shapes}")


def backward(f: Callable[[PyTree], jax.Array], x: PyTree, gradient: jax.Array | None = None) -> PyTree:
    """What ``x.grad`` holds after ``f(x).backward(gradient)`` on a fresh ``x``: a VJP.

    PyTorch: ``x.requires_grad_(); y = f(x); y.backward(gradient); x.grad``.
    JAX: ``y, pullback = jax.vjp(f, x); pullback(gradient)``.

    Args:
      f: function of ``x`` returning one array ``y``.
      x: array (or pytree of arrays) of floats.
      gradient: the vector ``v`` in ``vᵀ J``, with ``y``'s shape. Optional only when ``y``
        has one element, as in torch (then it is 1).

    Returns:
      ``vᵀ ∂f/∂x`` with ``x``'s shape (and structure).

    >>> backward(lambda x: 2 * jnp.dot(x, x), jnp.arange(4.0))   # d2l 2.5.1: 4x
    Array([ 0.,  4.,  8., 12.], dtype=float32)
    """
    _check_float("backward", x, "x")
    y, pullback = jax.vjp(f, x)
    if not isinstance(y, jax.Array):
        raise fail("backward", "f(x)", y, "one array, as torch's y.backward() needs", got=type(y).__name__)
    if gradient is None:
        if y.size != 1:
            raise fail(
                "backward",
                "gradient",
                None,
                f"an array of the output's shape {tuple(y.shape)}, e.g. jnp.ones({tuple(y.shape)}) to sum the output "
                "(torch: grad can be implicitly created only for scalar outputs)",
            )
        gradient = jnp.ones_like(y)
    gradient = jnp.asarray(gradient)
    if gradient.shape != y.shape:
        raise fail(
            "backward", "gradient", gradient, f"of the output's shape {tuple(y.shape)}", got=f"shape {gradient.shape}"
        )
    (grad,) = pullback(gradient.astype(y.dtype))
    return grad


def accumulate_grads(loss_fn: Callable[[PyTree, PyTree], jax.Array], params: PyTree, batches: PyTree) -> PyTree:
    """The sum that ``loss_fn(params, batch).backward()`` per batch leaves without ``zero_grad()``.

    PyTorch accumulates into ``.grad``: ``for b in batches: loss_fn(params, b).backward()``
    leaves ``Σ_b ∇loss_fn(params, b)``. Here that sum is explicit, a ``lax.scan`` over batches.

    Args:
      loss_fn: ``loss_fn(params, batch) -> scalar``.
      params: pytree of float arrays.
      batches: pytree whose leaves share a leading axis of length B (one slice per batch).

    Returns:
      The summed gradient, same structure and shapes as ``params``.

    >>> xs = jnp.arange(3.0)[:, None]                              # three batches of one
    >>> accumulate_grads(lambda w, x: jnp.sum(w * x), jnp.ones(1), xs)
    Array([3.], dtype=float32)
    """
    _check_float("accumulate_grads", params, "params")
    lengths = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in jax.tree.leaves(batches)}
    if not lengths or None in lengths or len(lengths) != 1 or 0 in lengths:
        raise fail(
            "accumulate_grads",
            "batches",
            batches,
            "arrays stacked along a common, non-empty first axis (one slice per batch)",
            got=f"leading lengths {sorted(lengths, key=str)}",
        )
    grad_fn = jax.grad(loss_fn)

    def add_batch(total: PyTree, batch: PyTree) -> tuple[PyTree, None]:
        return jax.tree.map(jnp.add, total, grad_fn(params, batch)), None

    total, _ = lax.scan(add_batch, jax.tree.map(jnp.zeros_like, params), batches)
    return total


def jacobian(f: Callable[[jax.Array], jax.Array], x: jax.Array, *, strategy: str = "reverse-mode") -> jax.Array:
    """``torch.autograd.functional.jacobian(f, x, strategy=...)``: shape ``f(x).shape + x.shape``.

    ``"reverse-mode"`` is ``jax.jacrev`` (one VJP per output), ``"forward-mode"`` is
    ``jax.jacfwd`` (one JVP per input); the numbers are the same.

    >>> jacobian(lambda x: x ** 2, jnp.array([1.0, 2.0]))
    Array([[2., 0.],
           [0., 4.]], dtype=float32)
    """
    if strategy not in JACOBIAN_STRATEGIES:
        raise unknown("strategy", strategy, JACOBIAN_STRATEGIES, where="jacobian")
    _check_float("jacobian", x, "x")
    return (jax.jacrev if strategy == "reverse-mode" else jax.jacfwd)(f)(x)


def jvp(f: Callable[[PyTree], jax.Array], x: PyTree, v: PyTree) -> tuple[jax.Array, jax.Array]:
    """``torch.autograd.functional.jvp(f, x, v)``: ``(f(x), J v)`` in one forward pass.

    Args:
      f: function of ``x``.
      x: the point; ``v``: the direction, with ``x``'s shape.

    Returns:
      ``(f(x), ∂f/∂x · v)``, both with ``f(x)``'s shape.

    >>> jvp(jnp.sin, jnp.array(0.0), jnp.array(2.0))
    (Array(0., dtype=float32, weak_type=True), Array(2., dtype=float32, weak_type=True))
    """
    _check_float("jvp", x, "x")
    _check_like("jvp", v, x, "v")
    return jax.jvp(f, (x,), (v,))


def hvp(f: Callable[[PyTree], jax.Array], x: PyTree, v: PyTree) -> tuple[jax.Array, PyTree]:
    """``torch.autograd.functional.hvp(f, x, v)``: ``(f(x), H v)`` without forming ``H``.

    Forward-over-reverse: the JVP of ``jax.grad(f)`` in direction ``v``, one forward and
    one backward pass instead of the ``n`` a full Hessian needs.

    Args:
      f: scalar function of ``x``.
      x: the point; ``v``: the direction, with ``x``'s shape.

    Returns:
      ``(f(x), ∇²f(x) v)``; the product has ``x``'s shape.

    >>> hvp(lambda x: jnp.sum(x ** 3), jnp.array([1.0, 2.0]), jnp.array([1.0, 1.0]))[1]
    Array([ 6., 12.], dtype=float32)
    """
    _check_float("hvp", x, "x")
    _check_like("hvp", v, x, "v")
    (value, _), (_, product) = jax.jvp(jax.value_and_grad(f), (x,), (v,))
    return value, product


def control_flow(a: jax.Array) -> jax.Array:
    """d2l 2.5.4's ``f(a)``, jittable and differentiable: ``jax.grad(control_flow)(a) == control_flow(a) / a``.

    PyTorch::

        def f(a):
            b = a * 2
            while b.norm() < 1000:
                b = b * 2
            if b.sum() > 0:
                c = b
            else:
                c = 100 * b
            return c

    Python ``while``/``if`` on array values cannot be traced, so the loop is a
    ``lax.while_loop`` and the branch a ``lax.cond``. Reverse mode cannot run through a
    ``while_loop`` whose trip count depends on data, so the loop only *counts* the
    doublings ``k`` on a detached copy, and the differentiable path is one multiply by
    ``2**k`` (split in two factors so neither overflows float32). Unlike torch, the loop
    stops when ``b`` is 0 or NaN instead of running forever.

    Args:
      a: float array of any shape (the chapter uses a scalar).

    Returns:
      ``c`` with ``a``'s shape.

    >>> float(control_flow(jnp.array(1.5)))
    1536.0
    """
    _check_float("control_flow", a, "a")

    def keep_doubling(carry: tuple[jax.Array, jax.Array]) -> jax.Array:
        norm = jnp.linalg.norm(jnp.ravel(carry[0]))
        return (norm < 1000) & (norm > 0)

    def double(carry: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        return carry[0] * 2, carry[1] + 1

    _, k = lax.while_loop(keep_doubling, double, (detach(a * 2), jnp.int32(0)))
    one = jnp.ones_like(a)
    b = a * 2 * jnp.ldexp(one, k // 2) * jnp.ldexp(one, k - k // 2)
    return lax.cond(jnp.sum(b) > 0, lambda b: b, lambda b: 100 * b, b)


def _mlp_shapes(where: str, params: dict[str, jax.Array], X: jax.Array, y: jax.Array) -> None:
    if not isinstance(params, dict) or set(params) != {"W1", "W2"}:
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise fail(where, "params", params, "a dict with keys 'W1' (h, d) and 'W2' (q, h)", got=str(got))
    W1, W2 = jnp.shape(params["W1"]), jnp.shape(params["W2"])
    if len(W1) != 2 or len(W2) != 2 or W2[1] != W1[0]:
        raise fail(where, "params", params, "W1 (h, d) and W2 (q, h)", got=f"W1 {W1} and W2 {W2}")
    if jnp.ndim(X) != 2 or jnp.shape(X)[1] != W1[1]:
        raise fail(where, "X", X, f"(n, d) with d={W1[1]} (W1's columns)", got=f"shape {jnp.shape(X)}")
    if jnp.shape(y) != (jnp.shape(X)[0],) or not jnp.issubdtype(jnp.result_type(y), jnp.integer):
        raise fail(
            where,
            "y",
            y,
            f"integer class indices of shape ({jnp.shape(X)[0]},)",
            got=f"shape {jnp.shape(y)} and dtype {jnp.result_type(y)}",
        )


def regularized_loss(params: dict[str, jax.Array], X: jax.Array, y: jax.Array, weight_decay: ArrayLike) -> jax.Array:
    """d2l 5.3's objective ``J = L + (λ/2)(‖W1‖² + ‖W2‖²)`` for a one-hidden-layer MLP.

    ``z = W1 x``, ``h = ReLU(z)``, ``o = W2 h`` (no biases, as in the chapter), and ``L`` is
    the softmax cross-entropy of ``o`` against the labels, averaged over the ``n`` examples
    (the chapter leaves ``l`` open; this is ``nn.CrossEntropyLoss()``).

    Args:
      params: ``{"W1": (h, d), "W2": (q, h)}``.
      X: inputs (n, d); y: int class indices (n,) in ``[0, q)``.
      weight_decay: λ.

    Returns:
      Scalar ``J``.

    >>> p = {"W1": jnp.ones((3, 2)), "W2": jnp.zeros((4, 3))}
    >>> float(regularized_loss(p, jnp.ones((5, 2)), jnp.zeros(5, jnp.int32), 0.0))  # log 4
    1.3862943649291992
    """
    _mlp_shapes("regularized_loss", params, X, y)
    o = jax.nn.relu(X @ params["W1"].T) @ params["W2"].T
    log_p = jax.nn.log_softmax(o, axis=-1)
    loss = -jnp.mean(jnp.take_along_axis(log_p, y[:, None], axis=-1))
    penalty = jnp.sum(params["W1"] ** 2) + jnp.sum(params["W2"] ** 2)
    return loss + weight_decay / 2 * penalty


def manual_backprop(
    params: dict[str, jax.Array], X: jax.Array, y: jax.Array, weight_decay: ArrayLike
) -> dict[str, jax.Array]:
    """d2l 5.3.3's backpropagation written out by hand: equals ``jax.grad(regularized_loss)``.

    With ``Z = X W1ᵀ``, ``H = ReLU(Z)``, logits ``O = H W2ᵀ`` and ``P = softmax(O)``::

        ∂J/∂O  = (P - onehot(y)) / n                 (n, q)
        ∂J/∂W2 = (∂J/∂O)ᵀ H + λ W2                    (q, h)
        ∂J/∂H  = (∂J/∂O) W2                           (n, h)
        ∂J/∂Z  = ∂J/∂H ⊙ [Z > 0]                      (n, h)  ReLU'(0) = 0, as in torch
        ∂J/∂W1 = (∂J/∂Z)ᵀ X + λ W1                    (h, d)

    Args:
      params, X, y, weight_decay: as in :func:`regularized_loss`.

    Returns:
      ``{"W1": (h, d), "W2": (q, h)}``, the gradient of ``J``.

    >>> p = {"W1": jnp.ones((3, 2)), "W2": jnp.zeros((4, 3))}
    >>> manual_backprop(p, jnp.ones((5, 2)), jnp.zeros(5, jnp.int32), 0.1)["W1"]
    Array([[0.1, 0.1],
           [0.1, 0.1],
           [0.1, 0.1]], dtype=float32)
    """
    _mlp_shapes("manual_backprop", params, X, y)
    W1, W2 = params["W1"], params["W2"]
    Z = X @ W1.T
    H = jax.nn.relu(Z)
    logits = H @ W2.T
    onehot = jax.nn.one_hot(y, logits.shape[-1], dtype=logits.dtype)
    d_logits = (jax.nn.softmax(logits, axis=-1) - onehot) / X.shape[0]
    dW2 = d_logits.T @ H + weight_decay * W2
    dZ = (d_logits @ W2) * (Z > 0)
    dW1 = dZ.T @ X + weight_decay * W1
    return {"W1": dW1, "W2": dW2}
