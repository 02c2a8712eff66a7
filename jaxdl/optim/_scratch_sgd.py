"""d2l's from-scratch minibatch SGD, as an ``optax.GradientTransformation``."""

from __future__ import annotations

import jax
import jax.numpy as jnp  # noqa: F401 (the docstring example uses jnp)
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import at_least_zero


def scratch_sgd(lr: ArrayLike) -> optax.GradientTransformation:
    """d2l's from-scratch minibatch SGD (its ``SGD(params, lr)``): ``p <- p - lr * g`` for every leaf, no state.

    PyTorch's ``torch.optim.SGD`` (momentum, weight decay, ...) is :func:`~jaxdl.optim.sgd`.

    Args:
      lr: learning rate, a float >= 0 or a scalar array (e.g. traced under ``vmap``).

    Returns:
      A stateless ``optax.GradientTransformation``; ``update`` returns ``-lr * g``
      with the gradient's shape and dtype.

    >>> tx = scratch_sgd(0.1)
    >>> print(tx.update({"w": jnp.ones(2)}, tx.init(None))[0]["w"])
    [-0.1 -0.1]
    """
    known = _checks.scalar("scratch_sgd", "lr", lr)  # None for a swept (traced) rate
    if known is not None:
        at_least_zero("scratch_sgd", lr=known)
        lr = known

    def init_fn(params):
        del params
        return optax.EmptyState()

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(lambda g: -(lr * g), updates), state

    return optax.GradientTransformation(init_fn, update_fn)
