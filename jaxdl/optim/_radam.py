"""``torch.optim.RAdam``: Adam whose adaptive step is switched on by the variance rectification."""

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


class TorchRAdamState(NamedTuple):
    """State of :func:`scale_by_torch_radam`: count and both moments."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    mu: optax.Updates
    nu: optax.Updates


def scale_by_torch_radam(
    b1: ArrayLike = 0.9, b2: ArrayLike = 0.999, eps: ArrayLike = 1e-8
) -> optax.GradientTransformation:
    """torch RAdam's direction: ``m_hat * r_t * sqrt(1 - b2**t) / (sqrt(v) + eps)`` when ``rho_t > 5``, else ``m_hat``.

    ``optax.scale_by_radam`` adds ``eps`` to ``sqrt(v_hat)`` (PyTorch: to ``sqrt(v)``) and
    switches at ``rho_t >= 5`` (PyTorch: ``> 5``).

    Returns:
      A ``GradientTransformation``; updates have the gradients' shapes.

    >>> tx = scale_by_torch_radam()
    >>> print(f"{float(tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))[0][0]):.4f}")
    2.0000
    """
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return TorchRAdamState(jnp.zeros([], jnp.int32), zeros, zeros)

    def update_fn(updates, state, params=None):
        del params
        count = increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        bc1, bc2 = _one_minus_power(b1, count), _one_minus_power(b2, count)
        rho_t = rho_inf - 2.0 * count * power(b2, count) / bc2
        on = rho_t > 5.0
        safe_rho = jnp.where(on, rho_t, 6.0)
        rect = jnp.sqrt((safe_rho - 4) * (safe_rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe_rho))

        def direction(m, v):
            m_hat = m / bc1.astype(m.dtype)
            adaptive = jnp.sqrt(bc2).astype(v.dtype) / (jnp.sqrt(v) + eps)
            return jnp.where(on, m_hat * adaptive * rect.astype(m.dtype), m_hat)

        return jax.tree.map(direction, mu, nu), TorchRAdamState(count, mu, nu)

    return optax.GradientTransformation(init_fn, update_fn)


@torch_optimizer("RAdam")
def radam(
    lr: LearningRate = 1e-3,
    betas: tuple[ArrayLike, ArrayLike] = (0.9, 0.999),
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 0,
    decoupled_weight_decay: bool = False,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
    capturable: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.RAdam``: rectified Adam (plain momentum SGD while ``rho_t <= 5``).

    ``weight_decay`` is L2 added to the gradient, or with ``decoupled_weight_decay=True``
    ``p *= 1 - lr * weight_decay``.

    Args:
      lr: learning rate or schedule.
      betas, eps, weight_decay, decoupled_weight_decay, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = radam(0.1)
    >>> print(f"{float(tx.update({'w': jnp.ones(1)}, tx.init({'w': jnp.zeros(1)}))[0]['w'][0]):.4f}")
    -0.1000
    """
    _checks.learning_rate("RAdam", "lr", lr, schedule=True)
    at_least_zero("RAdam", eps=eps, weight_decay=weight_decay)
    b1, b2 = check_betas("RAdam", betas)
    return scaled_step(
        "RAdam",
        scale_by_torch_radam(b1, b2, eps),
        lr=lr,
        weight_decay=weight_decay,
        maximize=maximize,
        decoupled=decoupled_weight_decay,
    )
