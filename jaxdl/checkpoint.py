"""``torch.save`` / ``torch.load`` for training states: one msgpack file, written atomically."""

from __future__ import annotations

import os
import tempfile
from typing import Any, TypeVar

import jax
import numpy as np
from flax import serialization

from jaxdl.errors import ConfigError

T = TypeVar("T")


def _is_key(x: Any) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _unwrap_keys(tree: Any) -> Any:
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def save(path: str | os.PathLike, target: Any) -> None:
    """Write ``target`` (a ``TrainState`` or any pytree of arrays) to ``path`` atomically.

    The bytes go to a temporary file in the same folder, which then replaces ``path``, so a
    crash never leaves a half-written checkpoint.

    >>> save("/tmp/jaxdl-doctest.ckpt", {"w": np.ones(2)})
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot save checkpoint to {path!r}: folder {folder!r} does not exist.")
    payload = serialization.to_bytes(_unwrap_keys(target))
    fd, tmp = tempfile.mkstemp(prefix=".ckpt-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _check_shapes(saved: Any, expected: Any, path: str, where: str = "") -> None:
    if isinstance(expected, dict):
        if not isinstance(saved, dict) or set(saved) != set(expected):
            got = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
            raise ConfigError(
                f"checkpoint {path!r} does not match the model at {where or 'the top level'}: "
                f"it holds {got}, expected {sorted(expected)}. Was it saved from a different model?"
            )
        for k in expected:
            _check_shapes(saved[k], expected[k], path, f"{where}/{k}")
        return
    if hasattr(expected, "shape") and np.shape(saved) != np.shape(expected):
        raise ConfigError(
            f"checkpoint {path!r} holds {where} with shape {np.shape(saved)}, the model expects "
            f"{np.shape(expected)}: it was saved from a different model shape."
        )


def restore(path: str | os.PathLike, like: T) -> T:
    """Read a checkpoint written by :func:`save` into the structure of ``like``.

    Raises:
      ConfigError: the file is missing, corrupt or truncated, or was saved from a model
        whose parameter names or shapes differ from ``like``'s.

    >>> restore("/tmp/jaxdl-doctest.ckpt", like={"w": np.zeros(2)})["w"].tolist()
    [1.0, 1.0]
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigError(f"no checkpoint at {path!r}: expected a file written by jaxdl.checkpoint.save.")
    with open(path, "rb") as f:
        payload = f.read()
    try:
        saved = serialization.msgpack_restore(payload)
    except Exception as err:  # noqa: BLE001 - msgpack raises several types for bad bytes
        raise ConfigError(f"checkpoint {path!r} is corrupt or truncated ({type(err).__name__}); save it again.") from None
    template = _unwrap_keys(like)
    _check_shapes(saved, serialization.to_state_dict(template), path)
    restored = serialization.from_state_dict(template, saved)
    return jax.tree.map(
        lambda ref, new: jax.random.wrap_key_data(new, impl=jax.random.key_impl(ref)) if _is_key(ref) else new,
        like, restored,
    )
