"""``torch.optim.Rprop``: resilient backpropagation, one step size per weight driven by gradient signs."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.optim._args import LearningRate, lr_at
from jaxdl.optim._parts import finish, grad_prelude, increment, map_leaves
from jaxdl.optim._recipe import torch_optimizer


class RpropState(NamedTuple):
    """State of :func:`rprop`: count, the previous (masked) gradient and the per-weight step sizes."""

    count: jax.Array  # pyright: ignore[reportIncompatibleMethodOverride]  # optax's field name; shadows tuple.count
    prev: optax.Updates
    step_size: optax.Updates


def _pair(name: str, value, example: tuple) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise _checks.fail("Rprop", name, value, f"a pair, e.g. {example}")
    for i, v in enumerate(value):
        _checks.scalar("Rprop", f"{name}[{i}]", v)
    return tuple(value)


@torch_optimizer("Rprop")
def rprop(
    lr: LearningRate = 1e-2,
    etas: tuple[ArrayLike, ArrayLike] = (0.5, 1.2),
    step_sizes: tuple[ArrayLike, ArrayLike] = (1e-6, 50),
    *,
    capturable: bool = False,
    foreach: bool | None = None,
    maximize: bool = False,
    differentiable: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Rprop``: ``p -= sign(g) * step``; the step grows by ``etaplus`` while the sign holds.

    Every step size starts at ``lr`` (a schedule is read once, at count 0: PyTorch's ``lr`` only
    sets the initial step sizes). Where the gradient's sign flips, the step shrinks by
    ``etaminus``, that weight does not move and its gradient is remembered as 0. Steps stay in
    ``step_sizes = (min, max)``. ``optax.rprop`` has the same rule and defaults but no
    ``maximize``.

    Args:
      lr: initial step size.
      etas: ``(etaminus, etaplus)``, with ``0 < etaminus < 1 < etaplus``.
      step_sizes, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = rprop(0.1)
    >>> print(tx.update({"w": jnp.array([-3.0])}, tx.init({"w": jnp.zeros(1)}))[0]["w"])
    [0.1]
    """
    _checks.learning_rate("Rprop", "lr", lr, schedule=True)
    etaminus, etaplus = _pair("etas", etas, (0.5, 1.2))
    low, high = _pair("step_sizes", step_sizes, (1e-6, 50))
    known_minus, known_plus = (_checks.scalar("Rprop", "etas", e) for e in (etaminus, etaplus))
    if known_minus is not None and known_plus is not None and not 0.0 < known_minus < 1.0 < known_plus:
        raise _checks.fail("Rprop", "etas", etas, "a pair (etaminus, etaplus) with 0 < etaminus < 1 < etaplus")

    def init_fn(params):
        lr0 = lr_at(lr, jnp.zeros([], jnp.int32))
        return RpropState(
            jnp.zeros([], jnp.int32),
            optax.tree.zeros_like(params),
            jax.tree.map(lambda p: jnp.full_like(p, lr0), params),
        )

    def update_fn(updates, state, params=None):
        del params

        def one(g, prev, step):
            sign = jnp.sign(g * prev)
            factor = jnp.where(sign > 0, etaplus, jnp.where(sign < 0, etaminus, 1.0)).astype(g.dtype)
            step = jnp.clip(step * factor, low, high).astype(g.dtype)
            g = jnp.where(factor == etaminus, 0, g)
            return -jnp.sign(g) * step, g, step

        updates, prev, step_size = map_leaves(one, 3, updates, state.prev, state.step_size)
        return updates, RpropState(increment(state.count), prev, step_size)

    parts = grad_prelude(maximize, 0)
    parts.append(optax.GradientTransformation(init_fn, update_fn))
    return finish("Rprop", parts, False)
