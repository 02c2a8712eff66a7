"""Pytrees of runs stacked along axis 0, reshaped in one compiled program each.

``fit_many`` stacks, pads, splits, gathers and scatters the states of N runs. Done leaf by leaf
with eager ``jnp`` calls, each leaf shape compiles a small program of its own (dozens per rung of a
halving search, more on a mesh); each function here is one program per input structure instead,
which the persistent compilation cache keeps.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


@jax.jit
def stack(trees: list[Any]) -> Any:
    """Equal pytrees stacked leaf by leaf along a new axis 0: N trees become one tree of (N, ...) leaves."""
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


@jax.jit
def _take(tree: Any, index: jax.Array) -> Any:
    return jax.tree.map(lambda leaf: leaf[index], tree)


@jax.jit
def _put(tree: Any, index: jax.Array, part: Any) -> Any:
    return jax.tree.map(lambda leaf, new: leaf.at[index].set(new), tree, part)


def take(tree: Any, index: int | np.ndarray) -> Any:
    """Runs of ``tree`` (N, ...): an index array (M,) gives a tree of (M, ...) leaves, an int one run's (...).

    An int may count from the end (-1 is the last run); out of range raises IndexError.

    >>> take({"w": jnp.arange(4.0)}, np.array([3, 1]))["w"].tolist()
    [3.0, 1.0]
    >>> take({"w": jnp.arange(6.0).reshape(3, 2)}, -1)["w"].tolist()
    [4.0, 5.0]
    """
    if isinstance(index, int | np.integer):
        runs = jax.tree.leaves(tree)[0].shape[0]
        if not -runs <= index < runs:
            raise IndexError(f"run {index} is out of range: there are {runs} runs")
        index = int(index) % runs
    return _take(tree, jnp.asarray(index, jnp.int32))


def put(tree: Any, index: np.ndarray, part: Any) -> Any:
    """``tree`` (N, ...) with its runs ``index`` (M,) replaced by ``part`` (M, ...).

    >>> put({"w": jnp.zeros(3)}, np.array([2]), {"w": jnp.ones(1)})["w"].tolist()
    [0.0, 0.0, 1.0]
    """
    return _put(tree, jnp.asarray(index, jnp.int32), part)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _split_padded(tree: Any, size: int, count: int) -> list[Any]:
    def pad(leaf: jax.Array) -> jax.Array:
        extra = size * count - leaf.shape[0]
        return jnp.concatenate([leaf, jnp.repeat(leaf[:1], extra, axis=0)]) if extra else leaf

    padded = jax.tree.map(pad, tree)
    return [jax.tree.map(lambda leaf, i=i: leaf[i * size : (i + 1) * size], padded) for i in range(count)]


def split_padded(tree: Any, size: int, count: int) -> list[Any]:
    """Pad the leading axis of ``tree`` to ``size * count`` by repeating row 0, then split into ``count`` chunks.

    >>> [c["w"].tolist() for c in split_padded({"w": jnp.arange(3.0)}, 2, 2)]
    [[0.0, 1.0], [2.0, 0.0]]
    """
    if count == 1 and all(leaf.shape[0] == size for leaf in jax.tree.leaves(tree)):
        return [tree]
    return _split_padded(tree, size, count)


@functools.partial(jax.jit, static_argnums=1)
def _joined(chunks: list[Any], runs: int) -> Any:
    return jax.tree.map(lambda *parts: jnp.concatenate(parts)[:runs], *chunks)


def joined(chunks: list[Any], runs: int) -> Any:
    """Chunks of stacked runs (each (size, ...)) as one tree of the first ``runs`` runs, padding dropped.

    >>> joined([{"w": jnp.arange(2.0)}, {"w": jnp.arange(2.0)}], 3)["w"].tolist()
    [0.0, 1.0, 0.0]
    """
    if len(chunks) == 1 and all(leaf.shape[0] == runs for leaf in jax.tree.leaves(chunks[0])):
        return chunks[0]
    return _joined(chunks, runs)
