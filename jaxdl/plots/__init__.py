"""Matplotlib figures for the course: each function returns a ``matplotlib.figure.Figure``."""

from jaxdl.plots.history import plot_history
from jaxdl.plots.images import show_images
from jaxdl.plots.activations import plot_activation
from jaxdl.plots.schedules import plot_schedules
from jaxdl.plots.sweep import plot_sweep
