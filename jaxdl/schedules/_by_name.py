"""Every scheduler by its ``torch.optim.lr_scheduler`` class name, as a config file or the CLI names it."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection

from jaxdl import _checks
from jaxdl.errors import unknown
from jaxdl.schedules._closed_form import (
    constant_lr,
    exponential_lr,
    linear_lr,
    multi_step_lr,
    polynomial_lr,
    step_lr,
)
from jaxdl.schedules._composite import chained_scheduler, sequential_lr
from jaxdl.schedules._cosine import cosine_annealing_lr, cosine_annealing_warm_restarts
from jaxdl.schedules._cyclic import cyclic_lr
from jaxdl.schedules._lambda import lambda_lr, multiplicative_lr
from jaxdl.schedules._one_cycle import one_cycle_lr
from jaxdl.schedules._plateau import Plateau, reduce_lr_on_plateau
from jaxdl.schedules._schedule import Schedule
from jaxdl.schedules._swalr import swalr

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
    "SWALR": swalr,
}


def resolve(name: str) -> tuple[str, Callable]:
    """``(torch class name, jaxdl function)`` for a class or function name, case-insensitive.

    >>> resolve("steplr")[0], resolve("step_lr")[1].__name__
    ('StepLR', 'step_lr')
    """
    lookup = {}
    for cls, fn in SCHEDULERS.items():
        lookup[cls.lower()] = lookup[fn.__name__] = (cls, fn)
    key = str(name).lower()
    if key not in lookup:
        raise unknown("scheduler", name, SCHEDULERS)
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
    missing = missing_arguments(cls, kwargs)
    if missing:
        raise _checks.fail(cls, missing[0], None, "given (it has no default)", got="nothing")
    return fn(**kwargs)


def missing_arguments(name: str, given: Collection[str]) -> list[str]:
    """The arguments the scheduler ``name`` requires (no default, as in PyTorch) that ``given`` lacks.

    Raises:
      ConfigError: a name in ``given`` that the scheduler does not take, with a "did you mean".

    >>> missing_arguments("StepLR", ["lr"])
    ['step_size']
    """
    cls, fn = resolve(name)
    params = inspect.signature(fn).parameters
    for key in given:
        if key not in params:
            raise unknown("argument", key, params, where=cls)
    return [p.name for p in params.values() if p.default is inspect.Parameter.empty and p.name not in given]
