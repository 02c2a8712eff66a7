"""Training: state, steps, the compiled epoch, ``fit``, ``fit_many`` and one-vs-rest.

Each module holds one concept (``state``, ``objective``, ``step``, ``epoch``, ``checks``,
``prepare``, ``loop``, ``hooks``, ``fit``, ``hparams``, ``chunks``, ``many``, ``ovr``, ``lr``, ``resume``); this package
re-exports the public names, so ``from jaxdl.train import fit`` works.
"""

from jaxdl.errors import DivergenceError
from jaxdl.optim import with_hyperparams
from jaxdl.train.checks import check_fit_args, check_inputs
from jaxdl.train.epoch import batch_plan, evaluate, evaluate_fn, train_epoch, train_epoch_fn
from jaxdl.train.fit import FitResult, fit
from jaxdl.train.hparams import hyperparameter_grid
from jaxdl.train.loop import epochs_per_call, run_epochs
from jaxdl.train.many import ManyResult, fit_many, init_many, many_epoch, many_epoch_fn
from jaxdl.train.objective import LOSSES, Objective, masked_mean, objective_for
from jaxdl.train.ovr import OneVsRestResult, SummedBCE, fit_one_vs_rest, predict_one_vs_rest
from jaxdl.train.state import TrainState, create_train_state
from jaxdl.train.step import eval_step, train_step

__all__ = [
    "LOSSES",
    "DivergenceError",
    "FitResult",
    "ManyResult",
    "Objective",
    "OneVsRestResult",
    "SummedBCE",
    "TrainState",
    "batch_plan",
    "check_fit_args",
    "check_inputs",
    "create_train_state",
    "epochs_per_call",
    "eval_step",
    "evaluate",
    "evaluate_fn",
    "fit",
    "fit_many",
    "fit_one_vs_rest",
    "hyperparameter_grid",
    "init_many",
    "many_epoch",
    "many_epoch_fn",
    "masked_mean",
    "objective_for",
    "predict_one_vs_rest",
    "run_epochs",
    "train_epoch",
    "train_epoch_fn",
    "train_step",
    "with_hyperparams",
]
