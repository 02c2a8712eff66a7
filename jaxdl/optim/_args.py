"""The argument checks of the torch optimizers: numbers, or scalar arrays that ``fit_many`` sweeps.

A Python number or a concrete scalar array is checked as PyTorch checks it; a traced scalar
(a swept value under ``vmap``) cannot be, and passes (:func:`jaxdl._checks.scalar` tells which).
:func:`off` tells which optional parts of an optimizer a Python 0 leaves out.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.core import Tracer
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.errors import ConfigError

LearningRate = ArrayLike | Callable[[jax.Array], ArrayLike]


def at_least_zero(owner: str, **values: Any) -> None:
    """Each of ``values`` finite and ``>= 0``."""
    for name, value in values.items():
        number = _checks.scalar(owner, name, value)
        if number is not None and not 0.0 <= number < math.inf:
            raise ConfigError(f"{owner} got {name}={_shown(value)}: expected a finite {name} >= 0.")


def _shown(value: Any) -> str:
    """``value`` for an error message: a scalar array as its number."""
    return repr(value.item() if isinstance(value, (jax.Array, np.ndarray)) else value)


def off(value: Any) -> bool:
    """True for the Python number 0: the part it controls is left out (an array keeps it, equal to 0 or not)."""
    return isinstance(value, numbers.Real) and value == 0


def check_lr(owner: str, lr: Any) -> None:
    """A float, a scalar array (checked unless traced, e.g. under ``vmap``) or a schedule.

    A positive ``lr`` that float32 cannot hold (below 1.2e-38, e.g. 1e-300) is refused: it
    would be 0 (or flushed to 0) in the float32 update, so nothing would train.
    """
    if callable(lr):
        return
    if isinstance(lr, bool) or not isinstance(lr, (numbers.Real, jax.Array, np.ndarray)) or getattr(lr, "ndim", 0) != 0:
        raise ConfigError(f"{owner} got lr={lr!r}: expected a float >= 0 or a schedule (a callable of the step count).")
    at_least_zero(owner, lr=lr)
    number = _checks.scalar(owner, "lr", lr)
    if number is not None and 0 < number < float(np.finfo(np.float32).tiny):
        raise ConfigError(
            f"{owner} got lr={_shown(lr)}: it is 0 in float32 (below 1.2e-38), so nothing would train; use a larger lr."
        )


def torch_arguments(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``fn`` take one-element arrays or tensors wherever it takes a number, as PyTorch does.

    A concrete one-element array (numpy, JAX or torch, 0-d or shape ``(1,)``) becomes its
    Python number (torch's ``.item()``), so the result equals the number's; inside tuples too
    (``betas``). A traced one-element array (a swept value) becomes 0-d. 0-d JAX and numpy
    arrays stay arrays (so ``fit_many`` can sweep them). The optimizer remembers ``fn`` and its
    arguments as ``tx.source`` (so ``fit`` can rebuild it with its floats as arrays).
    """

    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = tuple(_one(a) for a in args), {k: _one(v) for k, v in kwargs.items()}
        tx = fn(*args, **kwargs)
        if getattr(tx, "_config", None) is not None:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            tx.source = (wrapper, dict(bound.arguments))
        return tx

    return wrapper


def _one(value: Any) -> Any:
    """``value`` with one-element arrays made scalars (see :func:`torch_arguments`)."""
    if isinstance(value, tuple):
        return tuple(_one(v) for v in value)
    if isinstance(value, list):
        return [_one(v) for v in value]
    if isinstance(value, Tracer):
        return value.reshape(()) if value.size == 1 else value
    if isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0:
        return value
    return _checks.one_element(value)


def lr_at(lr: LearningRate, count: jax.Array) -> Any:
    """The learning rate after ``count`` updates: ``lr(count)`` for a schedule, else ``lr``."""
    return lr(count) if callable(lr) else lr


def ignored(owner: str, **flags: Any) -> None:
    """PyTorch's kernel switches (``foreach``, ``differentiable``, ``capturable``): a bool (or None), no effect.

    They choose how PyTorch computes, not what: one jitted XLA program serves every choice.
    """
    for name, value in flags.items():
        if value is not None and not isinstance(value, bool):
            raise ConfigError(
                f"{owner} got {name}={value!r}: expected True, False or None (it has no effect in jaxdl)."
            )


def check_fraction(owner: str, name: str, value: Any, *, one_allowed: bool) -> None:
    """``0 <= value < 1`` (or ``<= 1`` with ``one_allowed``), e.g. a decay factor."""
    number = _checks.scalar(owner, name, value)
    if number is not None and not (0.0 <= number <= 1.0 if one_allowed else 0.0 <= number < 1.0):
        raise ConfigError(f"{owner} got {name}={_shown(value)}: expected 0 <= {name} {'<=' if one_allowed else '<'} 1.")


def check_betas(owner: str, betas: Any) -> tuple[Any, Any]:
    """Adam's ``(beta1, beta2)``, each a fraction below 1; Python numbers become floats."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ConfigError(f"{owner} got betas={betas!r}: expected a pair (beta1, beta2).")
    for i, beta in enumerate(betas):
        check_fraction(owner, f"betas[{i}]", beta, one_allowed=False)
    b1, b2 = (float(b) if isinstance(b, numbers.Real) else b for b in betas)
    return b1, b2
