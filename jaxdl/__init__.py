"""jaxdl: the introductory PyTorch deep-learning course as pure, fast JAX.

The modules load on first use (``jaxdl.train``, ``jaxdl.optim``, …), so ``import jaxdl`` is
cheap and has no side effects.

>>> import jaxdl
>>> jaxdl.data.load("digits").num_classes
10
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jaxdl import (
        activations,
        autograd,
        callbacks,
        checkpoint,
        data,
        losses,
        models,
        optim,
        parallel,
        plots,
        schedules,
        train,
        transforms,
    )
    from jaxdl.inference import predict as predict

__version__ = "0.1.0"

__all__ = [
    "activations",
    "autograd",
    "callbacks",
    "checkpoint",
    "data",
    "losses",
    "models",
    "optim",
    "parallel",
    "plots",
    "schedules",
    "train",
    "transforms",
]
MODULES = tuple(__all__)


def __getattr__(name: str) -> ModuleType | Callable[..., Any]:
    if name == "predict":
        return importlib.import_module("jaxdl.inference").predict
    if name in MODULES:
        return importlib.import_module(f"jaxdl.{name}")
    raise AttributeError(f"module 'jaxdl' has no attribute {name!r}")
