"""``torch.optim.swa_utils.SWALR``: anneal the rate from the optimizer's to ``swa_lr``, then hold it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.schedules._schedule import Schedule, as_float


def swalr(lr: ArrayLike, swa_lr: ArrayLike, anneal_epochs: int = 10, anneal_strategy: str = "cos") -> Schedule:
    """``SWALR``: from ``lr`` (the optimizer's rate) to ``swa_lr`` over ``anneal_epochs`` steps, then ``swa_lr``.

    The rate after ``count`` steps is ``swa_lr * alpha + lr * (1 - alpha)`` with
    ``alpha = anneal(min(1, count / anneal_epochs))``, ``anneal`` being ``(1 - cos(pi t)) / 2``
    ("cos") or ``t`` ("linear"); ``anneal_epochs=0`` jumps to ``swa_lr`` at once. Its
    ``update`` replays PyTorch's per-step recursion, so it chains (``chained_scheduler``) and
    follows other schedules (``sequential_lr``) as in PyTorch.

    >>> [round(float(v), 3) for v in swalr(1.0, 0.1, anneal_epochs=2, anneal_strategy="linear")(jnp.arange(4))]
    [1.0, 0.55, 0.1, 0.1]
    """
    where = "SWALR"
    lr = _checks.learning_rate(where, "lr", lr)
    swa_lr = _checks.learning_rate(where, "swa_lr", swa_lr)
    anneal_epochs = _checks.integer(where, "anneal_epochs", anneal_epochs, low=0)
    strategy = _checks.choice(where, "anneal_strategy", anneal_strategy, ("cos", "linear"))

    def alpha(step: jax.Array) -> jax.Array:
        t = jnp.clip(as_float(step) / max(1, anneal_epochs), 0.0, 1.0)
        return (1 - jnp.cos(jnp.pi * t)) / 2 if strategy == "cos" else t

    def step_of(count: jax.Array) -> jax.Array:
        return jnp.maximum(count, 1) if anneal_epochs == 0 else count

    def fn(count: jax.Array) -> jax.Array:
        a = alpha(step_of(count))
        return swa_lr * a + lr * (1 - a)

    def update(rate: jax.Array, count: jax.Array) -> jax.Array:
        step = step_of(count)
        prev_alpha, a = alpha(step - 1), alpha(step)
        initial = jnp.where(prev_alpha == 1, swa_lr, (rate - prev_alpha * swa_lr) / (1 - prev_alpha))
        return swa_lr * a + initial * (1 - a)

    return Schedule(where, fn, lr, update=update)
