"""``torch.optim.RMSprop`` from optax pieces, with torch's eps placement and defaults."""

from __future__ import annotations

import jax.numpy as jnp  # noqa: F401 (the docstring example uses jnp)
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, at_least_zero, off
from jaxdl.optim._parts import finish, grad_prelude, scale_by_lr
from jaxdl.optim._recipe import torch_optimizer


@torch_optimizer("RMSprop")
def rmsprop(
    lr: LearningRate = 1e-2,
    alpha: ArrayLike = 0.99,
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 0,
    momentum: ArrayLike = 0,
    centered: bool = False,
    capturable: bool = False,
    foreach: bool | None = None,
    maximize: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.RMSprop``: ``v = alpha * v + (1 - alpha) * g**2``; ``avg = sqrt(v) + eps``.

    Without momentum ``p -= lr * g / avg``; with it ``buf = momentum * buf + g / avg`` and
    ``p -= lr * buf`` (the scheduled ``lr`` is applied after the buffer). ``centered``
    subtracts the squared running mean of ``g`` inside the sqrt. Unlike
    ``optax.rmsprop``, eps sits outside the sqrt and alpha defaults to 0.99 (optax 0.9).

    Args:
      lr: learning rate or schedule.
      alpha, eps, weight_decay, momentum, centered, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = rmsprop(0.01, eps=0.0)
    >>> print(tx.update({"w": jnp.ones(1)}, tx.init({"w": jnp.zeros(1)}))[0]["w"])
    [-0.09999999]
    """
    _checks.learning_rate("RMSprop", "lr", lr, schedule=True)
    at_least_zero("RMSprop", alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
    scale = optax.scale_by_stddev if centered else optax.scale_by_rms
    parts = grad_prelude(maximize, weight_decay)
    parts.append(scale(decay=alpha, eps=eps, initial_scale=0.0, eps_in_sqrt=False))
    if not off(momentum):
        parts.append(optax.trace(momentum))
    parts.append(scale_by_lr(lr))
    return finish("RMSprop", parts, not off(weight_decay))
