"""``torch.optim.Adamax``: Adam with the infinity norm, bias correction as PyTorch computes it."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._adam import _one_minus_power
from jaxdl.optim._args import LearningRate, at_least_zero, check_betas
from jaxdl.optim._parts import increment, scaled_step
from jaxdl.optim._recipe import torch_optimizer


class TorchAdamaxState(NamedTuple):
    """State of :func:`scale_by_torch_adamax`: count, first moment, infinity norm."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    mu: optax.Updates
    nu: optax.Updates


def scale_by_torch_adamax(
    b1: ArrayLike = 0.9, b2: ArrayLike = 0.999, eps: ArrayLike = 1e-8
) -> optax.GradientTransformation:
    """``m / ((1 - b1**t) * u)`` with ``u = max(b2 * u, |g| + eps)``, as torch's Adamax.

    ``optax.scale_by_adamax`` has the same formula; its ``1 - b1**t`` is raised in the
    gradients' dtype, PyTorch's in double (this one matches PyTorch in float32).

    Returns:
      A ``GradientTransformation``; updates have the gradients' shapes.

    >>> tx = scale_by_torch_adamax()
    >>> print(f"{float(tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))[0][0]):.4f}")
    1.0000
    """

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return TorchAdamaxState(jnp.zeros([], jnp.int32), zeros, zeros)

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = jax.tree.map(lambda g, u: jnp.maximum(b2 * u, jnp.abs(g) + eps), updates, state.nu)
        count = increment(state.count)
        bc = _one_minus_power(b1, count)
        updates = jax.tree.map(lambda m, u: m / (bc.astype(m.dtype) * u), mu, nu)
        return updates, TorchAdamaxState(count, mu, nu)

    return optax.GradientTransformation(init_fn, update_fn)


@torch_optimizer("Adamax")
def adamax(
    lr: LearningRate = 2e-3,
    betas: tuple[ArrayLike, ArrayLike] = (0.9, 0.999),
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 0,
    foreach: bool | None = None,
    *,
    maximize: bool = False,
    differentiable: bool = False,
    capturable: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Adamax``: ``p -= lr / (1 - beta1**t) * m / u``, ``u = max(beta2 * u, |g| + eps)``.

    ``weight_decay`` is L2 added to the gradient.

    Args:
      lr: learning rate or schedule (torch's default 2e-3; ``optax.adamax`` has no default
        and no weight decay).
      betas, eps, weight_decay, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adamax(0.1)
    >>> print(f"{float(tx.update({'w': jnp.ones(1)}, tx.init({'w': jnp.zeros(1)}))[0]['w'][0]):.4f}")
    -0.1000
    """
    _checks.learning_rate("Adamax", "lr", lr, schedule=True)
    at_least_zero("Adamax", eps=eps, weight_decay=weight_decay)
    b1, b2 = check_betas("Adamax", betas)
    return scaled_step(
        "Adamax", scale_by_torch_adamax(b1, b2, eps), lr=lr, weight_decay=weight_decay, maximize=maximize
    )
