"""Build a torch optimizer from its ``torch.optim`` class name, as a config file or the CLI names it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import optax

from jaxdl.errors import unknown
from jaxdl.optim._adadelta import adadelta
from jaxdl.optim._adafactor import adafactor
from jaxdl.optim._adagrad import adagrad
from jaxdl.optim._adam import adam, adamw
from jaxdl.optim._adamax import adamax
from jaxdl.optim._asgd import asgd
from jaxdl.optim._lbfgs import lbfgs
from jaxdl.optim._nadam import nadam
from jaxdl.optim._radam import radam
from jaxdl.optim._rmsprop import rmsprop
from jaxdl.optim._rprop import rprop
from jaxdl.optim._sgd import sgd

_OPTIMIZERS: dict[str, tuple[str, Callable[..., optax.GradientTransformation]]] = {
    "sgd": ("SGD", sgd),
    "adagrad": ("Adagrad", adagrad),
    "rmsprop": ("RMSprop", rmsprop),
    "adadelta": ("Adadelta", adadelta),
    "adam": ("Adam", adam),
    "adamw": ("AdamW", adamw),
    "adamax": ("Adamax", adamax),
    "nadam": ("NAdam", nadam),
    "radam": ("RAdam", radam),
    "asgd": ("ASGD", asgd),
    "rprop": ("Rprop", rprop),
    "adafactor": ("Adafactor", adafactor),
    "lbfgs": ("LBFGS", lbfgs),
}


def by_name(name: str, **kwargs: Any) -> optax.GradientTransformation:
    """Build an optimizer from its ``torch.optim`` class name (any case) and keyword arguments.

    Args:
      name: a ``torch.optim`` class name in any case ("SGD", "Adagrad", "RMSprop", "Adadelta",
        "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor", "LBFGS"),
        so the function names "sgd", "nadam", ... work too.
      **kwargs: that optimizer's arguments, e.g. ``lr=0.1, momentum=0.9``.

    Returns:
      The ``optax.GradientTransformation`` of the matching :mod:`jaxdl.optim` function.

    >>> tx = by_name("AdamW", lr=3e-4)
    >>> isinstance(tx, optax.GradientTransformation), tx == adamw(lr=3e-4), tx == adamw(lr=1e-3)
    (True, True, False)
    """
    torch_names = [torch_name for torch_name, _ in _OPTIMIZERS.values()]
    key = name.lower() if isinstance(name, str) else None
    if key not in _OPTIMIZERS:
        raise unknown("optimizer", name, torch_names)
    torch_name, fn = _OPTIMIZERS[key]
    valid = list(inspect.signature(fn).parameters)
    for arg in kwargs:
        if arg not in valid:
            raise unknown("argument", arg, valid, where=torch_name)
    return fn(**kwargs)
