"""``torch.optim.Adagrad``, and its accumulator as torch keeps it."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, at_least_zero, off
from jaxdl.optim._parts import finish, grad_prelude, scale_by_lr
from jaxdl.optim._recipe import torch_optimizer


class TorchAdagradState(NamedTuple):
    """State of :func:`scale_by_torch_adagrad`: the running sum of squared gradients."""

    sum_of_squares: optax.Updates


def scale_by_torch_adagrad(
    initial_accumulator_value: ArrayLike = 0.0, eps: ArrayLike = 1e-10
) -> optax.GradientTransformation:
    """torch Adagrad's scaling: ``s += g * g``; ``g / (sqrt(s) + eps)``.

    ``optax.scale_by_rss`` starts ``s`` at 0.1 and puts ``eps`` inside the sqrt.

    Args:
      initial_accumulator_value: starting value of ``s``.
      eps: added to ``sqrt(s)``.

    Returns:
      A ``GradientTransformation``; updates have the gradients' shapes.

    >>> tx = scale_by_torch_adagrad()
    >>> print(tx.update(jnp.array([3.0]), tx.init(jnp.zeros(1)))[0])
    [1.]
    """

    def init_fn(params):
        return TorchAdagradState(optax.tree.full_like(params, initial_accumulator_value))

    def update_fn(updates, state, params=None):
        del params
        sums = jax.tree.map(lambda s, g: s + g * g, state.sum_of_squares, updates)
        updates = jax.tree.map(lambda g, s: g / (jnp.sqrt(s) + eps), updates, sums)
        return updates, TorchAdagradState(sums)

    return optax.GradientTransformation(init_fn, update_fn)


@torch_optimizer("Adagrad")
def adagrad(
    lr: LearningRate = 1e-2,
    lr_decay: ArrayLike = 0,
    weight_decay: ArrayLike = 0,
    initial_accumulator_value: ArrayLike = 0,
    eps: ArrayLike = 1e-10,
    foreach: bool | None = None,
    *,
    maximize: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
) -> optax.GradientTransformation:
    """``torch.optim.Adagrad``: ``s += g**2``; ``p -= clr * g / (sqrt(s) + eps)``.

    ``clr = lr / (1 + (step - 1) * lr_decay)`` with ``lr`` the current (scheduled) rate.
    Unlike ``optax.adagrad``, eps sits outside the sqrt and the accumulator starts at
    ``initial_accumulator_value`` (default 0, optax 0.1).

    Args:
      lr: learning rate or schedule.
      lr_decay, weight_decay, initial_accumulator_value, eps, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adagrad(0.1)
    >>> print(tx.update({"w": jnp.full(2, 4.0)}, tx.init({"w": jnp.zeros(2)}))[0]["w"])
    [-0.1 -0.1]
    """
    _checks.learning_rate("Adagrad", "lr", lr, schedule=True)
    at_least_zero(
        "Adagrad",
        lr_decay=lr_decay,
        weight_decay=weight_decay,
        initial_accumulator_value=initial_accumulator_value,
        eps=eps,
    )

    def decayed(count):  # count = step - 1
        return (lr(count) if callable(lr) else lr) / (1 + count * lr_decay)

    parts = grad_prelude(maximize, weight_decay)
    parts += [
        scale_by_torch_adagrad(initial_accumulator_value, eps),
        scale_by_lr(lr if off(lr_decay) else decayed),
    ]
    return finish("Adagrad", parts, not off(weight_decay))
