"""``torch.optim.ASGD``: SGD with a decaying step and a running average of the parameters."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, at_least_zero, lr_at
from jaxdl.optim._parts import finish, grad_prelude, increment
from jaxdl.optim._recipe import torch_optimizer


class ASGDState(NamedTuple):
    """State of :func:`asgd`: count, the step ``eta``, the averaging weight ``mu`` and the average ``ax``."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    eta: jax.Array
    mu: jax.Array
    ax: optax.Params


@torch_optimizer("ASGD")
def asgd(
    lr: LearningRate = 1e-2,
    lambd: ArrayLike = 1e-4,
    alpha: ArrayLike = 0.75,
    t0: ArrayLike = 1e6,
    weight_decay: ArrayLike = 0,
    foreach: bool | None = None,
    maximize: bool = False,
    differentiable: bool = False,
    capturable: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.ASGD``: ``p = p * (1 - lambd * eta) - eta * g``, and the average ``ax`` of the ``p``.

    ``eta`` starts at ``lr`` and becomes ``lr / (1 + lambd * lr * t)**alpha`` after step ``t``
    (with the ``lr`` of that step, as PyTorch reads its param group's ``lr``); ``ax`` averages
    the parameters from step ``t0`` on (``mu = 1 / max(1, t - t0)``) and is ``state.ax`` (the
    trained parameters are ``p``, as in PyTorch). optax has no ASGD.

    Args:
      lr: learning rate or schedule.
      lambd, alpha, t0, weight_decay, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation`` (it needs ``params``); updates have their shapes.

    >>> tx = asgd(0.1, lambd=0.0)
    >>> p = {"w": jnp.zeros(1)}
    >>> print(tx.update({"w": jnp.ones(1)}, tx.init(p), p)[0]["w"])
    [-0.1]
    """
    _checks.learning_rate("ASGD", "lr", lr, schedule=True)
    at_least_zero("ASGD", weight_decay=weight_decay)
    for name, value in (("lambd", lambd), ("alpha", alpha), ("t0", t0)):
        _checks.scalar("ASGD", name, value)

    def init_fn(params):
        eta = jnp.asarray(lr_at(lr, jnp.zeros([], jnp.int32)), dtype=float)
        return ASGDState(jnp.zeros([], jnp.int32), eta, jnp.ones([]), optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        count = increment(state.count)
        eta = state.eta
        new = jax.tree.map(lambda p, g: (p * (1 - lambd * eta) - eta * g).astype(p.dtype), params, updates)
        ax = jax.tree.map(
            lambda a, p: jnp.where(state.mu == 1, p, a + (p - a) * state.mu).astype(a.dtype), state.ax, new
        )
        step = count.astype(eta.dtype)
        rate = lr_at(lr, state.count)
        next_eta = rate / (1 + lambd * rate * step) ** alpha
        next_mu = 1 / jnp.maximum(1.0, step - t0)
        updates = jax.tree.map(lambda n, p: n - p, new, params)
        return updates, ASGDState(count, jnp.asarray(next_eta, eta.dtype), jnp.asarray(next_mu, eta.dtype), ax)

    parts = grad_prelude(maximize, weight_decay)
    parts.append(optax.GradientTransformation(init_fn, update_fn))
    return finish("ASGD", parts, True)
