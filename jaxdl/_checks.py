"""The argument checks every package shares: each rejects a bad value with one :class:`ConfigError` line.

Every check takes ``where`` (the function or option the user called, e.g. ``"step_lr"``), ``arg``
(the argument's name) and the value, and says what was expected:

>>> number("step_lr", "gamma", 0.5, low=0.0)
0.5
>>> positive_int("fit", "epochs", 0)
Traceback (most recent call last):
jaxdl.errors.ConfigError: fit: epochs must be an integer >= 1, got 0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl.errors import ConfigError


def fail(where: str, arg: str, value: object, expected: str) -> ConfigError:
    """The one-line error ``"<where>: <arg> must be <expected>, got <value>"``."""
    return ConfigError(f"{where}: {arg} must be {expected}, got {value!r}")


def ceil_div(n: int, d: int) -> int:
    """``ceil(n / d)`` for integers, exact for any size (e.g. batches per epoch).

    >>> ceil_div(10, 4)
    3
    """
    return -(-n // d)


def number(
    where: str,
    arg: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number (not a bool) in ``[low, high]`` (ends excluded when ``*_open``)."""
    if math.isinf(low) and math.isinf(high):
        expected = "a finite number"
    elif math.isinf(high):
        expected = f"a number {'>' if low_open else '>='} {low:g}"
    elif math.isinf(low):
        expected = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        expected = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise fail(where, arg, value, expected)
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        raise fail(where, arg, value, expected)
    return float(value)


def integer(where: str, arg: str, value: object, *, low: int) -> int:
    """An integer (not a bool) ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise fail(where, arg, value, f"an integer >= {low}")
    return int(value)


def positive_int(where: str, arg: str, value: object) -> int:
    """An integer (not a bool) ``>= 1``."""
    return integer(where, arg, value, low=1)


def choice(where: str, arg: str, value: object, choices: tuple) -> object:
    """One of ``choices`` (compared by type and value, so ``1`` is not ``True``)."""
    if not any(type(value) is type(c) and value == c for c in choices):
        raise fail(where, arg, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def scalar(where: str, arg: str, value: Any) -> float | None:
    """``value`` as a float to check; ``None`` for a traced scalar (a swept value, checked by nobody).

    A real number or a 0-d array is accepted.
    """
    if isinstance(value, jax.core.Tracer) and jnp.ndim(value) == 0:
        return None
    if isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(where, arg, value, "a real number (or a scalar array, to sweep it)")
    return float(value)


def traceable(where: str, arg: str, value: object, *, example: Any) -> Callable:
    """A function of one scalar that JAX can trace (checked on ``example``) and that returns a scalar."""
    if not callable(value):
        raise fail(where, arg, value, "a function of the step count (traceable by JAX)")
    try:
        out = jax.eval_shape(value, jnp.asarray(example))
    except Exception as err:  # any tracing failure is the user's function, reported in one line
        raise ConfigError(
            f"{where}: {arg} must be traceable by JAX (use jnp.where, not if/else on the count); "
            f"calling it on a traced count raised {type(err).__name__}"
        ) from None
    if getattr(out, "shape", None) != ():
        raise fail(where, arg, value, "a function returning a scalar")
    return value
