"""``torch.optim.LBFGS``: one ``update`` is one ``optimizer.step(closure)``, the loss re-evaluated inside."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._recipe import torch_optimizer
from jaxdl.optim._strong_wolfe import strong_wolfe


class LBFGSState(NamedTuple):
    """What torch keeps between ``step`` calls: counters, last direction and step, the curvature history.

    ``dirs``/``stps`` (history_size, n) hold torch's ``old_dirs``/``old_stps`` oldest first; the first
    ``num_old`` rows are in use.
    """

    func_evals: jax.Array
    n_iter: jax.Array
    d: jax.Array
    t: jax.Array
    dirs: jax.Array
    stps: jax.Array
    ro: jax.Array
    num_old: jax.Array
    h_diag: jax.Array
    prev_flat_grad: jax.Array
    prev_loss: jax.Array


class _Loop(NamedTuple):
    x: jax.Array
    loss: jax.Array
    grad: jax.Array
    state: LBFGSState
    n_iter: jax.Array
    evals: jax.Array
    stop: jax.Array


def _direction(g: jax.Array, s: LBFGSState) -> jax.Array:
    """torch's two-loop recursion over the ``num_old`` stored pairs."""
    size = s.ro.shape[0]

    def backward(k, carry):
        q, al = carry
        i = size - 1 - k
        use = i < s.num_old
        a = jnp.where(use, (s.stps[i] @ q) * s.ro[i], 0.0)
        return jnp.where(use, q - a * s.dirs[i], q), al.at[i].set(a)

    q, al = jax.lax.fori_loop(0, size, backward, (-g, jnp.zeros_like(s.ro)))
    r = q * s.h_diag

    def forward(i, r):
        be = (s.dirs[i] @ r) * s.ro[i]
        return jnp.where(i < s.num_old, r + (al[i] - be) * s.stps[i], r)

    return jax.lax.fori_loop(0, size, forward, r)


_CALL = "update(grads, state, params, value=loss, value_fn=loss_fn)"


