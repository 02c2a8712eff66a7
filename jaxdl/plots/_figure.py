"""A matplotlib ``Figure`` that a notebook shows as an image, with or without pyplot."""

from __future__ import annotations

import io

from matplotlib.figure import Figure


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
