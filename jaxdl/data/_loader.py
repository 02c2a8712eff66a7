"""``DataLoader``: batches of arrays for a training loop of your own, shuffled with an explicit key."""

from __future__ import annotations

from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy.typing as npt

from jaxdl import _checks
from jaxdl.data._permutation import permutation
from jaxdl.errors import ConfigError


class DataLoader:
    """PyTorch's ``DataLoader(TensorDataset(X, y), batch_size, shuffle, drop_last)`` for arrays.

    ``loader.batches(key=k)`` is one epoch: ``(x, y)`` batches in the order of a permutation
    drawn from ``k`` (a new key each epoch gives a new order, as PyTorch reshuffles), or in
    order with ``shuffle=False`` (then ``for x, y in loader`` works too). The last batch holds
    the ``N % batch_size`` remaining examples (its ``x.shape[0]`` says how many), or is left
    out with ``drop_last``. ``len(loader)`` is the number of batches. A jitted step compiles once
    more for the short last batch; ``fit`` pads it instead (see :func:`~jaxdl.train.batch_plan`).

    Args:
      *arrays: arrays with the same first axis (N, ...), e.g. ``X, y`` or ``*ds.train``.
      batch_size: examples per batch.
      shuffle: draw a new order every epoch (then ``batches`` needs a key).
      drop_last: leave out a last batch shorter than ``batch_size``.

    >>> X, y = jnp.arange(10.0).reshape(5, 2), jnp.arange(5)
    >>> loader = DataLoader(X, y, batch_size=2, shuffle=True)
    >>> [xb.shape[0] for xb, yb in loader.batches(key=jax.random.key(0))], len(loader)
    ([2, 2, 1], 3)
    """

    def __init__(self, *arrays: npt.ArrayLike, batch_size: int, shuffle: bool = False, drop_last: bool = False):
        if not arrays:
            raise ConfigError("DataLoader: give the arrays to batch, e.g. DataLoader(X, y, batch_size=32).")
        self.arrays = tuple(jnp.asarray(a) for a in arrays)
        sizes = {a.shape[0] if a.ndim else None for a in self.arrays}
        if len(sizes) != 1 or None in sizes:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ConfigError(f"DataLoader: the arrays must have the same first axis (N, ...), got shapes {shapes}.")
        self.batch_size = _checks.positive_int("DataLoader", "batch_size", batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)

    @property
    def num_examples(self) -> int:
        """N, the examples in one epoch (before ``drop_last``)."""
        return int(self.arrays[0].shape[0])

    def __len__(self) -> int:
        full, rest = divmod(self.num_examples, self.batch_size)
        return full + (rest > 0 and not self.drop_last)

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.num_examples} examples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}: {len(self)} batches)"
        )

    def batches(self, *, key: jax.Array | None = None) -> Iterator[tuple[jax.Array, ...]]:
        """One epoch of batches, each a tuple with one (B, ...) array per array given.

        Args:
          key: the key of this epoch's order; required with ``shuffle``, refused without it.
        """
        if self.shuffle and key is None:
            raise ConfigError(
                "DataLoader: shuffle=True draws each epoch's order from a key: "
                "iterate loader.batches(key=epoch_key), with a new key every epoch."
            )
        if not self.shuffle and key is not None:
            raise ConfigError("DataLoader: a key orders the batches only with shuffle=True.")
        n = self.num_examples
        order = None if key is None else permutation(_checks.random_key("DataLoader.batches", "key", key), n)
        for b in range(len(self)):
            start = b * self.batch_size
            stop = min(start + self.batch_size, n)
            if order is None:
                yield tuple(a[start:stop] for a in self.arrays)
            else:
                rows = order[start:stop]
                yield tuple(a[rows] for a in self.arrays)

    def __iter__(self) -> Iterator[tuple[jax.Array, ...]]:
        return self.batches()
