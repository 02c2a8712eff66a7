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
from typing import Any, Literal, TypeVar, overload

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from jaxdl.errors import ConfigError

T = TypeVar("T")


def fail(where: str, arg: str, value: object, expected: str, *, got: str | None = None) -> ConfigError:
    """The one-line error ``"<where>: <arg> must be <expected>, got <value>"``.

    ``value`` is shown as its ``repr``, or as ``got`` when given (e.g. ``"shape (2, 3)"``).

    >>> print(fail("fit", "epochs", 0, "an integer >= 1"))
    fit: epochs must be an integer >= 1, got 0
    """
    return ConfigError(f"{where}: {arg} must be {expected}, got {repr(value) if got is None else got}")


def one_run_only(label: str, callback: object) -> ConfigError:
    """The error of a callback that follows one run, given to a trainer of many (``label``: ``"fit_many (8 runs)"``)."""
    name = type(callback).__name__
    expected = f"callbacks for many runs ({name} follows one run: use it with fit)"
    return fail(label.split(" (")[0], "callbacks", callback, expected, got=name)


def looks_channels_first(shape: tuple[int, ...]) -> bool:
    """Whether ``shape`` is a batch of images in PyTorch's (N, C, H, W) layout rather than (N, H, W, C).

    True when the second axis holds 1 or 3 channels and the last axis cannot (a side of 4+ pixels).

    >>> looks_channels_first((8, 1, 28, 28)), looks_channels_first((8, 28, 28, 1))
    (True, False)
    """
    return len(shape) == 4 and shape[1] in (1, 3) and shape[3] >= 4


def real_numbers(dtype: np.dtype) -> bool:
    """Whether ``dtype`` holds real numbers: integers or floats (not complex, text or objects; bool is not a number).

    >>> real_numbers(np.dtype(np.uint8)), real_numbers(np.dtype(np.complex64)), real_numbers(np.dtype("<U2"))
    (True, False, False)
    """
    return bool(np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating))


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
    x = float(value)
    if x < low or x > high or (low_open and x == low) or (high_open and x == high):
        raise fail(where, arg, value, expected)
    return x


def integer(where: str, arg: str, value: object, *, low: int) -> int:
    """An integer (not a bool) ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise fail(where, arg, value, f"an integer >= {low}")
    return int(value)


def positive_int(where: str, arg: str, value: object) -> int:
    """An integer (not a bool) ``>= 1``."""
    return integer(where, arg, value, low=1)


def random_key(where: str, arg: str, value: Any) -> Any:
    """A JAX random key: a typed key (``jax.random.key(0)``) or a raw uint32 one (``jax.random.PRNGKey(0)``),
    concrete or traced, one or a batch of them. A seed is not a key: PyTorch seeds a global generator, JAX
    passes keys.

    >>> random_key("permutation", "key", 0)
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: permutation: key must be a JAX random key, e.g. jax.random.key(seed), got 0
    """
    dtype, shape = getattr(value, "dtype", None), getattr(value, "shape", None)
    if dtype is not None and (
        jnp.issubdtype(dtype, jax.dtypes.prng_key) or (dtype == np.uint32 and tuple(shape or ())[-1:] == (2,))
    ):
        return value
    shown = None if dtype is None else f"an array of dtype {dtype} and shape {tuple(shape or ())}"
    raise fail(where, arg, value, "a JAX random key, e.g. jax.random.key(seed)", got=shown)


def choice(where: str, arg: str, value: object, choices: tuple[T, ...]) -> T:
    """One of ``choices`` (compared by type and value, so ``1`` is not ``True``)."""
    for c in choices:
        if type(value) is type(c) and value == c:
            return c
    raise fail(where, arg, value, "one of " + ", ".join(repr(c) for c in choices))


def scalar(where: str, arg: str, value: Any) -> float | None:
    """``value`` as a float to check; ``None`` for a traced scalar (a swept value, checked by nobody).

    A real number, or an array or tensor with one element (PyTorch takes a one-element tensor
    wherever it takes a number: 0-d or shape ``(1,)``, numpy, JAX or torch), is accepted.

    >>> scalar("Adam", "lr", np.array([0.5]))
    0.5
    """
    if isinstance(value, Tracer) and jnp.size(value) == 1:
        return None
    value = one_element(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(where, arg, value, "a real number (or a scalar array, to sweep it)")
    return float(value)


def one_element(value: Any) -> Any:
    """A one-element array or tensor (any shape) as its Python number; anything else unchanged."""
    if isinstance(value, Tracer):
        return value
    if isinstance(value, (jax.Array, np.ndarray)) or type(value).__module__.startswith("torch"):
        numel = getattr(value, "numel", None)
        size = numel() if callable(numel) else getattr(value, "size", None)
        if size == 1 and hasattr(value, "item"):
            return value.item()
    return value


FLOAT32_MAX = float(np.finfo(np.float32).max)
"""The largest float32 (about 3.4e38): training runs in float32, where a larger number overflows to inf."""

FLOAT32_TINY = float(np.finfo(np.float32).tiny)
"""The smallest normal float32 (about 1.2e-38): a positive rate below it is 0 (or flushed to 0) in float32."""


@overload
def learning_rate(where: str, arg: str, value: Any, *, schedule: Literal[False] = False) -> float | jax.Array: ...


@overload
def learning_rate(where: str, arg: str, value: Any, *, schedule: Literal[True]) -> Any: ...


def learning_rate(where: str, arg: str, value: Any, *, schedule: bool = False) -> Any:
    """A learning rate: a finite number >= 0, or a scalar array (checked unless traced, e.g. under ``vmap``).

    A positive rate that float32 cannot hold (below 1.2e-38, e.g. 1e-300) is refused: it would be 0
    in the float32 update, so nothing would train. With ``schedule``, a function of the step count
    is a learning rate too (returned unchecked). A Python number comes back as a float, an array
    as a JAX array.

    >>> learning_rate("SGD", "lr", 1e-300)
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: SGD: lr must be 0 or at least 1.2e-38 (smaller is 0 in float32, \
so nothing would train), got 1e-300
    """
    expected = "a finite number >= 0" + (" or a schedule (a function of the step count)" if schedule else "")
    if schedule and callable(value):
        return value
    if isinstance(value, (jax.Array, np.ndarray)):
        if value.ndim != 0:
            raise fail(where, arg, value, expected)
        number, value = scalar(where, arg, value), jnp.asarray(value)
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(where, arg, value, expected)
    else:
        number = value = float(value)
    if number is not None and not 0.0 <= number < math.inf:
        raise fail(where, arg, number, expected)
    if number is not None and 0 < number < FLOAT32_TINY:
        raise fail(where, arg, number, "0 or at least 1.2e-38 (smaller is 0 in float32, so nothing would train)")
    return value


def traceable(where: str, arg: str, value: object, *, example: Any) -> Callable[..., Any]:
    """A function of one scalar that JAX can trace (checked on ``example``) and that returns a scalar."""
    if not callable(value):
        raise fail(where, arg, value, "a function of the step count (traceable by JAX)")
    try:
        out = jax.eval_shape(value, jnp.asarray(example))
    except Exception as err:  # noqa: BLE001 - any tracing failure is the user's function, reported in one line
        raise ConfigError(
            f"{where}: {arg} must be traceable by JAX (use jnp.where, not if/else on the count); "
            f"calling it on a traced count raised {type(err).__name__}"
        ) from None
    if getattr(out, "shape", None) != ():
        raise fail(where, arg, value, "a function returning a scalar")
    return value
