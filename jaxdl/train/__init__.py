"""Training: state, steps, the compiled epoch and ``fit``.

Modules hold one concept each; this package re-exports the public names so that
``from jaxdl.train import fit`` works.
"""

from jaxdl.train.epoch import batch_plan, evaluate, evaluate_fn, train_epoch, train_epoch_fn
from jaxdl.train.fit import DivergenceError, FitResult, fit
from jaxdl.train.objective import LOSSES, Objective, objective_for
from jaxdl.train.state import TrainState, create_train_state
from jaxdl.train.step import eval_step, train_step
from jaxdl.train.hparams import hyperparameter_grid
from jaxdl.train.many import ManyResult, fit_many
from jaxdl.train.ovr import OneVsRestResult, fit_one_vs_rest, predict_one_vs_rest
