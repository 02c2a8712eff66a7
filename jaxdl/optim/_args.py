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
import jax.numpy as jnp
import numpy as np

from jaxdl import _checks
from jaxdl.errors import ConfigError

LearningRate = float | jax.Array | Callable[[jax.Array], jax.Array]


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
    """A float, a scalar array (checked unless traced, e.g. under ``vmap``) or a schedule."""
    if callable(lr):
        return
    if isinstance(lr, bool) or not isinstance(lr, (numbers.Real, jax.Array, np.ndarray)) or jnp.ndim(lr) != 0:
        raise ConfigError(
            f"{owner} got lr={lr!r}: expected a float >= 0 or a schedule (a callable of the step count)."
        )
    at_least_zero(owner, lr=lr)


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
    return tuple(float(b) if isinstance(b, numbers.Real) else b for b in betas)