@torch_optimizer("LBFGS")
def lbfgs(
    lr: ArrayLike = 1,
    max_iter: int = 20,
    max_eval: int | None = None,
    tolerance_grad: float = 1e-7,
    tolerance_change: float = 1e-9,
    history_size: int = 100,
    line_search_fn: str | None = None,
) -> optax.GradientTransformationExtraArgs:
    """``torch.optim.LBFGS`` as a full-batch solver: each ``update`` is one torch ``step(closure)``.

    ``update(grads, state, params, *, value, value_fn)`` takes the gradient and loss at
    ``params`` (torch's first closure call) and ``value_fn(params) -> loss`` (the closure), and
    runs up to ``max_iter`` L-BFGS iterations, calling ``value_fn`` again as torch does (with
    ``line_search_fn="strong_wolfe"``: torch's strong-Wolfe search). It returns
    ``new_params - params``. Pair it with ``optax.value_and_grad_from_state`` or
    ``jax.value_and_grad`` (see docs/optim.md). It does not work with ``fit``: a minibatch step
    has no closure to re-evaluate, and L-BFGS is a full-batch method.

    Args:
      lr: step length (torch's default 1); a float, not a schedule.
      max_iter: iterations per ``update``; max_eval: loss evaluations per ``update``
        (default ``max_iter * 5 // 4``).
      tolerance_grad, tolerance_change, history_size: as in PyTorch.
      line_search_fn: None or "strong_wolfe".

    Returns:
      An ``optax.GradientTransformationExtraArgs``; updates have the parameters' shapes.

    >>> f = lambda p: jnp.sum((p["w"] - 3.0) ** 2)
    >>> tx, p = lbfgs(line_search_fn="strong_wolfe"), {"w": jnp.zeros(2)}
    >>> u, _ = tx.update(jax.grad(f)(p), tx.init(p), p, value=f(p), value_fn=f)
    >>> print(optax.apply_updates(p, u)["w"])
    [3. 3.]
    """
    if callable(lr):
        raise _checks.fail("LBFGS", "lr", lr, "a number, not a schedule (torch's LBFGS steps with a fixed lr)")
    _checks.learning_rate("LBFGS", "lr", lr)
    max_iter = _checks.positive_int("LBFGS", "max_iter", max_iter)
    max_eval = max_iter * 5 // 4 if max_eval is None else _checks.positive_int("LBFGS", "max_eval", max_eval)
    history_size = _checks.positive_int("LBFGS", "history_size", history_size)
    for name, value in (("tolerance_grad", tolerance_grad), ("tolerance_change", tolerance_change)):
        _checks.number("LBFGS", name, value, low=0.0)
    if line_search_fn not in (None, "strong_wolfe"):
        raise _checks.fail("LBFGS", "line_search_fn", line_search_fn, "None or 'strong_wolfe'")

    def init_fn(params):
        flat, _ = ravel_pytree(params)
        n, zero = flat.shape[0], jnp.zeros([], flat.dtype)
        history = jnp.zeros((history_size, n), flat.dtype)
        return LBFGSState(
            jnp.int32(0),
            jnp.int32(0),
            jnp.zeros_like(flat),
            zero,
            history,
            history,
            jnp.zeros(history_size, flat.dtype),
            jnp.int32(0),
            jnp.ones([], flat.dtype),
            jnp.zeros_like(flat),
            zero,
        )

    def update_fn(updates, state, params=None, *, value=None, value_fn=None, **extra_args):
        del extra_args
        if params is None or value is None or value_fn is None:
            missing = next(n for n, v in (("params", params), ("value", value), ("value_fn", value_fn)) if v is None)
            raise _checks.fail("LBFGS.update", missing, None, f"given: {_CALL} (LBFGS re-evaluates the loss)")
        x0, unravel = ravel_pytree(params)
        grad0, _ = ravel_pytree(updates)
        dtype = x0.dtype

        def fg(x):
            loss, grad = jax.value_and_grad(lambda v: value_fn(unravel(v)))(x)
            return jnp.asarray(loss, dtype), ravel_pytree(grad)[0].astype(dtype)

        loss0 = jnp.asarray(value, dtype)
        state = state._replace(func_evals=state.func_evals + 1)
        first = _Loop(x0, loss0, grad0, state, jnp.int32(0), jnp.int32(1), jnp.max(jnp.abs(grad0)) <= tolerance_grad)

        def body(c):
            s, g = c.state, c.grad
            n_iter, global_iter = c.n_iter + 1, s.n_iter + 1
            s = s._replace(n_iter=global_iter)
            y, step = g - s.prev_flat_grad, s.d * s.t
            ys = y @ step
            keep = (global_iter > 1) & (ys > 1e-10)
            full = s.num_old == history_size
            shifted = lambda a: jnp.where(full, jnp.roll(a, -1, axis=0), a)  # noqa: E731
            slot = jnp.where(full, history_size - 1, s.num_old)
            pushed = s._replace(
                dirs=shifted(s.dirs).at[slot].set(y),
                stps=shifted(s.stps).at[slot].set(step),
                ro=shifted(s.ro).at[slot].set(1.0 / ys),
                num_old=jnp.minimum(s.num_old + 1, history_size),
                h_diag=ys / (y @ y),
            )
            s = jax.tree.map(lambda a, b: jnp.where(keep, a, b), pushed, s)
            restart = global_iter == 1
            s = s._replace(num_old=jnp.where(restart, 0, s.num_old), h_diag=jnp.where(restart, 1.0, s.h_diag))
            d = jnp.where(restart, -g, _direction(g, s))
            t = jnp.where(restart, jnp.minimum(1.0, 1.0 / jnp.sum(jnp.abs(g))) * lr, jnp.asarray(lr, dtype))
            s = s._replace(d=d, t=t.astype(dtype), prev_flat_grad=g, prev_loss=c.loss)
            gtd = g @ d
            descent = gtd <= -tolerance_change

            def move(_):
                if line_search_fn == "strong_wolfe":
                    loss, grad, t_new, evals = strong_wolfe(
                        fg,
                        c.x,
                        t.astype(dtype),
                        d,
                        c.loss,
                        g,
                        gtd,
                        max_eval - c.evals,
                        tolerance_change=tolerance_change,
                    )
                    x = c.x + t_new * d
                    return x, loss, grad, t_new.astype(dtype), evals
                x = c.x + t.astype(dtype) * d
                last = n_iter == max_iter
                loss, grad = jax.lax.cond(last, lambda x: (c.loss, g), fg, x)
                return x, loss, grad, t.astype(dtype), jnp.where(last, 0, 1).astype(jnp.int32)

            x, loss, grad, t, evals = jax.lax.cond(
                descent, move, lambda _: (c.x, c.loss, g, t.astype(dtype), jnp.int32(0)), None
            )
            s = s._replace(t=t, func_evals=s.func_evals + evals)
            total = c.evals + evals
            opt_cond = jnp.where(descent, jnp.max(jnp.abs(grad)) <= tolerance_grad, False)
            stop = (
                ~descent
                | (n_iter == max_iter)
                | (total >= max_eval)
                | opt_cond
                | (jnp.max(jnp.abs(d * t)) <= tolerance_change)
                | (jnp.abs(loss - c.loss) < tolerance_change)
            )
            return _Loop(x, loss, grad, s, n_iter, total, stop)

        out = jax.lax.while_loop(lambda c: ~c.stop, body, first)
        return unravel(out.x - x0), out.state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
