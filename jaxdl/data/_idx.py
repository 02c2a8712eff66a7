"""The standard MNIST/FashionMNIST IDX files (``.gz`` or raw): read, written, and found in a folder."""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

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


_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: str) -> bytes:
    """The (decompressed) bytes of ``path``; a damaged or foreign file is one line naming it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}.") from None
    if not data.startswith(_GZIP_MAGIC):
        if path.endswith(".gz"):
            start = data[:200].lstrip().lower()
            what = (
                "an HTML page (a failed download?)"
                if start.startswith((b"<!doctype", b"<html", b"<?xml", b"<"))
                else "empty"
                if not data
                else "not gzip data"
            )
            raise ConfigError(f"{path} is {what}, not a gzip-compressed IDX file: re-download it.")
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as err:
        raise ConfigError(f"{path} is a truncated or damaged gzip file ({err}): re-download it.") from None


def read_idx(path: str, *, rank: int | None = None) -> np.ndarray:
    """Read one IDX file (gzip-compressed or not) into an array of its stored shape.

    Args:
      path: the file.
      rank: the rank the file must hold (3 for images, 1 for labels), checked before its length.

    Raises:
      ConfigError: the file cannot be read, is damaged gzip or an HTML page, has no IDX magic
        number, an unknown type byte, another rank than ``rank``, or is shorter or longer than
        its header says (each named).
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ConfigError(f"{path} is not an IDX file (bad magic number): re-download it.")
    if data[2] not in _DTYPES:
        raise ConfigError(
            f"{path} has IDX type byte 0x{data[2]:02X}, which is not one of "
            f"{', '.join(f'0x{t:02X}' for t in _DTYPES)}: the file is damaged; re-download it."
        )
    ndim = data[3]
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise ConfigError(f"{path} has a damaged IDX header (rank {ndim}, {len(data)} bytes): re-download it.")
    if rank is not None and ndim != rank:
        raise ConfigError(
            f"{path} has the IDX magic number of {_KINDS.get(ndim, f'rank-{ndim} arrays')} (rank {ndim}), "
            f"but it should hold {_KINDS[rank]} (rank {rank}): is it the right file?"
        )
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_DTYPES[data[2]])
    body = data[4 + 4 * ndim :]
    expected = math.prod(shape) * dtype.itemsize
    if len(body) < expected:
        raise ConfigError(
            f"{path} is truncated: its header says {shape} ({expected} bytes), found {len(body)} bytes; re-download it."
        )
    if len(body) > expected:
        raise ConfigError(
            f"{path} has {len(body) - expected} bytes more than its header's {shape} ({expected} bytes): "
            "the file is damaged or not what its header says; re-download it."
        )
    return np.frombuffer(body, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def images_in_unit_range(images: np.ndarray, path: str) -> np.ndarray:
    """IDX images as float32 in [0, 1]: integer pixels 0..255 divided by 255, float pixels in [0, 1] kept.

    >>> images_in_unit_range(np.array([0, 255], np.uint8), "x").tolist(), images_in_unit_range(np.array([0.5]), "x")
    ([0.0, 1.0], array([0.5], dtype=float32))
    """
    low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
    if np.issubdtype(images.dtype, np.floating) and 0.0 <= low and high <= 1.0:
        return images.astype(np.float32)
    if not (np.issubdtype(images.dtype, np.integer) and 0 <= low and high <= 255):
        raise ConfigError(
            f"{path} holds {images.dtype} pixels in [{low:g}, {high:g}]: expected integers 0..255 "
            "(or floats in [0, 1]); is it the right file?"
        )
    return images.astype(np.float32) / np.float32(255.0)


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


_RANKS = {"train_images": 3, "train_labels": 1, "test_images": 3, "test_labels": 1}
_KINDS = {3: "images (N, H, W)", 1: "labels (N,)"}


def _checked(paths: dict[str, str]) -> dict[str, np.ndarray]:
    arrays = {}
    for key, path in paths.items():
        array = read_idx(path, rank=_RANKS[key])
        arrays[key] = images_in_unit_range(array, path) if _RANKS[key] == 3 else array
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_images != n_labels:
            raise ConfigError(
                f"{paths[f'{split}_images']} holds {n_images} images but {paths[f'{split}_labels']} "
                f"{n_labels} labels: expected one label per image; re-download them."
            )
    return arrays


def load_idx_splits(folders: list[str], name: str) -> Arrays:
    """``((X_train, y_train), (X_test, y_test))`` from the first folder holding all four files.

    Images come back as (N, H, W, 1) float32 in [0, 1] (:func:`images_in_unit_range`), labels as (N,).

    Raises:
      ConfigError: naming every file and folder looked at, and how to get them; a missing
        file by name; files split across folders; a damaged file or counts that disagree.
    """
    found = {folder: {k: _find(folder, stem) for k, stem in IDX_FILES.items()} for folder in folders}
    for paths in found.values():
        complete = {key: path for key, path in paths.items() if path is not None}
        if len(complete) == len(paths):
            arrays = _checked(complete)
            return (
                (arrays["train_images"][..., None], arrays["train_labels"]),
                (arrays["test_images"][..., None], arrays["test_labels"]),
            )
    partial = {folder: paths for folder, paths in found.items() if any(paths.values())}
    torch_name = "FashionMNIST" if name == "fashion_mnist" else "MNIST"
    if len(partial) == 1:
        folder, paths = next(iter(partial.items()))
        missing = ", ".join(f"{IDX_FILES[k]}.gz" for k, p in paths.items() if p is None)
        raise ConfigError(
            f"{name}: {folder} holds some of the IDX files but not {missing}: put that file there "
            f"(torchvision.datasets.{torch_name}(root=data_dir, download=True) fetches all four)."
        )
    if partial:
        where = "; ".join(
            f"{', '.join(os.path.basename(p) for p in paths.values() if p)} in {folder}"
            for folder, paths in partial.items()
        )
        raise ConfigError(f"{name}: the IDX files are split across folders ({where}): put all four in one folder.")
    looked = ", ".join(folders) if folders else "(no data_dir / --data-dir given)"
    files = ", ".join(f"{s}.gz" for s in IDX_FILES.values())
    raise ConfigError(
        f"{name} not found: no prepared TFDS copy and no IDX files in {looked}. "
        f"Put the four files {files} (gzip or not) in <data_dir>/{torch_name}/raw/ (torchvision's layout, "
        f"e.g. from torchvision.datasets.{torch_name}(root=data_dir, download=True)) or directly in data_dir, "
        f"or prepare it once with TFDS on a machine with network (tfds.data_source('{name}', data_dir=data_dir))."
    )
