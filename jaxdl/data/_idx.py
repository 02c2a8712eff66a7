"""The standard MNIST/FashionMNIST IDX files (``.gz`` or raw): read, written, and found in a folder."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from jaxdl.errors import ConfigError

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def read_idx(path: str) -> np.ndarray:
    """Read one IDX file (gzip-compressed if it ends in ``.gz``) into an array of its stored shape.

    Raises:
      ConfigError: the file has no IDX magic number or is shorter than its header says.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise ConfigError(f"{path} is not an IDX file (bad magic number); re-download it.")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(_DTYPES[data[2]])
    body = data[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)) * dtype.itemsize:
        raise ConfigError(f"{path} is truncated: header says {shape}, found {len(body)} bytes; re-download it.")
    return np.frombuffer(body, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str, array: np.ndarray) -> None:
    """Write ``array`` (as uint8) to an IDX file, gzip-compressed if ``path`` ends in ``.gz``.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_idx(os.path.join(folder, "a.gz"), np.arange(6).reshape(2, 3))
    ...     read_idx(os.path.join(folder, "a.gz")).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    array = np.ascontiguousarray(array, np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def candidate_dirs(data_dir: str | None, torchvision_folder: str) -> list[str]:
    """Folders searched for the IDX files, most specific first."""
    if data_dir is None:
        return []
    return [
        os.path.join(data_dir, torchvision_folder, "raw"),
        os.path.join(data_dir, torchvision_folder),
        data_dir,
    ]


def _find(folder: str, stem: str) -> str | None:
    for name in (stem + ".gz", stem):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def load_idx_splits(folders: list[str], name: str) -> Arrays:
    """``((X_train, y_train), (X_test, y_test))`` from the first folder holding all four files.

    Images come back as (N, H, W, 1) uint8, labels as (N,).

    Raises:
      ConfigError: naming every file and folder looked at, and how to get them.
    """
    for folder in folders:
        paths = {k: _find(folder, stem) for k, stem in IDX_FILES.items()}
        if all(paths.values()):
            arrays = {k: read_idx(p) for k, p in paths.items()}
            return ((arrays["train_images"][..., None], arrays["train_labels"]),
                    (arrays["test_images"][..., None], arrays["test_labels"]))
    looked = ", ".join(folders) if folders else "(no data_dir / --data-dir given)"
    files = ", ".join(f"{s}.gz" for s in IDX_FILES.values())
    torch_name = "FashionMNIST" if name == "fashion_mnist" else "MNIST"
    raise ConfigError(
        f"{name} not found: no prepared TFDS copy and no IDX files in {looked}. "
        f"Put the four files {files} (gzip or not) in <data_dir>/{torch_name}/raw/ (torchvision's layout, "
        f"e.g. from torchvision.datasets.{torch_name}(root=data_dir, download=True)) or directly in data_dir, "
        f"or prepare it once with TFDS on a machine with network (tfds.data_source('{name}', data_dir=data_dir))."
    )
