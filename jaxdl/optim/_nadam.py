"""``torch.optim.NAdam``: Adam with Nesterov momentum and PyTorch's momentum-decay schedule."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._adam import _one_minus_power, power
from jaxdl.optim._args import LearningRate, at_least_zero, check_betas
from jaxdl.optim._parts import increment, scaled_step
from jaxdl.optim._recipe import torch_optimizer


class TorchNAdamState(NamedTuple):
    """State of :func:`scale_by_torch_nadam`: count, both moments, and the product of the ``mu_t``."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    mu: optax.Updates
    nu: optax.Updates
    mu_product: jax.Array


def scale_by_torch_nadam(
    b1: ArrayLike = 0.9, b2: ArrayLike = 0.999, eps: ArrayLike = 1e-8, momentum_decay: ArrayLike = 4e-3
) -> optax.GradientTransformation:
    """torch NAdam's direction (Dozat's NAdam with ``mu_t = b1 * (1 - 0.5 * 0.96**(t * momentum_decay))``).

    ``(1 - mu_t) / (1 - prod mu) * g / d + mu_{t+1} / (1 - prod mu * mu_{t+1}) * m / d`` with
    ``d = sqrt(v / (1 - b2**t)) + eps``. ``optax.nadam`` uses a constant ``b1`` in place of
    ``mu_t`` and puts ``eps`` elsewhere: its numbers differ.

    Returns:
      A ``GradientTransformation``; updates have the gradients' shapes.

    >>> tx = scale_by_torch_nadam(eps=0.0)
    >>> print(f"{float(tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))[0][0]):.4f}")
    1.0565
    """

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return TorchNAdamState(jnp.zeros([], jnp.int32), zeros, zeros, jnp.ones([]))

    def update_fn(updates, state, params=None):
        del params
        count = increment(state.count)
        mu_t = b1 * (1.0 - 0.5 * power(0.96, count * momentum_decay))
        mu_next = b1 * (1.0 - 0.5 * power(0.96, (count + 1) * momentum_decay))
        mu_product = state.mu_product * mu_t
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        bc2 = _one_minus_power(b2, count)
        grad_coef = (1.0 - mu_t) / (1.0 - mu_product)
        mom_coef = mu_next / (1.0 - mu_product * mu_next)

        def direction(g, m, v):
            denom = jnp.sqrt(v / bc2.astype(v.dtype)) + eps
            return (grad_coef * g / denom + mom_coef * m / denom).astype(g.dtype)

        updates = jax.tree.map(direction, updates, mu, nu)
        return updates, TorchNAdamState(count, mu, nu, mu_product)

    return optax.GradientTransformation(init_fn, update_fn)


@torch_optimizer("NAdam")
def nadam(
    lr: LearningRate = 2e-3,
    betas: tuple[ArrayLike, ArrayLike] = (0.9, 0.999),
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 0,
    momentum_decay: ArrayLike = 4e-3,
    decoupled_weight_decay: bool = False,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
    capturable: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.NAdam``: Nesterov-accelerated Adam with PyTorch's ``momentum_decay`` schedule.

    ``weight_decay`` is L2 added to the gradient, or with ``decoupled_weight_decay=True``
    ``p *= 1 - lr * weight_decay`` (NAdamW).

    Args:
      lr: learning rate or schedule (torch's default 2e-3; ``optax.nadam`` has no default).
      betas, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = nadam(0.1, eps=0.0)
    >>> print(f"{float(tx.update({'w': jnp.ones(1)}, tx.init({'w': jnp.zeros(1)}))[0]['w'][0]):.4f}")
    -0.1056
    """
    _checks.learning_rate("NAdam", "lr", lr, schedule=True)
    at_least_zero("NAdam", eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
    b1, b2 = check_betas("NAdam", betas)
    return scaled_step(
        "NAdam",
        scale_by_torch_nadam(b1, b2, eps, momentum_decay),
        lr=lr,
        weight_decay=weight_decay,
        maximize=maximize,
        decoupled=decoupled_weight_decay,
    )
