"""``torch.optim.SGD``, and the dampened momentum buffer that optax lacks."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, at_least_zero, off
from jaxdl.optim._parts import finish, grad_prelude, increment, scale_by_lr
from jaxdl.optim._recipe import torch_optimizer


class DampenedTraceState(NamedTuple):
    """State of :func:`dampened_trace`: the step count and the momentum buffer."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    trace: optax.Updates


def dampened_trace(momentum: ArrayLike, dampening: ArrayLike) -> optax.GradientTransformation:
    """torch SGD's momentum buffer: ``buf = g`` at first, then ``momentum * buf + (1 - dampening) * g``.

    ``optax.trace`` is the ``dampening=0`` case only (its buffer starts at 0, which
    for ``dampening=0`` gives the same first step). With ``momentum == 0`` (an array: a
    swept value) the update is ``g``, as torch, which then keeps no buffer at all.

    Args:
      momentum: buffer decay.
      dampening: share of the gradient held back from the buffer after the first step.

    Returns:
      A ``GradientTransformation`` whose updates are the buffer (gradients' shapes).

    >>> tx = dampened_trace(0.9, 0.5)
    >>> s = tx.init(jnp.zeros(1))
    >>> u, s = tx.update(jnp.ones(1), s)
    >>> print(tx.update(jnp.ones(1), s)[0])
    [1.4]
    """

    def init_fn(params):
        return DampenedTraceState(jnp.zeros([], jnp.int32), optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        first = state.count == 0
        trace = jax.tree.map(
            lambda g, buf: jnp.where(first | (momentum == 0), g, momentum * buf + (1 - dampening) * g),
            updates,
            state.trace,
        )
        return trace, DampenedTraceState(increment(state.count), trace)

    return optax.GradientTransformation(init_fn, update_fn)


@torch_optimizer("SGD")
def sgd(
    lr: LearningRate = 1e-3,
    momentum: ArrayLike = 0,
    dampening: ArrayLike = 0,
    weight_decay: ArrayLike = 0,
    nesterov: bool = False,
    *,
    maximize: bool = False,
    foreach: bool | None = None,
    differentiable: bool = False,
    fused: bool | None = None,
) -> optax.GradientTransformation:
    """``torch.optim.SGD``: ``buf = momentum * buf + (1 - dampening) * g``; ``p -= lr * buf``.

    The buffer holds the un-scaled gradient (``buf = g`` on the first step) and ``lr``
    multiplies at the end, so a schedule changes the step, not the buffer. Nesterov
    uses ``g + momentum * buf``. ``weight_decay`` is L2 added to the gradient.

    Args:
      lr: learning rate or schedule (torch 2.13's default 1e-3).
      momentum, dampening, weight_decay, nesterov, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = sgd(0.1, momentum=0.9)
    >>> print(tx.update({"w": jnp.ones(2)}, tx.init({"w": jnp.zeros(2)}))[0]["w"])
    [-0.1 -0.1]
    """
    _checks.learning_rate("SGD", "lr", lr, schedule=True)
    at_least_zero("SGD", momentum=momentum, weight_decay=weight_decay)
    _checks.scalar("SGD", "dampening", dampening)
    known_momentum = _checks.scalar("SGD", "momentum", momentum)
    if nesterov and known_momentum is not None and known_momentum <= 0:
        raise _checks.fail("SGD", "momentum", known_momentum, "a number > 0 with nesterov=True")
    if nesterov and not off(dampening):
        raise _checks.fail("SGD", "dampening", dampening, "the number 0 with nesterov=True (it cannot be swept)")
    parts = grad_prelude(maximize, weight_decay)
    if not off(momentum):
        parts.append(optax.trace(momentum, nesterov) if off(dampening) else dampened_trace(momentum, dampening))
    parts.append(scale_by_lr(lr))
    return finish("SGD", parts, not off(weight_decay))
