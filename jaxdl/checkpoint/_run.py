"""Whole runs that can be resumed: state, config and history in one checkpoint file."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, TypeVar

from jaxdl.checkpoint import _file, _tree
from jaxdl.errors import ConfigError

T = TypeVar("T")
RUN_FORMAT = 1


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
          ConfigError: ``like`` has other parameter names or shapes, or another optimizer.
        """
        return _tree.fill(self.saved_state, like, self.path)


def save_run(path: str | os.PathLike, state: Any, *, config: dict[str, Any], history: dict[str, list[float]]) -> None:
    """Save a run that can be continued: ``state``, the JSON ``config`` and the ``history`` so far.

    One checksummed file, written atomically like :func:`save`, so the state and the history
    always belong to the same epoch. ``jaxdl train`` writes one after every few epochs.

    >>> import os, tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "run.ckpt")
    ...     save_run(path, {"w": np.ones(2)}, config={"lr": 0.1}, history={"loss": [0.5]})
    ...     load_run(path).epochs_done
    1
    """
    try:
        record = json.dumps(
            {"format": RUN_FORMAT, "config": config, "history": history}, sort_keys=True, allow_nan=True
        )
    except (TypeError, ValueError) as err:
        raise ConfigError(f"save_run: config and history must be JSON values ({err}).") from None
    _tree.save(path, {"state": state, "run": record})


def load_run(path: str | os.PathLike) -> SavedRun:
    """Read a run written by :func:`save_run`; restore its state with :meth:`SavedRun.state`.

    Raises:
      ConfigError: the file is missing, corrupt, truncated or not a checkpoint, holds only a state,
        or a run record of an unknown format or with history columns of different lengths.

    >>> import os, tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "run.ckpt")
    ...     save_run(path, {"w": np.ones(2)}, config={"lr": 0.1}, history={"loss": [0.5, 0.4]})
    ...     run = load_run(path)
    ...     run.config, run.epochs_done, run.state(like={"w": np.zeros(2)})["w"].tolist()
    ({'lr': 0.1}, 2, [1.0, 1.0])
    """
    path = _file.as_path("load_run", path)
    saved = _tree.read(path)
    if not _tree.is_run(saved):
        raise ConfigError(
            f"checkpoint {path!r} holds a training state only, not a run (config and history): "
            "it was written by jaxdl.checkpoint.save; read it with jaxdl.checkpoint.restore."
        )
    try:
        meta = json.loads(saved["run"])
        version = meta.get("format")
        config, history = dict(meta["config"]), {k: list(v) for k, v in meta["history"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(f"checkpoint {path!r} has a corrupt run record; it cannot be resumed.") from None
    if version != RUN_FORMAT:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > RUN_FORMAT
        raise ConfigError(
            f"checkpoint {path!r} has a run record of format {version!r}, "
            + (
                f"newer than this jaxdl reads ({RUN_FORMAT}): upgrade jaxdl to read it."
                if newer
                else f"which jaxdl does not know (it writes format {RUN_FORMAT}): it was not written by jaxdl."
            )
        )
    lengths = {len(v) for v in history.values()}
    if len(lengths) > 1:
        raise ConfigError(
            f"checkpoint {path!r} has a run record whose history columns have different lengths "
            f"({min(lengths)} to {max(lengths)} epochs): it is corrupt; it cannot be resumed."
        )
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
    names = sorted(n for n in os.listdir(folder) if n.startswith(_file.TMP_PREFIX))
    for name in names:
        os.unlink(os.path.join(folder, name))
    return names
