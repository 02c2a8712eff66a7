"""``torch.optim.Adafactor``: factored second moments, relative step size, update clipping."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, at_least_zero, lr_at, off
from jaxdl.optim._parts import finish, increment, map_leaves
from jaxdl.optim._recipe import torch_optimizer


class TorchAdafactorState(NamedTuple):
    """State of :func:`adafactor`: count and, per parameter, row/column variances (or a full one for 0-d/1-d)."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    row: optax.Updates
    col: optax.Updates


@torch_optimizer("Adafactor")
def adafactor(
    lr: LearningRate = 1e-2,
    beta2_decay: ArrayLike = -0.8,
    eps: tuple[ArrayLike | None, ArrayLike] = (None, 1e-3),
    d: ArrayLike = 1.0,
    weight_decay: ArrayLike = 0.0,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Adafactor`` (PyTorch's variant: no momentum, ``rho_t = min(lr, 1/sqrt(t))``).

    With ``b_t = t**beta2_decay`` the variance is kept factored for a parameter of 2 or
    more dimensions (``row = lerp(row, mean_cols(g^2), b_t)``, the same per column;
    ``v = row @ col / mean(row)``), whole for 0-d/1-d ones. The update is
    ``g / sqrt(max(v, eps1**2))``, divided by ``max(1, rms(update) / d)``, times
    ``max(eps2, rms(p)) * rho_t``; ``weight_decay`` is decoupled (``p *= 1 - lr * wd``).
    ``eps1=None`` is the parameter dtype's machine epsilon. ``optax.adafactor`` differs:
    its defaults (``decay_rate=0.8``, ``multiply_by_parameter_scale``, factoring only dims of
    size >= 128, momentum off, eps 1e-30) and its step rule are not PyTorch's.

    Args:
      lr: learning rate or schedule (caps the relative step ``1/sqrt(t)``).
      beta2_decay: exponent of the second-moment rate ``t**beta2_decay`` (<= 0).
      eps: ``(eps1, eps2)``: the variance floor (None: machine epsilon) and the parameter-scale floor.
      d: clipping threshold of the update's RMS.
      weight_decay, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation`` (it needs ``params``); updates have their shapes.

    >>> tx = adafactor(0.5)
    >>> p = {"w": jnp.full((2,), 4.0)}
    >>> print(tx.update({"w": jnp.ones(2)}, tx.init(p), p)[0]["w"])
    [-2. -2.]
    """
    _checks.learning_rate("Adafactor", "lr", lr, schedule=True)
    at_least_zero("Adafactor", weight_decay=weight_decay)
    decay = _checks.scalar("Adafactor", "beta2_decay", beta2_decay)
    if decay is not None and decay > 0:
        raise _checks.fail("Adafactor", "beta2_decay", decay, "a number <= 0")
    if not isinstance(eps, (tuple, list)) or len(eps) != 2:
        raise _checks.fail("Adafactor", "eps", eps, "a pair (eps1 or None, eps2)")
    eps1, eps2 = eps
    if eps1 is not None:
        at_least_zero("Adafactor", **{"eps[0]": eps1})
    at_least_zero("Adafactor", **{"eps[1]": eps2})
    known_d = _checks.scalar("Adafactor", "d", d)
    if known_d is not None and known_d < 1:
        raise _checks.fail("Adafactor", "d", known_d, "a clipping threshold >= 1")

    def init_fn(params):
        def row(p):
            return jnp.zeros(p.shape[:-1] + (1,), p.dtype) if p.ndim > 1 else jnp.zeros_like(p)

        def col(p):
            return jnp.zeros(p.shape[:-2] + (1,) + p.shape[-1:], p.dtype) if p.ndim > 1 else jnp.zeros((0,), p.dtype)

        return TorchAdafactorState(jnp.zeros([], jnp.int32), jax.tree.map(row, params), jax.tree.map(col, params))

    def update_fn(updates, state, params=None):
        count = increment(state.count)
        step = count.astype(float)
        rate = lr_at(lr, state.count)
        beta_t = step**beta2_decay
        rho = jnp.minimum(rate, 1 / jnp.sqrt(step))

        def one(g, p, row, col):
            g = -g if maximize else g
            floor = jnp.finfo(p.dtype).eps if eps1 is None else eps1
            alpha = jnp.maximum(eps2, jnp.linalg.norm(p.ravel()) / jnp.sqrt(p.size)) * rho
            if p.ndim > 1:
                row = row + beta_t * (jnp.mean(g * g, axis=-1, keepdims=True) - row)
                col = col + beta_t * (jnp.mean(g * g, axis=-2, keepdims=True) - col)
                var = row @ col / jnp.maximum(jnp.mean(row, axis=-2, keepdims=True), floor)
            else:
                row = row + beta_t * (g * g - row)
                var = row
            update = jax.lax.rsqrt(jnp.maximum(var, floor * floor)) * g
            denom = jnp.maximum(1.0, jnp.linalg.norm(update.ravel()) / (jnp.sqrt(update.size) * d))
            decay = 0.0 if off(weight_decay) else -rate * weight_decay * p
            return (decay - alpha / denom * update).astype(p.dtype), row.astype(p.dtype), col

        updates, row, col = map_leaves(one, 3, updates, params, state.row, state.col)
        return updates, TorchAdafactorState(count, row, col)

    return finish("Adafactor", [optax.GradientTransformation(init_fn, update_fn)], True)
