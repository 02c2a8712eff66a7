"""Learning-rate schedules as curves: rate against step, one axes or a grid of them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike
from matplotlib.figure import Figure

from jaxdl._checks import fail
from jaxdl.plots._figure import new_figure


def schedule_values(schedule: Callable[[jax.Array], jax.Array] | ArrayLike, steps: int) -> np.ndarray:
    """``schedule`` at counts ``0 .. steps-1`` as a ``(steps,)`` array; precomputed values pass through.

    >>> schedule_values(lambda count: 0.5 ** count, 3).tolist()
    [1.0, 0.5, 0.25]
    """
    if callable(schedule):
        return np.asarray(jax.jit(jax.vmap(schedule))(jnp.arange(steps)), dtype=np.float64)
    values = np.asarray(schedule, dtype=np.float64)
    if values.shape != (steps,):
        raise fail("plot_schedules", "schedules", schedule, f"{steps} values per curve", got=f"shape {values.shape}")
    return values


def plot_schedules(
    schedules: Mapping[str, Callable[[jax.Array], jax.Array] | ArrayLike],
    steps: int,
    *,
    grid: bool = False,
    title: str | None = None,
) -> Figure:
    """Plot learning rate against step for each named schedule.

    Args:
      schedules: ``{label: schedule}``; a schedule is any ``count -> lr`` function (jaxdl or
        optax) or ``steps`` precomputed rates (e.g. ``ReduceLROnPlateau`` driven by a metric).
      steps: curves cover counts ``0 .. steps-1``.
      grid: False draws every curve on one labelled axes; True gives each its own panel.
      title: optional figure title.

    Returns:
      A ``matplotlib.figure.Figure`` (nothing is shown); save it with ``fig.savefig(path)``.

    >>> from jaxdl.schedules import step_lr
    >>> len(plot_schedules({"StepLR": step_lr(0.1, 10)}, 50).axes[0].lines)
    1
    """
    curves = {label: schedule_values(s, steps) for label, s in schedules.items()}
    x = np.arange(steps)
    if not grid:
        fig = new_figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.add_subplot()
        for label, y in curves.items():
            ax.plot(x, y, label=label)
        ax.set_xlabel("step")
        ax.set_ylabel("learning rate")
        ax.grid(True, alpha=0.3)
        if len(curves) > 1:
            ax.legend()
    else:
        cols = math.ceil(math.sqrt(len(curves)))
        rows = math.ceil(len(curves) / cols)
        fig = new_figure(figsize=(3.2 * cols, 2.4 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, (label, y) in zip(axes, curves.items(), strict=False):
            ax.plot(x, y, label=label)
            ax.set_title(label, fontsize=10)
            ax.grid(True, alpha=0.3)
        for ax in axes[len(curves) :]:
            ax.set_axis_off()
        fig.supxlabel("step")
        fig.supylabel("learning rate")
    if title:
        fig.suptitle(title)
    return fig
