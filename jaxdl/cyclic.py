"""``CyclicLR`` and ``OneCycleLR``: schedules that cycle the learning rate and, inversely, the momentum.

PyTorch writes the cycled momentum into the optimizer (SGD ``momentum`` or Adam ``betas[0]``);
jaxdl returns it as the schedule's ``.momentum`` attribute, a schedule of its own
(``None`` when ``cycle_momentum=False``). Feed it to optax with
``optax.inject_hyperparams(optax.sgd)(learning_rate=s, momentum=s.momentum)`` or
``optax.inject_hyperparams(optax.adam)(learning_rate=s, b1=s.momentum)``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl.errors import ConfigError
from jaxdl.schedule_core import Schedule, as_float, check_choice, check_int, check_lr, check_number, check_traceable


def _cyclic_shape(total: float, ratio: float, scale_fn: Callable, by_cycle: bool):
    """``count -> (triangle height in [0, 1], scale)`` following ``CyclicLR.get_lr``."""

    def shape(count: jax.Array) -> tuple[jax.Array, jax.Array]:
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
    base_lr = check_lr(where, "base_lr", base_lr)
    max_lr = check_lr(where, "max_lr", max_lr)
    up = check_number(where, "step_size_up", step_size_up, low=0.0, low_open=True)
    down = up if step_size_down is None else check_number(where, "step_size_down", step_size_down, low=0.0)
    gamma = check_number(where, "gamma", gamma, low=0.0, low_open=True)
    scale_mode = check_choice(where, "scale_mode", scale_mode, ("cycle", "iterations"))
    if scale_fn is None:
        mode = check_choice(where, "mode", mode, ("triangular", "triangular2", "exp_range"))
        scale_fn = {
            "triangular": lambda x: jnp.ones_like(x),
            "triangular2": lambda x: 1 / 2.0 ** (x - 1),
            "exp_range": lambda x: gamma**x,
        }[mode]
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    else:
        scale_fn = check_traceable(where, "scale_fn", scale_fn, example=1.0)
    total = up + down
    shape = _cyclic_shape(total, up / total, scale_fn, scale_mode == "cycle")

    def fn(count: jax.Array) -> jax.Array:
        height, scale = shape(count)
        return base_lr + (max_lr - base_lr) * height * scale

    momentum = None
    if check_choice(where, "cycle_momentum", cycle_momentum, (True, False)):
        low = check_number(where, "base_momentum", base_momentum)
        high = check_number(where, "max_momentum", max_momentum)

        def momentum(count: jax.Array) -> jax.Array:
            height, scale = shape(count)
            return high - (high - low) * height * scale

    return Schedule(where, fn, base_lr, momentum=momentum)


def _anneal(strategy: str, start: float, end: float, pct: jax.Array) -> jax.Array:
    if strategy == "cos":
        return end + (start - end) / 2.0 * (jnp.cos(jnp.pi * pct) + 1)
    return (end - start) * pct + start


def one_cycle_lr(
    max_lr: ArrayLike,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """``OneCycleLR``: warm up from ``max_lr / div_factor`` to ``max_lr``, then anneal far below.

    The peak is at count ``pct_start * total_steps - 1`` (``optax.cosine_onecycle_schedule``
    peaks one step later). PyTorch raises after ``total_steps`` steps; jaxdl holds the value
    at ``total_steps``. ``.momentum`` cycles from ``max_momentum`` to ``base_momentum`` and back.

    >>> s = one_cycle_lr(1.0, total_steps=10, anneal_strategy="linear", div_factor=2.0)
    >>> [round(float(v), 2) for v in s(jnp.arange(3))]
    [0.5, 0.75, 1.0]
    """
    where = "OneCycleLR"
    max_lr = check_lr(where, "max_lr", max_lr)
    if total_steps is not None:
        total_steps = check_int(where, "total_steps", total_steps, low=1)
    elif epochs is not None and steps_per_epoch is not None:
        total_steps = check_int(where, "epochs", epochs, low=1) * check_int(
            where, "steps_per_epoch", steps_per_epoch, low=1
        )
    else:
        raise ConfigError(f"{where}: give total_steps, or both epochs and steps_per_epoch")
    pct_start = check_number(where, "pct_start", pct_start, low=0.0, high=1.0)
    strategy = check_choice(where, "anneal_strategy", anneal_strategy, ("cos", "linear"))
    div_factor = check_number(where, "div_factor", div_factor, low=0.0, low_open=True)
    final_div_factor = check_number(where, "final_div_factor", final_div_factor, low=0.0, low_open=True)
    initial_lr = max_lr / div_factor
    lr_at = {"initial": initial_lr, "max": max_lr, "min": initial_lr / final_div_factor}
    up_end = float(pct_start * total_steps) - 1
    if check_choice(where, "three_phase", three_phase, (True, False)):
        phases = [(up_end, "initial", "max", "max", "base"),
                  (float(2 * pct_start * total_steps) - 2, "max", "initial", "base", "max"),
                  (total_steps - 1, "initial", "min", "max", "max")]
    else:
        phases = [(up_end, "initial", "max", "max", "base"), (total_steps - 1, "max", "min", "base", "max")]
    starts = [0.0] + [p[0] for p in phases[:-1]]
    for start, (end, *_) in zip(starts, phases):
        if end == start:
            raise ConfigError(
                f"{where}: pct_start={pct_start} with total_steps={total_steps} gives a phase of "
                "zero steps (PyTorch divides by zero there)"
            )

    def piecewise(values: dict[str, ArrayLike], first: int) -> Callable[[jax.Array], jax.Array]:
        def fn(count: jax.Array) -> jax.Array:
            t = jnp.minimum(as_float(count), total_steps)
            out = None
            for start, phase in reversed(list(zip(starts, phases))):
                end, a, b = phase[0], values[phase[first]], values[phase[first + 1]]
                value = _anneal(strategy, a, b, (t - start) / (end - start))
                out = value if out is None else jnp.where(t <= end, value, out)
            return out

        return fn

    momentum = None
    if check_choice(where, "cycle_momentum", cycle_momentum, (True, False)):
        m_at = {"base": check_number(where, "base_momentum", base_momentum),
                "max": check_number(where, "max_momentum", max_momentum)}
        momentum = piecewise(m_at, 3)
    return Schedule(where, piecewise(lr_at, 1), initial_lr, momentum=momentum)
