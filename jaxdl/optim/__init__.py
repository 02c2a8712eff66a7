"""PyTorch's optimizers as optax transforms: torch.optim names, arguments, defaults and numbers.

Each of :func:`sgd`, :func:`adagrad`, :func:`rmsprop`, :func:`adadelta`, :func:`adam`,
:func:`adamw`, :func:`adamax`, :func:`nadam`, :func:`radam`, :func:`asgd`, :func:`rprop`,
:func:`adafactor` and :func:`lbfgs` (a full-batch solver: one update is one torch
``step(closure)``) takes the arguments of the ``torch.optim`` class of the same name and returns an
``optax.GradientTransformation`` whose updates reproduce PyTorch's parameter trajectory
(:func:`by_name` builds one from the class name). They are built from optax pieces where optax
agrees with PyTorch and from small torch-exact transforms where it does not
(:func:`dampened_trace`, :func:`scale_by_torch_adagrad`, :func:`scale_by_torch_adam`).

Every optimizer also takes the kernel switches of its torch class where torch has them
(``foreach``, ``capturable``, ``differentiable``, ``fused``): True, False or None, with no effect
(they choose how PyTorch computes, not what; one jitted XLA program serves every choice), and an
optimizer equals another built by an equal call (``adam(lr=0.1) == adam(0.1, foreach=False)``), so
``fit`` compiles once for both: each remembers that call as ``tx.recipe`` (a :class:`Recipe`).

``lr`` is a float, a scalar array (so ``jax.vmap`` can sweep it), or a schedule
``count -> lr`` (any optax schedule, or :mod:`jaxdl.schedules`). Every other numeric argument
(momentum, betas, weight_decay, ...) may be a scalar array too, so ``fit_many`` can sweep it;
a part that a Python 0 switches off is always kept for an array, which gives the same numbers.
A schedule is read at the number of updates already applied (0 for the first), which is
PyTorch's ``lr`` after as many ``scheduler.step()`` calls, and it enters where PyTorch's ``lr``
does (after the momentum buffer, in Adagrad's ``lr_decay``, in AdamW's decoupled decay).

:func:`cycle_momentum` sets an optimizer's momentum (or ``beta1``) from a ``CyclicLR`` or
``OneCycleLR`` schedule's ``.momentum`` before each update, as those PyTorch schedulers do.

:func:`with_hyperparams` keeps hyperparameters as arrays in the optimizer state (one program
for every value: ``fit_many`` sweeps them, and ``fit`` moves an optimizer's ``lr``,
``momentum``, ``weight_decay``, ... there with :func:`float_args_as_arrays`).

The course's from-scratch pieces are here too: d2l's minibatch :func:`scratch_sgd`,
:func:`golden_section` line search and :func:`steepest_descent`.

PyTorch's class names (``optim.Adam``, ``optim.SGD``, any ``torch.optim`` class) are not
jaxdl names: each raises a one-line ``ConfigError`` that names the function to use (``adam``,
``sgd``, ...), which takes the class's arguments and defaults but not the parameters.

>>> import jax.numpy as jnp
>>> tx = sgd(lr=0.1, momentum=0.9)
>>> print(tx.update({"w": jnp.ones(2)}, tx.init({"w": jnp.zeros(2)}))[0]["w"])
[-0.1 -0.1]
"""

from jaxdl._torch_names import torch_class_getattr
from jaxdl.optim._adadelta import adadelta
from jaxdl.optim._adafactor import TorchAdafactorState, adafactor
from jaxdl.optim._adagrad import TorchAdagradState, adagrad, scale_by_torch_adagrad
from jaxdl.optim._adam import TorchAdamState, adam, adamw, scale_by_torch_adam
from jaxdl.optim._adamax import TorchAdamaxState, adamax, scale_by_torch_adamax
from jaxdl.optim._args import LearningRate
from jaxdl.optim._asgd import ASGDState, asgd
from jaxdl.optim._by_name import by_name
from jaxdl.optim._cycle_momentum import cycle_momentum, takes_cycled_momentum
from jaxdl.optim._hyperparams import (
    ArrayHyperparams,
    HyperparamState,
    RateTable,
    float_args_as_arrays,
    with_hyperparams,
)
from jaxdl.optim._lbfgs import LBFGSState, lbfgs
from jaxdl.optim._line_search import SteepestDescentResult, golden_section, steepest_descent
from jaxdl.optim._nadam import TorchNAdamState, nadam, scale_by_torch_nadam
from jaxdl.optim._radam import TorchRAdamState, radam, scale_by_torch_radam
from jaxdl.optim._recipe import Recipe
from jaxdl.optim._rmsprop import rmsprop
from jaxdl.optim._rprop import RpropState, rprop
from jaxdl.optim._scratch_sgd import scratch_sgd
from jaxdl.optim._sgd import DampenedTraceState, dampened_trace, sgd

__all__ = [
    "ASGDState",
    "ArrayHyperparams",
    "DampenedTraceState",
    "HyperparamState",
    "LBFGSState",
    "LearningRate",
    "RateTable",
    "Recipe",
    "RpropState",
    "SteepestDescentResult",
    "TorchAdafactorState",
    "TorchAdagradState",
    "TorchAdamState",
    "TorchAdamaxState",
    "TorchNAdamState",
    "TorchRAdamState",
    "adadelta",
    "adafactor",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "asgd",
    "by_name",
    "cycle_momentum",
    "dampened_trace",
    "float_args_as_arrays",
    "golden_section",
    "lbfgs",
    "nadam",
    "radam",
    "rmsprop",
    "rprop",
    "scale_by_torch_adagrad",
    "scale_by_torch_adam",
    "scale_by_torch_adamax",
    "scale_by_torch_nadam",
    "scale_by_torch_radam",
    "scratch_sgd",
    "sgd",
    "steepest_descent",
    "takes_cycled_momentum",
    "with_hyperparams",
]

_OPTIMIZERS = ("adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "asgd", "lbfgs", "nadam", "radam")
_OPTIMIZERS += ("rmsprop", "rprop", "sgd", "scratch_sgd")

__getattr__ = torch_class_getattr(
    "jaxdl.optim",
    "torch.optim",
    {name: name for name in _OPTIMIZERS if name != "scratch_sgd"},
    _OPTIMIZERS,
    "it takes the class's arguments and defaults, not the parameters: optim.{twin}(lr=0.1)",
    {"sgd": "d2l's from-scratch SGD is optim.scratch_sgd(lr)"},
)
