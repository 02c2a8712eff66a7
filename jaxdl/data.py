"""Datasets as arrays on the device.

Images are float32 in [0, 1] with shape (N, H, W, 1); labels are int32 of shape (N,).
Regression targets are float32 of shape (N, 1). Batching happens by index inside the
compiled epoch (see :mod:`jaxdl.train`), so a dataset is nothing more than four arrays.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl import idx, tfds_source
from jaxdl.errors import ConfigError, suggest

if TYPE_CHECKING:
    from jaxdl.tabular import Standardizer

FASHION_MNIST_CLASSES = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)
DIGIT_CLASSES = tuple(str(i) for i in range(10))
TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Train and test arrays plus label metadata.

    Attributes:
      train: ``(X, y)``; X float32 (N, ...), y int32 (N,) for classification or
        float32 (N, 1) for regression.
      test: ``(X, y)`` with the same trailing shapes.
      num_classes: number of classes, or ``None`` for regression.
      class_names: one text label per class, or ``None``.
      name: where the data came from.
      standardizer: the train-statistics :class:`~jaxdl.tabular.Standardizer` already applied
        to the features, or ``None``.
      target_standardizer: the one applied to regression targets, or ``None``; metrics
        such as ``test_mse`` are reported in the original units.
    """

    train: tuple[jax.Array, jax.Array]
    test: tuple[jax.Array, jax.Array]
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    name: str = "arrays"
    standardizer: Standardizer | None = None
    target_standardizer: Standardizer | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(8, 8, 1)``."""
        return tuple(self.train[0].shape[1:])


def _array(value, name: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as err:
        reason = str(err).splitlines()[0]
        raise ConfigError(
            f"{name} cannot be read as one array ({reason}): expected a rectangular array of numbers."
        ) from None


def _check_labels(y: np.ndarray, split: str) -> None:
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ConfigError(
            f"y_{split} has dtype {y.dtype}: expected integer class indices 0..num_classes-1 "
            "(map names to indices first)."
        )
    if y.ndim > 1 and y.shape[1:] != (1,):
        raise ConfigError(
            f"y_{split} has shape {y.shape}: expected ({y.shape[0]},) class indices "
            "(for one-hot labels pass y.argmax(axis=1))."
        )


def _check_split(X, y, split: str, num_classes: int | None) -> tuple[np.ndarray, np.ndarray]:
    X, y = _array(X, f"X_{split}"), _array(y, f"y_{split}")
    if X.ndim < 1 or len(X) == 0:
        raise ConfigError(f"X_{split} is empty: expected at least one example, got shape {X.shape}.")
    if y.ndim < 1 or len(X) != len(y):
        raise ConfigError(
            f"X_{split} and y_{split} have different lengths ({len(X)} vs {len(y) if y.ndim else 'a scalar'}): "
            "expected one label per example."
        )
    if not np.issubdtype(X.dtype, np.number):
        raise ConfigError(f"X_{split} has dtype {X.dtype}: expected numbers.")
    if not np.all(np.isfinite(X)):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ConfigError(f"X_{split} contains {bad} NaN/inf values: clean or impute the data first.")
    if num_classes is None:
        if not np.issubdtype(y.dtype, np.number):
            raise ConfigError(f"y_{split} has dtype {y.dtype}: expected real-valued regression targets.")
        if not np.all(np.isfinite(y)):
            raise ConfigError(f"y_{split} contains NaN/inf values: expected finite regression targets.")
        y = y.astype(np.float32)
        return X.astype(np.float32), y.reshape(len(y), -1)
    _check_labels(y, split)
    if not (np.issubdtype(y.dtype, np.integer) or np.all(np.mod(y, 1) == 0)):
        raise ConfigError(f"y_{split} has non-integer labels (dtype {y.dtype}): expected class indices.")
    y = y.astype(np.int64).reshape(-1)
    if y.min() < 0 or y.max() >= num_classes:
        raise ConfigError(
            f"y_{split} has labels in [{y.min()}, {y.max()}]: expected 0 <= label < num_classes={num_classes}."
        )
    return X.astype(np.float32), y.astype(np.int32)


def from_arrays(
    X_train, y_train, X_test, y_test, *,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    regression: bool = False,
    name: str = "arrays",
) -> Dataset:
    """Wrap user arrays as a validated :class:`Dataset` on the default device.

    Args:
      X_train, X_test: (N, ...) numeric features or images.
      y_train, y_test: (N,) integer labels, or (N,) / (N, 1) targets when ``regression``.
      num_classes: defaults to ``max(label) + 1`` over both splits.
      class_names: one name per class.
      regression: targets are real numbers (no classes).

    >>> ds = from_arrays(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [1, 0])
    >>> ds.num_classes
    2
    """
    if not regression:
        if num_classes is None:
            splits = {"train": _array(y_train, "y_train"), "test": _array(y_test, "y_test")}
            for split, y in splits.items():
                _check_labels(y, split)
            labels = np.concatenate([np.ravel(y) for y in splits.values()])
            if not np.all(np.isfinite(labels)) or not np.all(np.mod(labels, 1) == 0):
                raise ConfigError("labels must be integer class indices (or pass regression=True).")
            num_classes = int(labels.max()) + 1 if labels.size else 1
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
            raise ConfigError(f"num_classes={num_classes!r}: expected a positive integer.")
        if class_names is not None and len(class_names) != num_classes:
            raise ConfigError(
                f"class_names has {len(class_names)} names: expected num_classes={num_classes}."
            )
    else:
        num_classes = None
    Xtr, ytr = _check_split(X_train, y_train, "train", num_classes)
    Xte, yte = _check_split(X_test, y_test, "test", num_classes)
    if Xtr.shape[1:] != Xte.shape[1:]:
        raise ConfigError(
            f"X_train examples have shape {Xtr.shape[1:]} but X_test examples {Xte.shape[1:]}: expected the same."
        )
    return Dataset(
        train=(jnp.asarray(Xtr), jnp.asarray(ytr)),
        test=(jnp.asarray(Xte), jnp.asarray(yte)),
        num_classes=num_classes,
        class_names=tuple(class_names) if class_names is not None else None,
        name=name,
    )


def digits() -> Dataset:
    """scikit-learn's 8x8 digits: 1437 train / 360 test, a fixed stratified 80/20 split.

    Images (N, 8, 8, 1) scaled from 0..16 to [0, 1].
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    X = (bunch.images / 16.0).astype(np.float32)[..., None]
    Xtr, Xte, ytr, yte = train_test_split(
        X, bunch.target, test_size=0.2, stratify=bunch.target, random_state=0
    )
    return from_arrays(Xtr, ytr, Xte, yte, num_classes=10, class_names=DIGIT_CLASSES, name="digits")


