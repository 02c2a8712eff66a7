"""Matplotlib figures for the course: each function returns a Figure that Jupyter shows as pyplot's figures.

In a notebook a figure appears at the end of the cell that made it (each of several made in a
loop too), at ``plt.show()``, or as the cell's value, once; elsewhere ``fig.savefig(path)``.
"""

from jaxdl.plots._activations import plot_activation
from jaxdl.plots._figure import InlineFigure
from jaxdl.plots._history import plot_history
from jaxdl.plots._images import show_images
from jaxdl.plots._schedules import plot_schedules, schedule_values
from jaxdl.plots._sweep import plot_search, plot_sweep

__all__ = [
    "InlineFigure",
    "plot_activation",
    "plot_history",
    "plot_schedules",
    "plot_search",
    "plot_sweep",
    "schedule_values",
    "show_images",
]
