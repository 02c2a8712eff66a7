"""The :class:`Schedule` type and the argument checks shared by jaxdl's learning-rate schedules."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl.errors import ConfigError

CountFn = Callable[[jax.Array], jax.Array]


@dataclasses.dataclass(frozen=True, eq=False)
class Schedule:
    """An optax-compatible schedule ``count -> value`` that remembers its PyTorch name.

    Call it like any optax schedule (``optax.sgd(learning_rate=schedule)``); it is pure
    and jit/vmap/scan friendly. ``count`` is a scalar (or array) of step counts, int or float.

    Attributes:
        name: the ``torch.optim.lr_scheduler`` class it reproduces.
        fn: ``count -> lr``, same shape as ``count``.
        lr: the base learning rate (PyTorch's ``initial_lr``).
        factor: for chainable (multiplicative) schedules, ``count -> lr / base lr``; else None.
        momentum: for CyclicLR / OneCycleLR with ``cycle_momentum``, ``count -> momentum``
            (SGD ``momentum`` or Adam ``beta1``); else None.
        resume: for MultiplicativeLR, ``(previous lr, count) -> lr``: how PyTorch's
            SequentialLR continues it from the previous scheduler's last rate; else None.

    >>> from jaxdl.schedules import exponential_lr
    >>> float(exponential_lr(1.0, gamma=0.5)(2))
    0.25
    """

    name: str
    fn: CountFn
    lr: ArrayLike
    factor: CountFn | None = None
    momentum: CountFn | None = None
    resume: Callable[[jax.Array, jax.Array], jax.Array] | None = None

    def __call__(self, count: ArrayLike) -> jax.Array:
        """The value at step ``count`` (any shape; the result has the same shape)."""
        return self.fn(jnp.asarray(count))


def as_float(count: jax.Array) -> jax.Array:
    """``count`` in the default float dtype (float32, or float64 under x64)."""
    return jnp.asarray(count, dtype=jnp.result_type(float))


def chainable(name: str, lr: ArrayLike, factor: CountFn, **extra) -> Schedule:
    """A multiplicative schedule ``lr * factor(count)``."""
    return Schedule(name, lambda count: lr * factor(count), lr, factor=factor, **extra)


def _fail(where: str, arg: str, value: object, expected: str) -> ConfigError:
    return ConfigError(f"{where}: {arg} must be {expected}, got {value!r}")


def check_lr(where: str, arg: str, value: object) -> ArrayLike:
    """A learning rate: a real number >= 0, or a JAX array (e.g. traced under vmap)."""
    if isinstance(value, jax.Array):
        return value
    return check_number(where, arg, value, low=0.0)


def check_number(
    where: str,
    arg: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number in ``[low, high]`` (ends excluded when ``*_open``)."""
    if math.isinf(low) and math.isinf(high):
        expected = "a finite number"
    elif math.isinf(high):
        expected = f"a number {'>' if low_open else '>='} {low:g}"
    elif math.isinf(low):
        expected = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        expected = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise _fail(where, arg, value, expected)
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        raise _fail(where, arg, value, expected)
    return float(value)


def check_int(where: str, arg: str, value: object, *, low: int) -> int:
    """An integer (not a bool) ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise _fail(where, arg, value, f"an integer >= {low}")
    return int(value)


def check_choice(where: str, arg: str, value: object, choices: tuple) -> object:
    """One of ``choices`` (compared by type and value, so ``1`` is not ``True``)."""
    if not any(type(value) is type(c) and value == c for c in choices):
        raise _fail(where, arg, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def check_traceable(where: str, arg: str, value: object, *, example: ArrayLike) -> Callable:
    """A function of one scalar that JAX can trace (checked on ``example``) and that returns a scalar."""
    if not callable(value):
        raise _fail(where, arg, value, "a function of the step count (traceable by JAX)")
    try:
        out = jax.eval_shape(value, jnp.asarray(example))
    except Exception as err:  # any tracing failure is the user's function, reported in one line
        raise ConfigError(
            f"{where}: {arg} must be traceable by JAX (use jnp.where, not if/else on the count); "
            f"calling it on a traced count raised {type(err).__name__}"
        ) from None
    if getattr(out, "shape", None) != ():
        raise _fail(where, arg, value, "a function returning a scalar")
    return value
