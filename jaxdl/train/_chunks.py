"""Runs of ``fit_many`` in chunks: at most ``max_parallel`` at once, padded to equal size."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
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


def split_padded(tree: Any, size: int, count: int) -> list[Any]:
    """Pad the leading axis of ``tree`` to ``size * count`` by repeating row 0, then split into ``count`` chunks."""
    total = size * count

    def pad(leaf):
        extra = total - leaf.shape[0]
        return jnp.concatenate([leaf, jnp.repeat(leaf[:1], extra, axis=0)]) if extra else leaf

    padded = jax.tree.map(pad, tree)
    return [jax.tree.map(lambda leaf, i=i: leaf[i * size : (i + 1) * size], padded) for i in range(count)]