def synthetic_regression(
    w: Sequence[float] = (2.0, -3.4), b: float = 4.2, *, noise: float = 0.01,
    num_train: int = 1000, num_val: int = 1000, key: jax.Array,
) -> Dataset:
    """d2l's ``SyntheticRegressionData``: y = X w + b + noise * eps, X ~ N(0, 1).

    Returns X (n, len(w)) float32 and y (n, 1) float32 for train and test.
    """
    w = jnp.asarray(w, jnp.float32)
    kx, kn = jax.random.split(key)
    n = num_train + num_val
    X = jax.random.normal(kx, (n, w.shape[0]))
    y = (X @ w + b + noise * jax.random.normal(kn, (n,)))[:, None]
    return Dataset(
        train=(X[:num_train], y[:num_train]), test=(X[num_train:], y[num_train:]),
        name="synthetic_regression",
    )


def _image_dataset(name: str, data_dir: str | None) -> Dataset:
    arrays = tfds_source.load(name, data_dir)
    if arrays is None:
        arrays = idx.load_split_files(idx.candidate_dirs(data_dir, TORCHVISION_FOLDERS[name]), name)
    (Xtr, ytr), (Xte, yte) = arrays
    names = FASHION_MNIST_CLASSES if name == "fashion_mnist" else DIGIT_CLASSES
    return from_arrays(
        Xtr.astype(np.float32) / 255.0, ytr, Xte.astype(np.float32) / 255.0, yte,
        num_classes=10, class_names=names, name=name,
    )


LOADERS = ("digits", "mnist", "fashion_mnist", "synthetic_regression", "diabetes")


def load(name: str, *, data_dir: str | None = None, seed: int = 0) -> Dataset:
    """Load a dataset by name.

    Args:
      name: one of ``digits`` (embedded, offline), ``mnist``, ``fashion_mnist``
        (prepared TFDS data or IDX files in ``data_dir``), ``synthetic_regression``,
        ``diabetes`` (embedded, standardized regression; see :func:`jaxdl.tabular.diabetes`).
      data_dir: folder with TFDS data or the four IDX files (torchvision's
        ``<data_dir>/FashionMNIST/raw`` layout is accepted).
      seed: seeds the synthetic data; the real datasets have fixed splits.

    >>> load("digits").train[0].shape
    (1437, 8, 8, 1)
    """
    key = name.lower().replace("-", "_")
    if key == "digits":
        return digits()
    if key in TORCHVISION_FOLDERS:
        return _image_dataset(key, data_dir)
    if key == "synthetic_regression":
        return synthetic_regression(key=jax.random.key(seed))
    if key == "diabetes":
        from jaxdl.tabular import diabetes  # tabular builds on this module

        return diabetes()
    raise ConfigError(f"unknown dataset {name!r}{suggest(name, LOADERS)}; expected one of {', '.join(LOADERS)}.")


def __getattr__(name: str):
    """Lazy re-export of :func:`jaxdl.csv_data.from_csv` (that module builds on this one)."""
    if name == "from_csv":
        from jaxdl.csv_data import from_csv

        return from_csv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
