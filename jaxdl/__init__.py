"""jaxdl: the introductory PyTorch deep-learning course as pure, fast JAX.

The modules load on first use (``jaxdl.train``, ``jaxdl.optim``, …), so ``import jaxdl`` is
cheap and has no side effects. :func:`predict` is here too (``jaxdl.predict``).

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
        bench,
        callbacks,
        checkpoint,
        cli,
        compilation_cache,
        data,
        errors,
        experiments,
        losses,
        models,
        optim,
        parallel,
        plots,
        schedules,
        swa,
        train,
        transforms,
    )
    from jaxdl._inference import predict as predict

__version__ = "0.1.0"
"""The version of jaxdl; the package's metadata (pyproject.toml) reads it from here."""

__all__ = [
    "activations",
    "autograd",
    "bench",
    "callbacks",
    "checkpoint",
    "cli",
    "compilation_cache",
    "data",
    "errors",
    "experiments",
    "losses",
    "models",
    "optim",
    "parallel",
    "plots",
    "schedules",
    "swa",
    "train",
    "transforms",
    "predict",
]
MODULES = tuple(name for name in __all__ if name != "predict")
"""The public modules, each imported on first use."""


def __getattr__(name: str) -> ModuleType | Callable[..., Any]:
    if name == "predict":
        return importlib.import_module("jaxdl._inference").predict
    if name in MODULES:
        return importlib.import_module(f"jaxdl.{name}")
    raise AttributeError(f"module 'jaxdl' has no attribute {name!r}")
