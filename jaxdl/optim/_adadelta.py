"""``torch.optim.Adadelta``: optax's scaling, with torch's descending default ``lr=1.0``."""

from __future__ import annotations

import jax.numpy as jnp  # noqa: F401 (the docstring example uses jnp)
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, at_least_zero, check_fraction, off
from jaxdl.optim._parts import finish, grad_prelude, scale_by_lr
from jaxdl.optim._recipe import torch_optimizer


@torch_optimizer("Adadelta")
def adadelta(
    lr: LearningRate = 1.0,
    rho: ArrayLike = 0.9,
    eps: ArrayLike = 1e-6,
    weight_decay: ArrayLike = 0,
    foreach: bool | None = None,
    *,
    capturable: bool = False,
    maximize: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Adadelta``: ``delta = sqrt(u + eps) / sqrt(v + eps) * g``; ``p -= lr * delta``.

    ``v`` and ``u`` are running means (factor ``rho``) of ``g**2`` and ``delta**2``.
    ``optax.adadelta`` defaults to ``learning_rate=None``, which applies ``+delta`` and
    ascends; here ``lr`` defaults to PyTorch's 1.0 and the step descends.

    Args:
      lr: learning rate or schedule.
      rho, eps, weight_decay, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adadelta()
    >>> float(tx.update({"w": jnp.ones(1)}, tx.init({"w": jnp.zeros(1)}))[0]["w"][0]) < 0
    True
    """
    _checks.learning_rate("Adadelta", "lr", lr, schedule=True)
    check_fraction("Adadelta", "rho", rho, one_allowed=True)
    at_least_zero("Adadelta", eps=eps, weight_decay=weight_decay)
    parts = grad_prelude(maximize, weight_decay)
    parts += [optax.scale_by_adadelta(rho=rho, eps=eps), scale_by_lr(lr)]
    return finish("Adadelta", parts, not off(weight_decay))
