"""Runs of ``fit_many`` in chunks: at most ``max_parallel`` at once, padded to equal size
(:func:`~jaxdl.train._stacked.split_padded` makes them)."""

from __future__ import annotations

from jax.sharding import Mesh

from jaxdl import parallel
from jaxdl._checks import ceil_div, positive_int


def chunk_sizes(num_runs: int, max_parallel: int | None, mesh: Mesh | None = None) -> tuple[int, int]:
    """``(chunk size, number of chunks)`` for ``num_runs`` runs, at most ``max_parallel`` at once.

    On a ``mesh`` the chunk size is rounded up to a multiple of its devices (padding runs fill it).

    >>> chunk_sizes(10, 3)
    (3, 4)
    """
    size = num_runs if max_parallel is None else min(positive_int("fit_many", "max_parallel", max_parallel), num_runs)
    if mesh is not None:
        size = parallel.runs_per_chunk(size, parallel.check_mesh(mesh))
    return size, ceil_div(num_runs, size)
