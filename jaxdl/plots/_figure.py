"""A matplotlib ``Figure`` that a notebook shows as pyplot's are shown: where it is made, by ``plt.show()``, once."""

from __future__ import annotations

import io
from typing import Any, cast

from matplotlib.figure import Figure

from jaxdl._notebook import in_notebook


class InlineFigure(Figure):
    """A ``Figure`` with ``_repr_png_``, so Jupyter renders a returned figure as ``image/png``.

    A ``Figure`` built without pyplot has no display hook of its own: a fresh kernel would show
    ``<Figure size 900x350 with 2 Axes>`` as text. Everything else is matplotlib's ``Figure``
    (``savefig``, ``axes``, ...).

    >>> InlineFigure(figsize=(1, 1))._repr_png_()[:4]
    b'\\x89PNG'
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()


def new_figure(**kwargs: Any) -> InlineFigure:
    """A new :class:`InlineFigure` (``kwargs`` as for ``Figure``); in Jupyter, one that pyplot manages.

    In a notebook the figure is pyplot's, as ``plt.figure()`` makes it: shown at the end of the
    cell that made it (also one of several made in a loop), or at ``plt.show()``. Once shown it is
    closed, so a figure that is also the cell's value appears once. Elsewhere (scripts, tests)
    pyplot never sees it: nothing to close, no "more than 20 figures" warning.
    """
    if not in_notebook():
        return InlineFigure(**kwargs)
    import matplotlib.pyplot as plt

    _show_once()
    return cast(InlineFigure, plt.figure(FigureClass=InlineFigure, **kwargs))


def _show_once() -> None:
    """Make the kernel render an :class:`InlineFigure` as PNG and close it in pyplot when it does (once per kernel)."""
    from IPython.core.getipython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]  # pyright: ignore[reportAttributeAccessIssue,reportOptionalMemberAccess]
    if InlineFigure not in formatter.type_printers:
        formatter.for_type(InlineFigure, _png_and_close)


def _png_and_close(figure: InlineFigure) -> bytes:
    import matplotlib.pyplot as plt

    plt.close(figure)
    return figure._repr_png_()
