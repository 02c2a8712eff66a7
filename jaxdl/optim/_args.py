"""The argument checks of the torch optimizers: numbers, or scalar arrays that ``fit_many`` sweeps.

A Python number or a concrete scalar array is checked as PyTorch checks it; a traced scalar
(a swept value under ``vmap``) cannot be, and passes (:func:`jaxdl._checks.scalar` tells which).
:func:`off` tells which optional parts of an optimizer a Python 0 leaves out.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.core import Tracer
from jax.typing import ArrayLike

from jaxdl import _checks

LearningRate = ArrayLike | Callable[[jax.Array], ArrayLike]


def at_least_zero(owner: str, **values: Any) -> None:
    """Each of ``values`` finite and ``>= 0``."""
    for name, value in values.items():
        number = _checks.scalar(owner, name, value)
        if number is not None and not 0.0 <= number < math.inf:
            raise _checks.fail(owner, name, number, "a finite number >= 0")


def off(value: Any) -> bool:
    """True for the Python number 0: the part it controls is left out (an array keeps it, equal to 0 or not)."""
    return isinstance(value, numbers.Real) and value == 0


def torch_number(value: Any) -> Any:
    """``value`` as PyTorch reads an argument: a one-element array or tensor becomes its number.

    A concrete one-element array (numpy, JAX or torch, 0-d or shape ``(1,)``) becomes its
    Python number (torch's ``.item()``), so an optimizer built from it equals the number's; inside
    tuples and lists too (``betas``). A traced one-element array (a swept value) becomes 0-d;
    0-d JAX and numpy arrays stay arrays (so ``fit_many`` can sweep them).

    >>> torch_number((np.array([0.9]), 0.999))
    (0.9, 0.999)
    """
    if isinstance(value, tuple):
        return tuple(torch_number(v) for v in value)
    if isinstance(value, list):
        return [torch_number(v) for v in value]
    if isinstance(value, Tracer):
        return value.reshape(()) if value.size == 1 else value
    if isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0:
        return value
    return _checks.one_element(value)


def lr_at(lr: LearningRate, count: jax.Array) -> Any:
    """The learning rate after ``count`` updates: ``lr(count)`` for a schedule, else ``lr``."""
    return lr(count) if callable(lr) else lr


def check_fraction(owner: str, name: str, value: Any, *, one_allowed: bool) -> None:
    """``0 <= value < 1`` (or ``<= 1`` with ``one_allowed``), e.g. a decay factor."""
    number = _checks.scalar(owner, name, value)
    if number is not None and not (0.0 <= number <= 1.0 if one_allowed else 0.0 <= number < 1.0):
        raise _checks.fail(owner, name, number, f"a number in [0, 1{']' if one_allowed else ')'}")


def check_betas(owner: str, betas: Any) -> tuple[Any, Any]:
    """Adam's ``(beta1, beta2)``, each a fraction below 1; Python numbers become floats."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise _checks.fail(owner, "betas", betas, "a pair (beta1, beta2)")
    for i, beta in enumerate(betas):
        check_fraction(owner, f"betas[{i}]", beta, one_allowed=False)
    b1, b2 = (float(b) if isinstance(b, numbers.Real) else b for b in betas)
    return b1, b2
