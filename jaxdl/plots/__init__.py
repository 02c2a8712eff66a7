"""Matplotlib figures for the course: each function returns a Figure that Jupyter shows as an image."""

from jaxdl.plots._figure import InlineFigure
from jaxdl.plots.activations import plot_activation
from jaxdl.plots.history import plot_history
from jaxdl.plots.images import show_images
from jaxdl.plots.schedules import plot_schedules
from jaxdl.plots.sweep import plot_sweep

__all__ = ["InlineFigure", "plot_activation", "plot_history", "plot_schedules", "plot_sweep", "show_images"]
