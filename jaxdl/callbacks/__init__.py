"""Callbacks: the one way to follow and steer a run of ``fit``, ``fit_many`` and ``fit_one_vs_rest``.

Subclass :class:`Callback` and pass instances in ``fit(..., callbacks=[...])``; plain functions go
in a :class:`LambdaCallback`. Built in: :class:`ProgressBar` (added by ``verbose``),
:class:`EarlyStopping`, :class:`Checkpoint`, :class:`CSVLogger`, :class:`TensorBoard`,
:class:`LivePlot`, :class:`LossLimit`; ``jaxdl.swa.AveragedWeights`` averages the weights.
"""

from jaxdl.callbacks._callback import Callback, DeviceHook, TrainInfo
from jaxdl.callbacks._checkpoint import Checkpoint
from jaxdl.callbacks._csv import CSVLogger
from jaxdl.callbacks._early_stopping import EarlyStopping, maximized
from jaxdl.callbacks._lambda import LambdaCallback
from jaxdl.callbacks._list import CallbackList, safe_copy
from jaxdl.callbacks._live_plot import LivePlot
from jaxdl.callbacks._loss_limit import LossLimit
from jaxdl.callbacks._progress import ProgressBar, format_row
from jaxdl.callbacks._tensorboard import TensorBoard

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "Checkpoint",
    "DeviceHook",
    "EarlyStopping",
    "LambdaCallback",
    "LivePlot",
    "LossLimit",
    "ProgressBar",
    "TensorBoard",
    "TrainInfo",
    "format_row",
    "maximized",
    "safe_copy",
]
