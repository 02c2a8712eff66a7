"""Every ``torch.optim.lr_scheduler`` as a pure optax schedule ``count -> lr``.

Each function takes PyTorch's argument names and defaults, base learning rate first, and
returns a :class:`Schedule`: the value at ``count`` equals PyTorch's
``scheduler.get_last_lr()[0]`` after ``count`` calls of ``scheduler.step()``. PyTorch's
chainable forms multiply the previous rate step by step; jaxdl evaluates the closed form that
telescopes to the same number (parity to 1e-9 in float64 is tested), so a schedule costs O(1)
per step, is jit/vmap/scan friendly and plugs into optax: ``optax.sgd(learning_rate=s)``.
``CyclicLR`` and ``OneCycleLR`` also cycle the momentum (``s.momentum``); ``SequentialLR`` and
``ChainedScheduler`` combine schedules and pass the momentum on as PyTorch leaves it in the optimizer
(``SWALR`` of ``torch.optim.swa_utils`` is here too); ``ReduceLROnPlateau`` depends on the metrics, not the count,
so it is a :class:`Plateau`, a pure ``(init, step)`` pair. :func:`by_name` builds any of them from the
torch class name (:data:`SCHEDULERS` lists them).

>>> import jax.numpy as jnp
>>> [float(v) for v in step_lr(1.0, step_size=2, gamma=0.5)(jnp.arange(4))]
[1.0, 1.0, 0.5, 0.5]
"""

from jaxdl._torch_names import torch_class_getattr
from jaxdl.schedules._by_name import SCHEDULERS, by_name, missing_arguments, resolve
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
from jaxdl.schedules._per_step import PerStep, per_step
from jaxdl.schedules._plateau import Plateau, PlateauState, reduce_lr_on_plateau
from jaxdl.schedules._schedule import Schedule
from jaxdl.schedules._swalr import swalr

__all__ = [
    "SCHEDULERS",
    "PerStep",
    "Plateau",
    "PlateauState",
    "Schedule",
    "by_name",
    "chained_scheduler",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "cyclic_lr",
    "exponential_lr",
    "lambda_lr",
    "linear_lr",
    "multi_step_lr",
    "multiplicative_lr",
    "one_cycle_lr",
    "per_step",
    "polynomial_lr",
    "reduce_lr_on_plateau",
    "missing_arguments",
    "resolve",
    "sequential_lr",
    "step_lr",
    "swalr",
]

_HELPERS = ("by_name", "missing_arguments", "per_step", "resolve")
_FUNCTIONS = [name for name in __all__ if name.islower() and name not in _HELPERS]

__getattr__ = torch_class_getattr(
    "jaxdl.schedules",
    "torch.optim.lr_scheduler",
    {name.replace("_", ""): name for name in _FUNCTIONS},
    _FUNCTIONS,
    "the class's arguments without the optimizer (the lr instead, where the optimizer held it), "
    "then fit(..., schedule=schedules.{twin}(...)) steps it after each epoch",
)
