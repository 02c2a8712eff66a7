"""The Dataset: train and test arrays plus label metadata, and :func:`from_arrays` that checks them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import numpy as np
import numpy.typing as npt

from jaxdl import _checks
from jaxdl.data._standardizer import Standardizer
from jaxdl.errors import ConfigError

SHOWN_CLASSES = 10
"""How many class names a Dataset's ``repr`` lists."""


@dataclasses.dataclass(frozen=True, repr=False)
class Dataset:
    """Train and test arrays plus label metadata.

    Attributes:
      train: ``(X, y)``; X float32 (N, ...), y int32 (N,) for classification or
        float32 (N, 1) for regression.
      test: ``(X, y)`` with the same trailing shapes.
      num_classes: number of classes, or ``None`` for regression.
      class_names: one text label per class, or ``None``.
      name: where the data came from.
      standardizer: the train-statistics :class:`Standardizer` already applied to the
        features (see :func:`jaxdl.data.standardize`), or ``None``.
      target_standardizer: the one applied to regression targets, or ``None``; metrics
        such as ``test_mse`` are reported in the original units.
      val: ``(X, y)`` held out from the training examples for validation (see
        :func:`jaxdl.data.split`), or ``None``.
    """

    train: tuple[jax.Array, jax.Array]
    test: tuple[jax.Array, jax.Array]
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    name: str = "arrays"
    standardizer: Standardizer | None = None
    target_standardizer: Standardizer | None = None
    val: tuple[jax.Array, jax.Array] | None = None

    def __post_init__(self) -> None:
        """Check each part's shapes and dtypes (not its values: :func:`from_arrays` does that too).

        >>> import jax.numpy as jnp
        >>> Dataset(train=(jnp.zeros((4, 3)), jnp.zeros(3, int)), test=(jnp.zeros((2, 3)), jnp.zeros(2, int)))
        Traceback (most recent call last):
        jaxdl.errors.ConfigError: Dataset: train must be (X, y), one target per example, got 4 examples and 3 targets
        """
        parts = {"train": self.train, "test": self.test, **({"val": self.val} if self.val is not None else {})}
        for part, pair in parts.items():
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(hasattr(a, "shape") for a in pair)):
                raise _checks.fail("Dataset", part, pair, "a pair of arrays (X, y)", got=type(pair).__name__)
            X, y = pair
            if np.shape(X)[:1] != np.shape(y)[:1]:
                got = f"{np.shape(X)[0]} examples and {np.shape(y)[0] if np.ndim(y) else 'no'} targets"
                raise _checks.fail("Dataset", part, pair, "(X, y), one target per example", got=got)
            if self.num_classes is not None and (np.ndim(y) != 1 or not np.issubdtype(y.dtype, np.integer)):
                raise _checks.fail(
                    "Dataset",
                    part,
                    pair,
                    f"(X, y) with y integer class indices (N,) for num_classes={self.num_classes} "
                    "(jaxdl.data.from_arrays converts them)",
                    got=f"y of dtype {y.dtype} and shape {tuple(np.shape(y))}",
                )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(8, 8, 1)``."""
        return tuple(self.train[0].shape[1:])

    def __len__(self) -> int:
        """The number of training examples, as ``len`` of PyTorch's training ``Dataset``.

        ``ds.train`` is the pair ``(X, y)``, so ``len(ds.train)`` is 2: ``len(ds.train[0])`` is N.
        """
        return int(self.train[0].shape[0])

    def __repr__(self) -> str:
        """One line: the name, each split's shapes and dtypes, and the classes (not the arrays).

        >>> from jaxdl import data
        >>> data.load("digits")
        Dataset('digits', train X (1437, 8, 8, 1) float32 y (1437,) int32, test X (360, 8, 8, 1) float32 \
y (360,) int32, 10 classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
        """
        splits = [("train", self.train), ("test", self.test)] + ([("val", self.val)] if self.val else [])
        parts = [f"{self.name!r}"]
        parts += [f"{split} X {tuple(X.shape)} {X.dtype} y {tuple(y.shape)} {y.dtype}" for split, (X, y) in splits]
        if self.num_classes is None:
            parts.append("regression" + (" (targets standardized)" if self.target_standardizer else ""))
        else:
            names = self.class_names or tuple(str(c) for c in range(self.num_classes))
            shown = ", ".join(names[:SHOWN_CLASSES]) + (", ..." if len(names) > SHOWN_CLASSES else "")
            parts.append(f"{self.num_classes} classes: {shown}")
        if self.standardizer is not None:
            parts.append("features standardized")
        return f"Dataset({', '.join(parts)})"


def _array(value, name: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as err:
        reason = str(err).splitlines()[0]
        raise ConfigError(
            f"{name} cannot be read as one array ({reason}): expected a rectangular array of numbers."
        ) from None


def _check_labels(y: np.ndarray, split: str) -> None:
    if not (_checks.real_numbers(y.dtype) or y.dtype == bool):
        raise ConfigError(
            f"y_{split} has dtype {y.dtype}: expected integer class indices 0..num_classes-1 "
            "(map names to indices first)."
        )
    if y.ndim > 1 and y.shape[1:] != (1,):
        raise ConfigError(
            f"y_{split} has shape {y.shape}: expected ({y.shape[0]},) class indices "
            "(for one-hot labels pass y.argmax(axis=1))."
        )


_I32_MAX = int(np.iinfo(np.int32).max)
MAX_INFERRED_CLASSES = 100_000
"""More classes than this inferred from the labels means they are ids, not class indices."""


def _row(mask: np.ndarray) -> int:
    """The first row (index along axis 0) where ``mask`` is true."""
    return int(np.argwhere(mask)[0][0])


def _check_features(X: np.ndarray, name: str, images: bool = True) -> np.ndarray:
    """``X`` as float32; uint8 ``images`` 0..255 become [0, 1] as torchvision's ``ToTensor`` does."""
    if not _checks.real_numbers(X.dtype):
        raise ConfigError(f"{name} has dtype {X.dtype}: expected real numbers.")
    if X.dtype == np.uint8 and images:
        return X.astype(np.float32) / np.float32(255.0)
    finite = np.isfinite(X)
    if not np.all(finite):
        bad = int(np.size(X) - np.count_nonzero(finite))
        raise ConfigError(f"{name} contains {bad} NaN/inf values: clean or impute the data first.")
    if np.issubdtype(X.dtype, np.floating) and np.finfo(X.dtype).max <= _checks.FLOAT32_MAX:
        return X.astype(np.float32)
    big = np.abs(X) > _checks.FLOAT32_MAX
    if np.any(big):
        row = _row(big)
        value = X.reshape(len(X), -1)[row][big.reshape(len(X), -1)[row]][0]
        raise ConfigError(
            f"{name} row {row} has {float(value):g}, beyond float32's range (±3.4e38) that training uses: "
            "rescale the data (e.g. jaxdl.data.standardize) or fix the value."
        )
    return X.astype(np.float32)


def _ids_error(name: str, y: np.ndarray, row: int) -> ConfigError:
    return ConfigError(
        f"{name} has label {float(y[row]):.15g} in row {row}: labels look like ids, not class indices 0..K-1 "
        "(map them with np.unique(y, return_inverse=True)[1], or pass regression=True for real targets)."
    )


def to_device(a: np.ndarray) -> jax.Array:
    """The float32/int32 array ``a`` on the default device, as ``jnp.asarray`` puts it there, without the small
    program ``jnp.asarray`` compiles for each new shape. Same shape and dtype."""
    return jax.device_put(a)


def _check_split(X, y, split: str, num_classes: int | None) -> tuple[np.ndarray, np.ndarray]:
    X, y = _array(X, f"X_{split}"), _array(y, f"y_{split}")
    if X.ndim < 1 or len(X) == 0:
        raise ConfigError(f"X_{split} is empty: expected at least one example, got shape {X.shape}.")
    if y.ndim < 1 or len(X) != len(y):
        raise ConfigError(
            f"X_{split} and y_{split} have different lengths ({len(X)} vs {len(y) if y.ndim else 'a scalar'}): "
            "expected one label per example."
        )
    if _checks.looks_channels_first(X.shape):
        raise ConfigError(
            f"X_{split} has shape {X.shape}, which looks channels-first (N, C, H, W), PyTorch's layout: jaxdl's "
            f"images are channels-last (N, H, W, C), Flax's: pass X_{split}.transpose(0, 2, 3, 1)."
        )
    X = _check_features(X, f"X_{split}")
    if num_classes is None:
        if not _checks.real_numbers(y.dtype):
            raise ConfigError(f"y_{split} has dtype {y.dtype}: expected real-valued regression targets.")
        if not np.all(np.isfinite(y)):
            raise ConfigError(f"y_{split} contains NaN/inf values: expected finite regression targets.")
        y = _check_features(y, f"y_{split}", images=False)
        return X, y.reshape(len(y), -1)
    _check_labels(y, split)
    if not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool or np.all(np.mod(y, 1) == 0)):
        raise ConfigError(f"y_{split} has non-integer labels (dtype {y.dtype}): expected class indices.")
    y = y.reshape(-1)
    big = np.abs(y.astype(np.float64)) > _I32_MAX
    if np.any(big):
        raise _ids_error(f"y_{split}", y, _row(big))
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= num_classes:
        raise ConfigError(
            f"y_{split} has labels in [{y.min()}, {y.max()}]: expected 0 <= label < num_classes={num_classes}."
        )
    return X, y.astype(np.int32)


