"""``CyclicLR``: the learning rate in triangles between two bounds; the momentum, inversely.

PyTorch writes the cycled momentum into the optimizer (SGD ``momentum`` or Adam ``betas[0]``);
jaxdl returns it as the schedule's ``.momentum`` attribute, a schedule of its own
(``None`` when ``cycle_momentum=False``). ``fit`` and :func:`jaxdl.train.scheduled` set it in a
:mod:`jaxdl.optim` optimizer as PyTorch does (:func:`jaxdl.optim.cycle_momentum`); for optax's own,
``optax.inject_hyperparams(optax.sgd)(learning_rate=s, momentum=s.momentum)`` or
``optax.inject_hyperparams(optax.adam)(learning_rate=s, b1=s.momentum)``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.schedules._schedule import CountFn, Schedule, as_float


def _cyclic_shape(
    total: float, ratio: float, scale_fn: Callable[[jax.Array], ArrayLike], by_cycle: bool
) -> Callable[[jax.Array], tuple[jax.Array, ArrayLike]]:
    """``count -> (triangle height in [0, 1], scale)`` following ``CyclicLR.get_lr``."""

    def shape(count: jax.Array) -> tuple[jax.Array, ArrayLike]:
        t = as_float(count)
        cycle = jnp.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        height = jnp.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        return height, scale_fn(cycle if by_cycle else t)

    return shape


def cyclic_lr(
    base_lr: ArrayLike,
    max_lr: ArrayLike,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable[[jax.Array], ArrayLike] | None = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
) -> Schedule:
    """``CyclicLR``: triangles between ``base_lr`` and ``max_lr``; momentum moves the opposite way.

    ``mode`` is ``"triangular"``, ``"triangular2"`` (amplitude halves each cycle) or
    ``"exp_range"`` (amplitude times ``gamma ** count``); a custom ``scale_fn`` (traceable by
    JAX) of the cycle number or the count (``scale_mode``) replaces ``mode``.
    ``.momentum`` goes from ``max_momentum`` down to ``base_momentum`` as the rate rises.

    >>> s = cyclic_lr(0.0, 1.0, step_size_up=2)
    >>> [float(v) for v in s(jnp.arange(5))], [round(float(m), 2) for m in s.momentum(jnp.arange(3))]
    ([0.0, 0.5, 1.0, 0.5, 0.0], [0.9, 0.85, 0.8])
    """
    where = "CyclicLR"
    base_lr = _checks.learning_rate(where, "base_lr", base_lr)
    max_lr = _checks.learning_rate(where, "max_lr", max_lr)
    up = _checks.number(where, "step_size_up", step_size_up, low=0.0, low_open=True)
    down = up if step_size_down is None else _checks.number(where, "step_size_down", step_size_down, low=0.0)
    gamma = _checks.number(where, "gamma", gamma, low=0.0, low_open=True)
    scale_mode = _checks.choice(where, "scale_mode", scale_mode, ("cycle", "iterations"))
    if scale_fn is None:
        mode = _checks.choice(where, "mode", mode, ("triangular", "triangular2", "exp_range"))
        modes: dict[str, Callable[[jax.Array], ArrayLike]] = {
            "triangular": lambda x: jnp.ones_like(x),
            "triangular2": lambda x: 1 / 2.0 ** (x - 1),
            "exp_range": lambda x: gamma**x,
        }
        scale_fn = modes[mode]
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    else:
        scale_fn = _checks.traceable(where, "scale_fn", scale_fn, example=1.0)
    total = up + down
    shape = _cyclic_shape(total, up / total, scale_fn, scale_mode == "cycle")

    def fn(count: jax.Array) -> jax.Array:
        height, scale = shape(count)
        return base_lr + (max_lr - base_lr) * height * scale

    momentum: CountFn | None = None
    if _checks.choice(where, "cycle_momentum", cycle_momentum, (True, False)):
        low = _checks.number(where, "base_momentum", base_momentum)
        high = _checks.number(where, "max_momentum", max_momentum)

        def cycled(count: jax.Array) -> jax.Array:
            height, scale = shape(count)
            return high - (high - low) * height * scale

        momentum = cycled

    return Schedule(where, fn, base_lr, momentum=momentum)
