"""``OneCycleLR``: one warm-up and one long anneal, with the momentum cycled the opposite way.

As with ``CyclicLR``, the cycled momentum is the schedule's ``.momentum`` (``None`` when
``cycle_momentum=False``), which ``fit`` and :func:`jaxdl.train.scheduled` set in the optimizer as
PyTorch does (:func:`jaxdl.optim.cycle_momentum`), and optax takes through ``optax.inject_hyperparams``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.schedules._schedule import Schedule, as_float


def _anneal(strategy: str, start: float | jax.Array, end: float | jax.Array, pct: jax.Array) -> jax.Array:
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
    max_lr = _checks.learning_rate(where, "max_lr", max_lr)
    if total_steps is not None:
        total_steps = _checks.integer(where, "total_steps", total_steps, low=1)
    elif epochs is not None and steps_per_epoch is not None:
        total_steps = _checks.integer(where, "epochs", epochs, low=1) * _checks.integer(
            where, "steps_per_epoch", steps_per_epoch, low=1
        )
    else:
        raise _checks.fail(where, "total_steps", None, "given, or both epochs and steps_per_epoch")
    pct_start = _checks.number(where, "pct_start", pct_start, low=0.0, high=1.0)
    strategy = _checks.choice(where, "anneal_strategy", anneal_strategy, ("cos", "linear"))
    div_factor = _checks.number(where, "div_factor", div_factor, low=0.0, low_open=True)
    final_div_factor = _checks.number(where, "final_div_factor", final_div_factor, low=0.0, low_open=True)
    initial_lr = max_lr / div_factor
    lr_at = {"initial": initial_lr, "max": max_lr, "min": initial_lr / final_div_factor}
    up_end = float(pct_start * total_steps) - 1
    if _checks.choice(where, "three_phase", three_phase, (True, False)):
        phases = [
            (up_end, "initial", "max", "max", "base"),
            (float(2 * pct_start * total_steps) - 2, "max", "initial", "base", "max"),
            (total_steps - 1, "initial", "min", "max", "max"),
        ]
    else:
        phases = [(up_end, "initial", "max", "max", "base"), (total_steps - 1, "max", "min", "base", "max")]
    starts = [0.0] + [p[0] for p in phases[:-1]]
    for start, (end, *_) in zip(starts, phases, strict=True):
        if end == start:
            raise _checks.fail(
                where,
                "pct_start",
                pct_start,
                f"a fraction that leaves no phase of the {total_steps} steps empty (PyTorch divides by zero there)",
            )

    def piecewise(values: Mapping[str, float | jax.Array], first: int) -> Callable[[jax.Array], jax.Array]:
        def fn(count: jax.Array) -> jax.Array:
            t = jnp.minimum(as_float(count), total_steps)
            pieces = list(zip(starts, phases, strict=True))

            def value(start: float, phase: tuple) -> jax.Array:
                end, a, b = phase[0], values[phase[first]], values[phase[first + 1]]
                return _anneal(strategy, a, b, (t - start) / (end - start))

            out = value(*pieces[-1])
            for start, phase in reversed(pieces[:-1]):
                out = jnp.where(t <= phase[0], value(start, phase), out)
            return out

        return fn

    momentum = None
    if _checks.choice(where, "cycle_momentum", cycle_momentum, (True, False)):
        m_at = {
            "base": _checks.number(where, "base_momentum", base_momentum),
            "max": _checks.number(where, "max_momentum", max_momentum),
        }
        momentum = piecewise(m_at, 3)
    return Schedule(where, piecewise(lr_at, 1), initial_lr, momentum=momentum)