def _infer_num_classes(y_train, y_test) -> int:
    splits = {"train": _array(y_train, "y_train"), "test": _array(y_test, "y_test")}
    for split, y in splits.items():
        _check_labels(y, split)
    for split, y in splits.items():
        labels = np.ravel(y).astype(np.float64)
        if not np.all(np.isfinite(labels)) or not np.all(np.mod(labels, 1) == 0):
            raise ConfigError("labels must be integer class indices (or pass regression=True).")
        big = labels >= MAX_INFERRED_CLASSES
        if np.any(big):
            raise _ids_error(f"y_{split}", np.ravel(y), _row(big))
    labels = np.concatenate([np.ravel(y) for y in splits.values()])
    return int(labels.max()) + 1 if labels.size else 1


def from_arrays(
    X_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    X_test: npt.ArrayLike,
    y_test: npt.ArrayLike,
    *,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    regression: bool = False,
    name: str = "arrays",
) -> Dataset:
    """Wrap user arrays as a validated :class:`Dataset` on the default device.

    Args:
      X_train, X_test: (N, ...) numeric features or channels-last images (N, H, W, C); images in
        PyTorch's (N, C, H, W) layout are refused with the transpose to use. ``uint8`` arrays are images
        0..255 and become float32 in [0, 1] (``x / 255``, as torchvision's ``ToTensor`` does);
        every other dtype is kept as it is (cast to float32, never rescaled). Values must fit
        float32, the dtype training uses.
      y_train, y_test: (N,) integer labels, or (N,) / (N, 1) targets when ``regression``.
      num_classes: defaults to ``max(label) + 1`` over both splits.
      class_names: one name per class.
      regression: targets are real numbers (no classes).
      name: where the data came from.

    Raises:
      ConfigError: ragged, empty, non-numeric or NaN/inf arrays, values beyond float32, lengths
        that differ, labels outside ``0..num_classes-1`` or that look like ids (a label of 1e11),
        or train and test examples of different shapes.

    >>> ds = from_arrays(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [1, 0])
    >>> ds.num_classes, ds.input_shape
    (2, (2,))
    """
    if regression:
        num_classes = None
    else:
        if num_classes is None:
            num_classes = _infer_num_classes(y_train, y_test)
        num_classes = _checks.positive_int("from_arrays", "num_classes", num_classes)
        if num_classes > _I32_MAX:
            raise _checks.fail(
                "from_arrays", "num_classes", num_classes, f"an integer in [1, {_I32_MAX}] (int32 labels)"
            )
        if class_names is not None and len(class_names) != num_classes:
            raise _checks.fail(
                "from_arrays",
                "class_names",
                class_names,
                f"{num_classes} names, one per class",
                got=f"{len(class_names)} names",
            )
    Xtr, ytr = _check_split(X_train, y_train, "train", num_classes)
    Xte, yte = _check_split(X_test, y_test, "test", num_classes)
    if Xtr.shape[1:] != Xte.shape[1:]:
        raise ConfigError(
            f"X_train examples have shape {Xtr.shape[1:]} but X_test examples {Xte.shape[1:]}: expected the same."
        )
    return Dataset(
        train=(to_device(Xtr), to_device(ytr)),
        test=(to_device(Xte), to_device(yte)),
        num_classes=num_classes,
        class_names=tuple(class_names) if class_names is not None else None,
        name=name,
    )
