"""Every ``torch.optim.lr_scheduler`` as a pure optax schedule ``count -> lr``.

Each function takes PyTorch's argument names and defaults, base learning rate first, and
returns a :class:`~jaxdl.schedule_core.Schedule`: the value at ``count`` equals PyTorch's
``scheduler.get_last_lr()[0]`` after ``count`` calls of ``scheduler.step()``. PyTorch's
chainable forms multiply the previous rate step by step; jaxdl evaluates the closed form that
telescopes to the same number (parity to 1e-9 in float64 is tested), so a schedule costs O(1)
per step, is jit/vmap/scan friendly and plugs into optax: ``optax.sgd(learning_rate=s)``.
``CyclicLR``/``OneCycleLR`` live in :mod:`jaxdl.cyclic`, ``SequentialLR``/``ChainedScheduler`` in
:mod:`jaxdl.composite_schedules`, ``ReduceLROnPlateau`` (a state machine, not a schedule) in
:mod:`jaxdl.plateau`; all are re-exported here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl.composite_schedules import chained_scheduler, sequential_lr
from jaxdl.cyclic import cyclic_lr, one_cycle_lr
from jaxdl.errors import ConfigError, suggest
from jaxdl.plateau import Plateau, PlateauState, reduce_lr_on_plateau
from jaxdl.schedule_core import (
    Schedule,
    as_float,
    chainable,
    check_int,
    check_lr,
    check_number,
    check_traceable,
)

__all__ = [
    "Plateau",
    "PlateauState",
    "Schedule",
    "by_name",
    "chained_scheduler",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "cyclic_lr",
    "exponential_lr",
    "lambda_lr",
    "linear_lr",
    "multi_step_lr",
    "multiplicative_lr",
    "one_cycle_lr",
    "polynomial_lr",
    "reduce_lr_on_plateau",
    "sequential_lr",
    "step_lr",
]


def lambda_lr(lr: ArrayLike, lr_lambda: Callable[[jax.Array], ArrayLike]) -> Schedule:
    """``LambdaLR``: ``lr * lr_lambda(count)``.

    ``lr_lambda`` receives the count as a JAX scalar, so it must be traceable: write
    ``jnp.where(e < 10, 1.0, 0.1)``, not ``1.0 if e < 10 else 0.1``.

    >>> float(lambda_lr(1.0, lambda epoch: 0.5 ** epoch)(3))
    0.125
    """
    lr = check_lr("LambdaLR", "lr", lr)
    lr_lambda = check_traceable("LambdaLR", "lr_lambda", lr_lambda, example=0)
    return Schedule("LambdaLR", lambda count: lr * lr_lambda(count), lr)


def _running_product(lr_lambda: Callable, first: int, last: jax.Array, init: ArrayLike) -> jax.Array:
    """``init * lr_lambda(first) * ... * lr_lambda(last)``, multiplied in PyTorch's order; scalar."""
    init = as_float(init)
    last = jnp.floor(last).astype(int)
    return jax.lax.fori_loop(
        first, last + 1, lambda k, acc: acc * jnp.asarray(lr_lambda(k), acc.dtype), init
    )


def multiplicative_lr(lr: ArrayLike, lr_lambda: Callable[[jax.Array], ArrayLike]) -> Schedule:
    """``MultiplicativeLR``: ``lr * lr_lambda(1) * ... * lr_lambda(count)``.

    There is no closed form for an arbitrary ``lr_lambda``: the product is a ``fori_loop``
    of ``count`` steps (O(count) per call; fine for epoch-level schedules). ``lr_lambda``
    must be traceable by JAX (see :func:`lambda_lr`).

    >>> float(multiplicative_lr(1.0, lambda epoch: 0.5)(3))
    0.125
    """
    lr = check_lr("MultiplicativeLR", "lr", lr)
    lr_lambda = check_traceable("MultiplicativeLR", "lr_lambda", lr_lambda, example=1)
    return Schedule(
        "MultiplicativeLR",
        jnp.vectorize(lambda count: _running_product(lr_lambda, 1, count, lr)),
        lr,
        factor=jnp.vectorize(lambda count: _running_product(lr_lambda, 1, count, 1.0)),
        resume=lambda prev, count: jnp.vectorize(lambda c: _running_product(lr_lambda, 0, c, prev))(count),
    )


def step_lr(lr: ArrayLike, step_size: int, gamma: float = 0.1) -> Schedule:
    """``StepLR``: ``lr * gamma ** (count // step_size)``.

    >>> float(step_lr(1.0, step_size=2, gamma=0.5)(5))
    0.25
    """
    lr = check_lr("StepLR", "lr", lr)
    step_size = check_int("StepLR", "step_size", step_size, low=1)
    gamma = check_number("StepLR", "gamma", gamma, low=0.0, low_open=True)
    return chainable("StepLR", lr, lambda count: gamma ** as_float(jnp.floor_divide(count, step_size)))


