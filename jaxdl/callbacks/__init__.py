"""Callbacks ``fit``/``fit_many`` call after each epoch: progress, early stopping, logging, plots.

Subclass :class:`Callback` and pass instances in ``fit(..., callbacks=[...])``.
"""

from jaxdl.callbacks._callback import Callback, TrainInfo
from jaxdl.callbacks._early_stopping import EarlyStopping
from jaxdl.callbacks._live_plot import LivePlot
from jaxdl.callbacks._progress import ProgressBar
from jaxdl.callbacks._tensorboard import TensorBoard

__all__ = ["Callback", "EarlyStopping", "LivePlot", "ProgressBar", "TensorBoard", "TrainInfo"]
