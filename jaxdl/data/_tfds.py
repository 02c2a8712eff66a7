"""Read a prepared TFDS image dataset (ArrayRecord) without TensorFlow."""

from __future__ import annotations

import glob
import os

import numpy as np

from jaxdl._install import pip_install
from jaxdl.data._idx import Arrays
from jaxdl.errors import ConfigError


def _read_split(builder, split: str) -> tuple[np.ndarray, np.ndarray]:
    source = builder.as_data_source(split=split)
    keys = list(range(len(source)))
    try:
        records = source.__getitems__(keys)
    except TypeError:
        records = [source[i] for i in keys]
    images = np.stack([np.asarray(r["image"], np.uint8) for r in records])
    labels = np.asarray([int(r["label"]) for r in records], np.int64)
    return images.reshape(len(keys), *images.shape[1:3], -1), labels


def load_tfds(name: str, data_dir: str | None) -> Arrays | None:
    """``((X_train, y_train), (X_test, y_test))`` as (N, H, W, C) uint8 images and (N,) labels, or ``None``.

    ``None`` means TFDS has no prepared random-access copy of ``name`` in ``data_dir``
    (TFDS's default folder when ``None``); nothing is downloaded or written.

    Raises:
      ConfigError: ``data_dir`` holds a TFDS copy of ``name`` but tensorflow-datasets (the ``tfds``
        extra) is not installed.
    """
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        folder = data_dir or os.environ.get("TFDS_DATA_DIR") or os.path.join("~", "tensorflow_datasets")
        if glob.glob(os.path.join(os.path.expanduser(folder), name, "*", "dataset_info.json")):
            raise ConfigError(
                f"{name}: {folder} holds a TFDS copy, which needs tensorflow-datasets: {pip_install('tfds')}."
            ) from None
        return None
    try:
        builder = tfds.builder(name, data_dir=data_dir)
        return _read_split(builder, "train"), _read_split(builder, "test")
    except Exception:  # noqa: BLE001 - any TFDS failure means "not prepared here"; IDX files are tried next
        return None
