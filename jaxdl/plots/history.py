"""Learning curves: what d2l's ProgressBoard shows, drawn once from a finished history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure


def plot_history(history: Mapping[str, Sequence[float]], *, title: str | None = None) -> Figure:
    """Loss (and accuracy, when present) per epoch, train vs test.

    Args:
      history: ``FitResult.history``: ``train_loss``, ``test_loss`` and optionally
        ``train_acc``, ``test_acc``, one value per epoch.

    Returns:
      a Figure with one axes for the loss and one for the accuracy if recorded.

    >>> len(plot_history({"train_loss": [1.0, 0.5], "test_loss": [1.1, 0.7]}).axes)
    1
    """
    panels = [("loss", "loss")] + ([("acc", "accuracy")] if "train_acc" in history else [])
    fig = Figure(figsize=(4.5 * len(panels), 3.5), layout="constrained")
    for i, (key, label) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, len(panels), i)
        for split, style in (("train", "-"), ("test", "--")):
            values = history.get(f"{split}_{key}")
            if values:
                ax.plot(range(1, len(values) + 1), values, style, label=f"{split} {label}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig
