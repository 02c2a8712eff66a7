"""Learning curves: what d2l's ProgressBoard shows, for one run or several on shared axes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from matplotlib import color_sequences
from matplotlib.figure import Figure

from jaxdl._checks import fail
from jaxdl.plots._figure import new_figure

History = Mapping[str, Sequence[float]]
SPLITS = (("train", "-"), ("val", ":"), ("test", "--"))
"""Each split's line style: train solid, validation dotted, test dashed."""


def _is_history(value: Any) -> TypeGuard[History]:
    return isinstance(value, Mapping) and not any(isinstance(v, Mapping) for v in value.values())


def as_runs(history: History | Mapping[str, History] | Sequence[History]) -> dict[str, History]:
    """Name each run: ``{"": history}`` for one history, the keys of a dict of runs, ``run 0``… for a list.

    >>> list(as_runs([{"train_loss": [1.0]}, {"train_loss": [0.5]}]))
    ['run 0', 'run 1']
    """
    if _is_history(history):
        return {"": history}
    if isinstance(history, Mapping):
        runs = dict(history)
    elif isinstance(history, Sequence) and not isinstance(history, str):
        runs = {f"run {i}": run for i, run in enumerate(history)}
    else:
        runs = {}
    checked = {name: run for name, run in runs.items() if _is_history(run)}
    if not runs or len(checked) != len(runs):
        raise fail(
            "plot_history",
            "history",
            history,
            'FitResult.history (a dict of per-epoch lists), a dict of them by run name ({"sgd": h1, "adam": h2}) '
            "or a list of them",
            got=type(history).__name__,
        )
    return {str(name): run for name, run in checked.items()}


def plot_history(history: History | Mapping[str, History] | Sequence[History], *, title: str | None = None) -> Figure:
    """Loss (and accuracy, when present) per epoch: train solid, validation dotted, test dashed.

    Args:
      history: ``FitResult.history`` (``train_loss``, ``test_loss``, optionally ``val_loss``,
        ``train_acc``, ``val_acc``, ``test_acc``: one value per epoch), or several runs to
        compare on shared axes: ``{"sgd": h1, "adam": h2}`` (legend by run name) or ``[h1, h2]``.
      title: a title above the axes.

    Returns:
      an :class:`~jaxdl.plots.InlineFigure` (shown as an image in Jupyter) with one axes for the
      loss and one for the accuracy if recorded; each run has its own colour.

    >>> len(plot_history({"train_loss": [1.0, 0.5], "test_loss": [1.1, 0.7]}).axes)
    1
    >>> fig = plot_history({"sgd": {"train_loss": [1.0]}, "adam": {"train_loss": [0.8]}})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['sgd train loss', 'adam train loss']
    """
    runs = as_runs(history)
    has_acc = any(f"{split}_acc" in run for run in runs.values() for split, _ in SPLITS)
    panels = [("loss", "loss")] + ([("acc", "accuracy")] if has_acc else [])
    colors = color_sequences["tab10"]
    fig = new_figure(figsize=(4.5 * len(panels), 3.5), layout="constrained")
    for i, (key, label) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, len(panels), i)
        for r, (name, run) in enumerate(runs.items()):
            for split, style in SPLITS:
                values = run.get(f"{split}_{key}")
                if values is not None and len(values):
                    ax.plot(
                        range(1, len(values) + 1),
                        list(values),
                        style,
                        color=colors[r % len(colors)],
                        label=f"{name} {split} {label}".strip(),
                    )
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
