"""d2l 5.1.2's activation plots: the function and its derivative side by side."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from jaxdl.activations import PRELU_INIT, derivative, get_activation
from jaxdl.plots._figure import new_figure


def plot_activation(name: str, *, alpha: float = PRELU_INIT) -> Figure:
    """Plot activation ``name`` and its derivative on ``x ∈ [-8, 8)`` (step 0.1, as the course).

    Args:
      name: one of ``relu``, ``sigmoid``, ``tanh``, ``prelu``.
      alpha: PReLU's slope for ``x <= 0`` (ignored by the others).

    Returns:
      A ``matplotlib.figure.Figure`` with two axes, ``name(x)`` and ``grad of name``;
      save it with ``fig.savefig(path)`` (nothing is shown).

    >>> len(plot_activation("relu").axes)
    2
    """
    fn = get_activation(name)
    args = (alpha,) if name == "prelu" else ()
    x = jnp.arange(-8.0, 8.0, 0.1)
    y = np.asarray(fn(x, *args))
    dy = np.asarray(derivative(fn, x, *args))
    fig = new_figure(figsize=(7.0, 2.5), layout="constrained")
    label = f"{name}(x, alpha={alpha:g})" if args else f"{name}(x)"
    for ax, values, ylabel in zip(fig.subplots(1, 2), (y, dy), (label, f"grad of {name}"), strict=True):
        ax.plot(np.asarray(x), values)
        ax.set_xlabel("x")
        ax.set_ylabel(ylabel)
        ax.grid(True)
    return fig
