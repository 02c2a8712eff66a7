"""``torch.optim.Adam`` and ``AdamW``, and Adam's scaling with torch's bias correction and AMSGrad."""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, at_least_zero, check_betas
from jaxdl.optim._parts import increment, scaled_step
from jaxdl.optim._recipe import torch_optimizer


class TorchAdamState(NamedTuple):
    """State of :func:`scale_by_torch_adam`: count, both moments, and (AMSGrad) the max second moment."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    mu: optax.Updates
    nu: optax.Updates
    nu_max: optax.Updates  # () without amsgrad


def _one_minus_power(decay: ArrayLike, count: ArrayLike) -> jax.Array:
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


def power(decay: ArrayLike, count: ArrayLike) -> jax.Array:
    """``decay**count`` (``count >= 1``), with a Python ``decay``'s ``log`` taken in double as PyTorch does."""
    if not isinstance(decay, numbers.Real):
        return jnp.power(decay, count)
    if decay == 0:
        return jnp.zeros_like(count, dtype=float)
    return jnp.exp(count * math.log(decay))


def scale_by_torch_adam(
    b1: ArrayLike = 0.9, b2: ArrayLike = 0.999, eps: ArrayLike = 1e-8, *, amsgrad: bool = False
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
        count = increment(state.count)
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu) if amsgrad else ()
        bc1, bc2 = _one_minus_power(b1, count), _one_minus_power(b2, count)
        updates = jax.tree.map(
            lambda m, v: (m / bc1.astype(m.dtype)) / (jnp.sqrt(v / bc2.astype(v.dtype)) + eps),
            mu,
            nu_max if amsgrad else nu,
        )
        return updates, TorchAdamState(count, mu, nu, nu_max)

    return optax.GradientTransformation(init_fn, update_fn)


@torch_optimizer("Adam")
def adam(
    lr: LearningRate = 1e-3,
    betas: tuple[ArrayLike, ArrayLike] = (0.9, 0.999),
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 0,
    amsgrad: bool = False,
    *,
    foreach: bool | None = None,
    maximize: bool = False,
    capturable: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
    decoupled_weight_decay: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Adam``: ``p -= lr * m_hat / (sqrt(v_hat) + eps)``.

    ``weight_decay`` is L2 added to the gradient, or with ``decoupled_weight_decay=True``
    AdamW's ``p *= 1 - lr * weight_decay`` using the current ``lr``. ``amsgrad`` keeps
    the running max of the raw second moment and bias-corrects it afterwards, as
    PyTorch does (``optax.amsgrad`` takes the max after bias correction). The bias
    corrections ``1 - beta**t`` are accurate in float32, as PyTorch's (optax's are off
    by ~1e-5 relative for beta2=0.999).

    Args:
      lr: learning rate or schedule.
      betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adam(0.1)
    >>> print(tx.update({"w": jnp.ones(1)}, tx.init({"w": jnp.zeros(1)}))[0]["w"])
    [-0.1]
    """
    owner = "AdamW" if decoupled_weight_decay else "Adam"
    _checks.learning_rate(owner, "lr", lr, schedule=True)
    at_least_zero(owner, eps=eps)
    b1, b2 = check_betas(owner, betas)
    at_least_zero(owner, weight_decay=weight_decay)
    return scaled_step(
        owner,
        scale_by_torch_adam(b1, b2, eps, amsgrad=amsgrad),
        lr=lr,
        weight_decay=weight_decay,
        maximize=maximize,
        decoupled=decoupled_weight_decay,
    )


@torch_optimizer("AdamW")
def adamw(
    lr: LearningRate = 1e-3,
    betas: tuple[ArrayLike, ArrayLike] = (0.9, 0.999),
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 1e-2,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
    foreach: bool | None = None,
    capturable: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
) -> optax.GradientTransformation:
    """``torch.optim.AdamW``: Adam plus decoupled decay ``p *= 1 - lr * weight_decay``.

    The decay uses the current (scheduled) ``lr``; ``weight_decay`` defaults to
    PyTorch's 1e-2 (``optax.adamw``: 1e-4).

    Args:
      lr: learning rate or schedule.
      betas, eps, weight_decay, amsgrad, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adamw(0.1, weight_decay=0.5)
    >>> p = {"w": jnp.ones(1)}
    >>> print(tx.update({"w": jnp.zeros(1)}, tx.init(p), p)[0]["w"])
    [-0.05]
    """
    return adam(lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)
