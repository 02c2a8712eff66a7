"""``load(name)``: every dataset jaxdl knows by name, in one table."""

from __future__ import annotations

from collections.abc import Callable

import jax

from jaxdl.data._builtin import diabetes, digits, synthetic_regression
from jaxdl.data._dataset import Dataset
from jaxdl.data._mnist import mnist_like
from jaxdl.errors import ConfigError, unknown

_BY_NAME: dict[str, Callable[[str | None, int], Dataset]] = {
    "digits": lambda data_dir, seed: digits(),
    "mnist": lambda data_dir, seed: mnist_like("mnist", data_dir),
    "fashion_mnist": lambda data_dir, seed: mnist_like("fashion_mnist", data_dir),
    "synthetic_regression": lambda data_dir, seed: synthetic_regression(key=jax.random.key(seed)),
    "diabetes": lambda data_dir, seed: diabetes(),
}
LOADERS = tuple(_BY_NAME)


def load(name: str, *, data_dir: str | None = None, seed: int = 0) -> Dataset:
    """Load a dataset by name.

    Args:
      name: one of ``digits`` (embedded, offline), ``mnist``, ``fashion_mnist``
        (prepared TFDS data or IDX files in ``data_dir``), ``synthetic_regression``,
        ``diabetes`` (embedded, standardized regression; see :func:`jaxdl.data.diabetes`).
        Case and ``-`` versus ``_`` do not matter.
      data_dir: folder with TFDS data or the four IDX files (torchvision's
        ``<data_dir>/FashionMNIST/raw`` layout is accepted).
      seed: seeds the synthetic data; the real datasets have fixed splits.

    Raises:
      ConfigError: an unknown name (with a "did you mean"), or MNIST data that is not there.

    >>> load("digits").train[0].shape
    (1437, 8, 8, 1)
    """
    if not isinstance(name, str):
        raise ConfigError(f"load: name must be a dataset name such as 'digits', got {name!r}")
    key = name.lower().replace("-", "_")
    if key not in _BY_NAME:
        raise unknown("dataset", name, LOADERS)
    return _BY_NAME[key](data_dir, seed)
