"""``torch.save`` / ``torch.load`` for training states, and whole runs that can be resumed.

Each checkpoint is one msgpack file, written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Any, TypeVar

import jax
import numpy as np
from flax import serialization

from jaxdl.errors import ConfigError

T = TypeVar("T")
TMP_PREFIX = ".ckpt-"
RUN_FORMAT = 1


def _is_key(x: Any) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _unwrap_keys(tree: Any) -> Any:
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def save(path: str | os.PathLike, target: Any) -> None:
    """Write ``target`` (a ``TrainState`` or any pytree of arrays) to ``path`` atomically.

    The bytes go to a temporary file in the same folder, which then replaces ``path``, so a
    crash never leaves a half-written checkpoint.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(os.path.join(folder, "w.ckpt"), {"w": np.ones(2)})
    ...     os.listdir(folder)
    ['w.ckpt']
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot save checkpoint to {path!r}: folder {folder!r} does not exist.")
    payload = serialization.to_bytes(_unwrap_keys(target))
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
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


def _read(path: str) -> Any:
    if not os.path.isfile(path):
        raise ConfigError(f"no checkpoint at {path!r}: expected a file written by jaxdl.checkpoint.save.")
    with open(path, "rb") as f:
        payload = f.read()
    try:
        return serialization.msgpack_restore(payload)
    except Exception as err:  # noqa: BLE001 - msgpack raises several types for bad bytes
        raise ConfigError(f"checkpoint {path!r} is corrupt or truncated ({type(err).__name__}); save it again.") from None


def _is_run(saved: Any) -> bool:
    return isinstance(saved, dict) and set(saved) == {"state", "run"} and isinstance(saved["run"], str)


def _fill(saved: Any, like: T, path: str) -> T:
    template = _unwrap_keys(like)
    _check_shapes(saved, serialization.to_state_dict(template), path)
    restored = serialization.from_state_dict(template, saved)
    return jax.tree.map(
        lambda ref, new: jax.random.wrap_key_data(new, impl=jax.random.key_impl(ref)) if _is_key(ref) else new,
        like, restored,
    )


def restore(path: str | os.PathLike, like: T) -> T:
    """Read a checkpoint written by :func:`save` into the structure of ``like``.

    A run checkpoint written by :func:`save_run` (e.g. ``jaxdl train``'s ``checkpoint``)
    restores its training state.

    Raises:
      ConfigError: the file is missing, corrupt or truncated, or was saved from a model
        whose parameter names or shapes differ from ``like``'s.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "w.ckpt")
    ...     save(path, {"w": np.ones(2)})
    ...     restore(path, like={"w": np.zeros(2)})["w"].tolist()
    [1.0, 1.0]
    """
    path = os.fspath(path)
    saved = _read(path)
    if _is_run(saved) and not (isinstance(like, dict) and set(like) == {"state", "run"}):
        saved = saved["state"]
    return _fill(saved, like, path)


@dataclasses.dataclass(frozen=True)
class SavedRun:
    """A training run read by :func:`load_run`: its config, per-epoch history and saved state.

    Attributes:
      path: the checkpoint file.
      config: the run's settings as saved (JSON values).
      history: metric name -> one value per completed epoch.
      saved_state: the training state as nested dicts of arrays; :meth:`state` restores it.
    """

    path: str
    config: dict[str, Any]
    history: dict[str, list[float]]
    saved_state: Any

    @property
    def epochs_done(self) -> int:
        """Number of completed epochs in the history."""
        return max((len(v) for v in self.history.values()), default=0)

    def state(self, like: T) -> T:
        """The saved state in the structure of ``like`` (e.g. a fresh state of the same model).

        Raises:
          ConfigError: ``like`` has other parameter names or shapes than the saved state.
        """
        return _fill(self.saved_state, like, self.path)


def save_run(path: str | os.PathLike, state: Any, *, config: dict[str, Any], history: dict[str, list[float]]) -> None:
    """Save a run that can be continued: ``state``, the JSON ``config`` and the ``history`` so far.

    One file, written atomically like :func:`save`, so the state and the history always
    belong to the same epoch. ``jaxdl train`` writes one after every few epochs.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "run.ckpt")
    ...     save_run(path, {"w": np.ones(2)}, config={"lr": 0.1}, history={"loss": [0.5]})
    ...     load_run(path).epochs_done
    1
    """
    meta = {"format": RUN_FORMAT, "config": config, "history": history}
    save(path, {"state": state, "run": json.dumps(meta, sort_keys=True)})


def load_run(path: str | os.PathLike) -> SavedRun:
    """Read a run written by :func:`save_run`; restore its state with :meth:`SavedRun.state`.

    Raises:
      ConfigError: the file is missing, corrupt or truncated, or holds only a state.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "run.ckpt")
    ...     save_run(path, {"w": np.ones(2)}, config={"lr": 0.1}, history={"loss": [0.5, 0.4]})
    ...     run = load_run(path)
    ...     run.config, run.epochs_done, run.state(like={"w": np.zeros(2)})["w"].tolist()
    ({'lr': 0.1}, 2, [1.0, 1.0])
    """
    path = os.fspath(path)
    saved = _read(path)
    if not _is_run(saved):
        raise ConfigError(
            f"checkpoint {path!r} holds a training state only, not a run (config and history): "
            "it was written by jaxdl.checkpoint.save; read it with jaxdl.checkpoint.restore."
        )
    try:
        meta = json.loads(saved["run"])
        config, history = dict(meta["config"]), {k: list(v) for k, v in meta["history"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(f"checkpoint {path!r} has a corrupt run record; it cannot be resumed.") from None
    return SavedRun(path=path, config=config, history=history, saved_state=saved["state"])


def remove_partial_writes(folder: str | os.PathLike) -> list[str]:
    """Delete the temporary files of saves that were killed before finishing; return their names.

    Only the hidden ``.ckpt-*`` files :func:`save` writes before its atomic rename are touched.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     open(os.path.join(folder, ".ckpt-killed"), "wb").close()
    ...     remove_partial_writes(folder), os.listdir(folder)
    (['.ckpt-killed'], [])
    """
    names = sorted(n for n in os.listdir(folder) if n.startswith(TMP_PREFIX))
    for name in names:
        os.unlink(os.path.join(folder, name))
    return names