def multi_step_lr(lr: ArrayLike, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """``MultiStepLR``: ``lr * gamma ** (number of milestones <= count)`` (repeats count twice).

    >>> float(multi_step_lr(1.0, milestones=[2, 4], gamma=0.5)(4))
    0.25
    """
    lr = check_lr("MultiStepLR", "lr", lr)
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
        raise ConfigError(f"MultiStepLR: milestones must be a list of integers >= 0, got {milestones!r}")
    marks = sorted(check_int("MultiStepLR", "milestones", m, low=0) for m in milestones)
    gamma = check_number("MultiStepLR", "gamma", gamma, low=0.0, low_open=True)

    def factor(count: jax.Array) -> jax.Array:
        passed = jnp.sum(count[..., None] >= jnp.asarray(marks, dtype=count.dtype), axis=-1)
        return gamma ** as_float(passed)

    return chainable("MultiStepLR", lr, factor)


def constant_lr(lr: ArrayLike, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """``ConstantLR``: ``lr * factor`` until ``total_iters``, then ``lr``.

    ``factor`` must be in (0, 1] (PyTorch accepts 0 and then divides by zero at
    ``total_iters``); ``total_iters`` >= 1.

    >>> [float(v) for v in constant_lr(1.0, factor=0.5, total_iters=2)(jnp.arange(4))]
    [0.5, 0.5, 1.0, 1.0]
    """
    lr = check_lr("ConstantLR", "lr", lr)
    factor = check_number("ConstantLR", "factor", factor, low=0.0, high=1.0, low_open=True)
    total_iters = check_int("ConstantLR", "total_iters", total_iters, low=1)
    after = factor * (1.0 / factor)  # PyTorch multiplies by factor, later by 1/factor
    return chainable("ConstantLR", lr, lambda count: jnp.where(count < total_iters, factor, after))


def linear_lr(
    lr: ArrayLike, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
) -> Schedule:
    """``LinearLR``: factor moves linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    >>> [float(v) for v in linear_lr(1.0, start_factor=0.5, total_iters=2)(jnp.arange(4))]
    [0.5, 0.75, 1.0, 1.0]
    """
    lr = check_lr("LinearLR", "lr", lr)
    start = check_number("LinearLR", "start_factor", start_factor, low=0.0, high=1.0, low_open=True)
    end = check_number("LinearLR", "end_factor", end_factor, low=0.0, high=1.0)
    total_iters = check_int("LinearLR", "total_iters", total_iters, low=1)
    def factor(count: jax.Array) -> jax.Array:
        t = as_float(count)
        return jnp.where(t >= total_iters, end, start + (end - start) * t / total_iters)

    return chainable("LinearLR", lr, factor)


def exponential_lr(lr: ArrayLike, gamma: float) -> Schedule:
    """``ExponentialLR``: ``lr * gamma ** count``.

    >>> float(exponential_lr(1.0, gamma=0.5)(3))
    0.125
    """
    lr = check_lr("ExponentialLR", "lr", lr)
    gamma = check_number("ExponentialLR", "gamma", gamma, low=0.0, low_open=True)
    return chainable("ExponentialLR", lr, lambda count: gamma ** as_float(count))


def polynomial_lr(lr: ArrayLike, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """``PolynomialLR``: ``lr * (1 - min(count, total_iters) / total_iters) ** power``.

    >>> [float(v) for v in polynomial_lr(1.0, total_iters=2, power=2.0)(jnp.arange(4))]
    [1.0, 0.25, 0.0, 0.0]
    """
    lr = check_lr("PolynomialLR", "lr", lr)
    total_iters = check_int("PolynomialLR", "total_iters", total_iters, low=1)
    power = check_number("PolynomialLR", "power", power, low=0.0)
    return chainable(
        "PolynomialLR",
        lr,
        # (T - min(T, t)) / T, not 1 - t / T: XLA may divide by multiplying with 1 / T, and
        # 1 - t * (1 / T) can be -1e-16 at t = T, where a fractional power gives NaN.
        lambda count: ((total_iters - jnp.minimum(total_iters, as_float(count))) / total_iters) ** power,
    )


def cosine_annealing_lr(lr: ArrayLike, T_max: int, eta_min: float = 0.0) -> Schedule:  # noqa: N803
    """``CosineAnnealingLR``: ``eta_min + (lr - eta_min) * (1 + cos(pi * count / T_max)) / 2``.

    Like PyTorch (and unlike ``optax.cosine_decay_schedule``) it keeps oscillating after
    ``T_max``: back up to ``lr`` at ``2 * T_max``, down again at ``3 * T_max``. ``eta_min``
    is an absolute rate, not a fraction of ``lr``.

    >>> [round(float(v), 6) for v in cosine_annealing_lr(1.0, T_max=2)(jnp.arange(5))]
    [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    lr = check_lr("CosineAnnealingLR", "lr", lr)
    T_max = check_int("CosineAnnealingLR", "T_max", T_max, low=1)  # noqa: N806
    eta_min = check_number("CosineAnnealingLR", "eta_min", eta_min)
    return Schedule(
        "CosineAnnealingLR",
        lambda count: eta_min + (lr - eta_min) * (1 + jnp.cos(jnp.pi * as_float(count) / T_max)) / 2,
        lr,
    )


def _restart_table(T_0: int, T_mult: int, limit: int) -> tuple[list[int], list[int]]:  # noqa: N803
    """Cycle starts ``T_0 * (T_mult**n - 1) / (T_mult - 1)`` up to ``limit`` and the cycle lengths."""
    starts, lengths = [0], [T_0]
    while starts[-1] + lengths[-1] <= limit:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    return starts, lengths


def cosine_annealing_warm_restarts(
    lr: ArrayLike, T_0: int, T_mult: int = 1, eta_min: float = 0.0  # noqa: N803
) -> Schedule:
    """``CosineAnnealingWarmRestarts`` (SGDR): cosine from ``lr`` to ``eta_min``, restarting forever.

    Cycle ``i`` lasts ``T_0 * T_mult**i`` steps. Integer counts follow ``scheduler.step()``;
    float counts follow ``scheduler.step(epoch)``, e.g. ``epoch + i / iters`` for per-batch
    annealing inside epochs. (PyTorch finds the cycle of a float epoch with a float log,
    which at a few exact restart epochs rounds down, e.g. ``T_0=3, T_mult=3, epoch=363``,
    and gives ``eta_min``; jaxdl counts cycles exactly and restarts at ``lr`` there, as
    ``step()`` does.)

    >>> [round(float(v), 6) for v in cosine_annealing_warm_restarts(1.0, T_0=2)(jnp.arange(4))]
    [1.0, 0.5, 1.0, 0.5]
    """
    where = "CosineAnnealingWarmRestarts"
    lr = check_lr(where, "lr", lr)
    T_0 = check_int(where, "T_0", T_0, low=1)  # noqa: N806
    T_mult = check_int(where, "T_mult", T_mult, low=1)  # noqa: N806
    eta_min = check_number(where, "eta_min", eta_min)

    def cycle_position(count: jax.Array) -> tuple[jax.Array, jax.Array]:
        if T_mult == 1:
            return as_float(jnp.mod(count, T_0)), as_float(T_0)
        integer = jnp.issubdtype(count.dtype, jnp.integer)
        starts, lengths = _restart_table(T_0, T_mult, int(jnp.iinfo(count.dtype).max) if integer else 2**53)
        n = jnp.sum(count[..., None] >= jnp.asarray(starts[1:], count.dtype), axis=-1)
        t_cur = count - jnp.asarray(starts, count.dtype)[n]
        return as_float(t_cur), as_float(jnp.asarray([float(length) for length in lengths]))[n]

    def fn(count: jax.Array) -> jax.Array:
        t_cur, t_i = cycle_position(count)
        return eta_min + (lr - eta_min) * (1 + jnp.cos(jnp.pi * t_cur / t_i)) / 2

    return Schedule(where, fn, lr)


SCHEDULERS: dict[str, Callable] = {
    "LambdaLR": lambda_lr,
    "MultiplicativeLR": multiplicative_lr,
    "StepLR": step_lr,
    "MultiStepLR": multi_step_lr,
    "ConstantLR": constant_lr,
    "LinearLR": linear_lr,
    "ExponentialLR": exponential_lr,
    "PolynomialLR": polynomial_lr,
    "CosineAnnealingLR": cosine_annealing_lr,
    "CosineAnnealingWarmRestarts": cosine_annealing_warm_restarts,
    "CyclicLR": cyclic_lr,
    "OneCycleLR": one_cycle_lr,
    "SequentialLR": sequential_lr,
    "ChainedScheduler": chained_scheduler,
    "ReduceLROnPlateau": reduce_lr_on_plateau,
}


def resolve(name: str) -> tuple[str, Callable]:
    """``(torch class name, jaxdl function)`` for a class or function name, case-insensitive."""
    lookup = {}
    for cls, fn in SCHEDULERS.items():
        lookup[cls.lower()] = lookup[fn.__name__] = (cls, fn)
    key = str(name).lower()
    if key not in lookup:
        raise ConfigError(
            f"unknown scheduler {name!r}{suggest(name, SCHEDULERS)}; expected one of {', '.join(SCHEDULERS)}"
        )
    return lookup[key]


def by_name(name: str, **kwargs: object) -> Schedule | Plateau:
    """Build a scheduler from its ``torch.optim.lr_scheduler`` class name and torch's keyword arguments.

    Names are case-insensitive (jaxdl function names work too). Unknown names, unknown or
    missing arguments and invalid values raise :class:`~jaxdl.errors.ConfigError`.

    >>> s = by_name("CosineAnnealingWarmRestarts", lr=0.1, T_0=10)
    >>> s.name
    'CosineAnnealingWarmRestarts'
    """
    cls, fn = resolve(name)
    params = inspect.signature(fn).parameters
    for key in kwargs:
        if key not in params:
            raise ConfigError(
                f"{cls}: unknown argument {key!r}{suggest(key, params)}; expected {', '.join(params)}"
            )
    missing = [p.name for p in params.values() if p.default is inspect.Parameter.empty and p.name not in kwargs]
    if missing:
        raise ConfigError(f"{cls}: missing required argument(s) {', '.join(missing)}")
    return fn(**kwargs)
