"""The course's ``show_images`` / ``visualize``: a grid of images with their text labels."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from jaxdl.plots._figure import new_figure


def show_images(
    images: npt.ArrayLike,
    labels: Sequence[int] | None = None,
    *,
    class_names: Sequence[str] | None = None,
    predictions: Sequence[int] | None = None,
    num_cols: int = 8,
    scale: float = 1.5,
) -> Figure:
    """A grid of images (N, H, W) or (N, H, W, 1|3) titled by their labels.

    With ``predictions``, a correct image is titled by its label and a wrong one by
    ``"true 8, pred 6"`` (in red), saying which is which. ``class_names`` turns class indices
    into text.

    >>> len(show_images(np.zeros((3, 8, 8, 1)), [0, 1, 2], num_cols=2).axes)
    3
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n = len(images)
    cols = max(1, min(num_cols, n))
    rows = math.ceil(n / cols)
    fig = new_figure(figsize=(cols * scale, rows * (scale + 0.3)), layout="constrained")

    def name(c: int) -> str:
        return class_names[int(c)] if class_names is not None else str(int(c))

    for i, image in enumerate(images):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_axis_off()
        if labels is None:
            continue
        if predictions is not None and int(predictions[i]) != int(labels[i]):
            ax.set_title(f"true {name(labels[i])}, pred {name(predictions[i])}", color="red", fontsize=8)
        else:
            ax.set_title(name(labels[i]), fontsize=8)
    return fig
