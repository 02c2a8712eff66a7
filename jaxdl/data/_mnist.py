"""MNIST and FashionMNIST: a prepared TFDS copy if there is one, else the IDX files in ``data_dir``."""

from __future__ import annotations

import numpy as np

from jaxdl.data._builtin import DIGIT_CLASSES
from jaxdl.data._dataset import Dataset, from_arrays
from jaxdl.data._idx import candidate_dirs, load_idx_splits
from jaxdl.data._tfds import load_tfds

FASHION_MNIST_CLASSES = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)
_TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}


def mnist_like(name: str, data_dir: str | None) -> Dataset:
    """``name`` (``"mnist"`` or ``"fashion_mnist"``) as (N, 28, 28, 1) float32 images in [0, 1].

    Raises:
      ConfigError: neither a TFDS copy nor the four IDX files were found (the message says
        where to put which files).
    """
    arrays = load_tfds(name, data_dir)
    if arrays is None:
        arrays = load_idx_splits(candidate_dirs(data_dir, _TORCHVISION_FOLDERS[name]), name)
    (Xtr, ytr), (Xte, yte) = arrays
    names = FASHION_MNIST_CLASSES if name == "fashion_mnist" else DIGIT_CLASSES
    return from_arrays(
        Xtr if Xtr.dtype == np.float32 else Xtr.astype(np.float32) / 255.0,
        ytr,
        Xte if Xte.dtype == np.float32 else Xte.astype(np.float32) / 255.0,
        yte,
        num_classes=10,
        class_names=names,
        name=name,
    )
