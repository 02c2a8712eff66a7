"""Training: ``fit`` one model, ``fit_many`` models at once, ``fit_one_vs_rest``, and the pieces under them.

``fit`` says what to train; :mod:`jaxdl.callbacks` do the rest (progress, early stopping,
checkpoints, logs). For a loop of your own: :func:`create_train_state`, :func:`train_step`,
:func:`train_epoch` (one compiled epoch), :func:`evaluate`, and :func:`scheduled` (an optimizer driven by a
schedule as ``fit`` drives it).
"""

from jaxdl.train._epoch import batch_plan, evaluate, train_epoch
from jaxdl.train._fit import FitResult, fit
from jaxdl.train._halving import SuccessiveHalving
from jaxdl.train._hparams import hyperparameter_grid
from jaxdl.train._lr import scheduled
from jaxdl.train._many import ManyResult, fit_many
from jaxdl.train._objective import LOSSES, Objective, objective_for
from jaxdl.train._ovr import OneVsRestResult, SummedBCE, fit_one_vs_rest, predict_one_vs_rest
from jaxdl.train._search import Choice, LogUniform, Uniform, search_space
from jaxdl.train._state import ModelApply, TrainState, apply_model, create_train_state, model_kwargs
from jaxdl.train._step import eval_step, train_step
from jaxdl.train._validate import check_fit_args

__all__ = [
    "LOSSES",
    "Choice",
    "FitResult",
    "LogUniform",
    "ManyResult",
    "ModelApply",
    "Objective",
    "OneVsRestResult",
    "SuccessiveHalving",
    "SummedBCE",
    "TrainState",
    "Uniform",
    "apply_model",
    "batch_plan",
    "check_fit_args",
    "create_train_state",
    "eval_step",
    "evaluate",
    "fit",
    "fit_many",
    "fit_one_vs_rest",
    "hyperparameter_grid",
    "model_kwargs",
    "objective_for",
    "predict_one_vs_rest",
    "scheduled",
    "search_space",
    "train_epoch",
    "train_step",
]
