"""``LivePlot``: d2l's ``ProgressBoard`` for ``fit``: the learning curves redrawn in place as epochs finish."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jaxdl._checks import number
from jaxdl._notebook import in_notebook
from jaxdl.callbacks._callback import Callback, TrainInfo

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class LivePlot(Callback):
    """Loss and accuracy per epoch, drawn in a notebook cell and redrawn in place (``callbacks=[LivePlot()]``).

    In Jupyter the figure (:func:`jaxdl.plots.plot_history`: train, validation and test curves)
    appears after the first epoch and is updated in place with ``IPython.display``'s
    ``display_id``, at most every ``min_interval`` seconds (drawing costs more than a small
    epoch) and once more when training ends. Outside a notebook nothing is drawn; ``figure``
    still gives the curves so far, e.g. to save them.

    Args:
      min_interval: the fewest seconds between two redraws.

    >>> from jaxdl.callbacks import LivePlot
    >>> live = LivePlot()
    >>> live.on_epoch_end(1, {"train_loss": 0.5}, None, {"train_loss": [0.5]})
    >>> len(live.figure.axes)
    1
    """

    can_stop: bool = False

    def __init__(self, *, min_interval: float = 0.5) -> None:
        self.min_interval = number("LivePlot", "min_interval", min_interval, low=0.0)
        self._history: Mapping[str, Any] = {}
        self._title: str | None = None
        self._handle = None
        self._last_draw = -float("inf")

    @property
    def figure(self) -> Figure:
        """The learning curves of the epochs seen so far, as a new :class:`~jaxdl.plots.InlineFigure`."""
        from jaxdl.plots import plot_history

        return plot_history(self._history, title=self._title)

    def on_train_begin(self, info: TrainInfo) -> None:
        """Start a new figure (a second ``fit`` draws its own)."""
        self._history, self._handle, self._last_draw = {}, None, -float("inf")
        self._title = info.label if info is not None else None

    def on_epoch_end(self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]) -> None:
        """Keep ``history``; redraw when ``min_interval`` seconds have passed since the last drawing."""
        del epoch, row, state
        self._history = history
        if time.monotonic() - self._last_draw >= self.min_interval:
            self._draw()

    def on_train_end(self, result: Any) -> None:
        """Draw the final curves (also after an early stop)."""
        history = getattr(result, "history", None)
        if isinstance(history, Mapping) and history:
            self._history = history
        if self._history:
            self._draw()

    def _draw(self) -> None:
        self._last_draw = time.monotonic()
        if not in_notebook() or not self._history:
            return
        from IPython.display import display

        figure = self.figure
        if self._handle is None:
            self._handle = display(figure, display_id=True)
        else:
            self._handle.update(figure)
