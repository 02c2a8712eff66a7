"""The checkpoint file: a header (magic, format version, payload length, sha256) and the msgpack payload.

A file is written to a temporary file in the same folder, flushed to disk and renamed over the
target, so the previous good checkpoint survives a failed or interrupted write.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from typing import Any

from jaxdl.errors import ConfigError

MAGIC = b"JAXDL-CKPT\n"
FORMAT = 2
"""Format 1 (before checksums) was the bare msgpack payload."""
TMP_PREFIX = ".ckpt-"
_HEADER = struct.Struct(">HQ32s")  # format version, payload length, sha256 of the payload


def as_path(where: str, value: Any) -> str:
    """``value`` as a path string, or one line naming ``where`` when it is not a path."""
    try:
        return os.fspath(value)
    except TypeError:
        raise ConfigError(f"{where}: path must be a str or os.PathLike file path, got {value!r}") from None


def _target(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ConfigError(f"cannot save checkpoint to {path!r}: it is a folder; pass a file path inside it.")
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot save checkpoint to {path!r}: folder {folder!r} does not exist.")
    return folder


def write(path: str, payload: bytes) -> None:
    """Write ``payload`` with its header to ``path`` atomically (temp file, fsync, ``os.replace``).

    Raises:
      ConfigError: ``path`` is a folder, its folder is missing, or the write failed (disk full,
        read-only); the file that was at ``path`` is then left as it was.
    """
    folder = _target(path)
    header = MAGIC + _HEADER.pack(FORMAT, len(payload), hashlib.sha256(payload).digest())
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        _sync_folder(folder)
    except OSError as err:
        raise ConfigError(
            f"cannot save checkpoint to {path!r}: {err.strerror or err}; the previous file there is unchanged."
        ) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _sync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read(path: str) -> bytes:
    """The checked payload of the checkpoint at ``path``.

    Raises:
      ConfigError: a missing file or a folder, a file that is not a jaxdl checkpoint, one in the
        old format 1 (no checksum), a newer format, a truncated file or a checksum mismatch.
    """
    if os.path.isdir(path):
        raise ConfigError(f"checkpoint path {path!r} is a folder: expected a file written by jaxdl.checkpoint.save.")
    if not os.path.isfile(path):
        raise ConfigError(f"no checkpoint at {path!r}: expected a file written by jaxdl.checkpoint.save.")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ConfigError(f"cannot read checkpoint {path!r}: {err.strerror or err}.") from None
    if not data.startswith(MAGIC):
        raise ConfigError(_not_ours(path, data))
    head = data[len(MAGIC) : len(MAGIC) + _HEADER.size]
    if len(head) < _HEADER.size:
        raise ConfigError(
            f"checkpoint {path!r} is truncated ({len(data)} bytes, shorter than its header); save it again."
        )
    version, length, digest = _HEADER.unpack(head)
    if version != FORMAT:
        raise ConfigError(
            f"checkpoint {path!r} has format {version}, this jaxdl reads format {FORMAT}: "
            "open it with the jaxdl version that wrote it."
        )
    payload = data[len(MAGIC) + _HEADER.size :]
    if len(payload) != length:
        raise ConfigError(
            f"checkpoint {path!r} is truncated or has extra bytes ({len(payload)} payload bytes, header says "
            f"{length}); save it again or use an earlier copy."
        )
    if hashlib.sha256(payload).digest() != digest:
        raise ConfigError(
            f"checkpoint {path!r} is corrupt (sha256 checksum mismatch: the file changed after it was written); "
            "use an earlier copy or train again."
        )
    return payload


def _not_ours(path: str, data: bytes) -> str:
    from flax import serialization

    try:
        serialization.msgpack_restore(data)
    except Exception:  # noqa: BLE001 - msgpack raises several types for bytes that are not msgpack
        return (
            f"{path!r} is not a jaxdl checkpoint (no jaxdl header): expected a file written by jaxdl.checkpoint.save."
        )
    return (
        f"checkpoint {path!r} is in jaxdl's old format 1 (no checksum, so corruption cannot be detected): "
        "if you trust it, convert it once with jaxdl.checkpoint.upgrade(path)."
    )


def read_old(path: str) -> bytes:
    """The bytes of a format-1 file (bare msgpack), for :func:`jaxdl.checkpoint.upgrade`."""
    data = read_bytes(path)
    if data.startswith(MAGIC):
        raise ConfigError(f"checkpoint {path!r} already has format {FORMAT}: nothing to upgrade.")
    return data


def read_bytes(path: str) -> bytes:
    """The raw bytes of ``path``, or one line when it is missing or a folder."""
    if not os.path.isfile(path):
        raise ConfigError(f"no checkpoint at {path!r}: expected a file written by jaxdl.checkpoint.save.")
    with open(path, "rb") as f:
        return f.read()
