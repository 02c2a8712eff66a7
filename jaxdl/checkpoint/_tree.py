"""``torch.save`` / ``torch.load`` for training states: any pytree of arrays, checked against a template."""

from __future__ import annotations

import os
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from jaxdl.checkpoint import _file
from jaxdl.errors import ConfigError

T = TypeVar("T")


def _is_key(x: Any) -> bool:
    return isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


def _unwrap_keys(tree: Any) -> Any:
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def save(path: str | os.PathLike, target: Any) -> None:
    """Write ``target`` (a ``TrainState`` or any pytree of arrays) to ``path`` atomically.

    The file holds a format version and a sha256 checksum of the payload, so a flipped byte or
    a truncated file is refused by :func:`restore`. The bytes go to a temporary file in the same
    folder, which is flushed to disk and then replaces ``path``: a crash or a full disk never
    leaves a half-written checkpoint and keeps the previous one.

    Raises:
      ConfigError: ``path`` is a folder or its folder is missing, or the disk refused the write.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(os.path.join(folder, "w.ckpt"), {"w": np.ones(2)})
    ...     os.listdir(folder)
    ['w.ckpt']
    """
    path = _file.as_path("save", path)
    try:
        payload = serialization.to_bytes(_unwrap_keys(target))
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"cannot save {type(target).__name__} to {path!r} ({str(err).splitlines()[0][:80]}): "
            "expected a TrainState or a pytree (dicts, lists, tuples) of arrays and numbers."
        ) from None
    _file.write(path, payload)


def read(path: str) -> Any:
    """The nested dicts of arrays saved at ``path`` (header and checksum checked)."""
    payload = _file.read(path)
    try:
        return serialization.msgpack_restore(payload)
    except Exception as err:  # noqa: BLE001 - msgpack raises several types for bad bytes
        raise ConfigError(
            f"checkpoint {path!r} is corrupt or truncated ({type(err).__name__}); save it again."
        ) from None


def upgrade(path: str | os.PathLike) -> None:
    """Rewrite a checkpoint of jaxdl's old format 1 (no checksum) in the current format, in place.

    Raises:
      ConfigError: the file is missing, already current, or not a checkpoint at all.
    """
    path = _file.as_path("upgrade", path)
    data = _file.read_old(path)
    try:
        serialization.msgpack_restore(data)
    except Exception:  # noqa: BLE001
        raise ConfigError(f"{path!r} is not a jaxdl checkpoint: nothing to upgrade.") from None
    _file.write(path, data)


def _mismatch(path: str, where: str, detail: str) -> ConfigError:
    if where.startswith("/opt_state"):
        return ConfigError(
            f"checkpoint {path!r} has another optimizer state at {where} ({detail}): it was saved with a different "
            "optimizer; build like= with the optimizer of that run (or use jaxdl.checkpoint.load_model for inference)."
        )
    return ConfigError(f"checkpoint {path!r} {detail}")


def check_shapes(saved: Any, expected: Any, path: str, where: str = "") -> None:
    """Raise a :class:`ConfigError` naming the first name or shape where ``saved`` and ``expected`` differ."""
    if isinstance(expected, dict):
        if not isinstance(saved, dict) or set(saved) != set(expected):
            got = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
            raise _mismatch(
                path,
                where,
                f"does not match the model at {where or 'the top level'}: it holds {got}, expected "
                f"{sorted(expected)}. Was it saved from a different model?",
            )
        for k in expected:
            check_shapes(saved[k], expected[k], path, f"{where}/{k}")
        return
    if hasattr(expected, "shape") and np.shape(saved) != np.shape(expected):
        raise _mismatch(
            path,
            where,
            f"holds {where} with shape {np.shape(saved)}, the model expects "
            f"{np.shape(expected)}: it was saved from a different model shape.",
        )


def fill(saved: Any, like: T, path: str) -> T:
    """``saved`` (nested dicts) in the structure of ``like``, PRNG keys re-wrapped."""
    template = _unwrap_keys(like)
    check_shapes(saved, serialization.to_state_dict(template), path)
    restored = serialization.from_state_dict(template, saved)
    return jax.tree.map(
        lambda ref, new: jax.random.wrap_key_data(new, impl=jax.random.key_impl(ref)) if _is_key(ref) else new,
        like,
        restored,
    )


def is_run(saved: Any) -> bool:
    """Whether ``saved`` is a run written by :func:`jaxdl.checkpoint.save_run`."""
    return isinstance(saved, dict) and set(saved) == {"state", "run"} and isinstance(saved["run"], str)


def restore(path: str | os.PathLike, like: T) -> T:
    """Read a checkpoint written by :func:`save` into the structure of ``like``.

    A run checkpoint written by :func:`save_run` (e.g. ``jaxdl train``'s ``checkpoint``)
    restores its training state.

    Raises:
      ConfigError: the file is missing, a folder, not a jaxdl checkpoint, corrupt (checksum),
        truncated, of another format, saved with another optimizer than ``like``'s, or saved
        from a model whose parameter names or shapes differ from ``like``'s.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "w.ckpt")
    ...     save(path, {"w": np.ones(2)})
    ...     restore(path, like={"w": np.zeros(2)})["w"].tolist()
    [1.0, 1.0]
    """
    path = _file.as_path("restore", path)
    saved = read(path)
    if is_run(saved) and not (isinstance(like, dict) and set(like) == {"state", "run"}):
        saved = saved["state"]
    return fill(saved, like, path)
