"""``torch.save`` / ``torch.load`` for training states, whole runs that can be resumed, and models to predict with.

Each checkpoint is one file: a header with the format version and a sha256 checksum of the
msgpack payload, written atomically (temporary file, fsync, rename), so a flipped byte, a
truncated or a foreign file is one :class:`~jaxdl.errors.ConfigError` line and the previous good
checkpoint survives a failed write.

- :func:`save`, :func:`restore`: any pytree of arrays (a ``TrainState`` included).
- :func:`save_run`, :func:`load_run`, :class:`SavedRun`: state, config and history of a run.
- :func:`load_model`, :class:`LoadedModel`: the model and variables of a ``jaxdl train`` folder.
- :func:`upgrade`: convert a checkpoint of the old format 1 (no checksum).
"""

from jaxdl.checkpoint._file import FORMAT, TMP_PREFIX
from jaxdl.checkpoint._model import LoadedModel, load_model
from jaxdl.checkpoint._run import RUN_FORMAT, SavedRun, load_run, remove_partial_writes, save_run
from jaxdl.checkpoint._tree import restore, save, upgrade

__all__ = [
    "FORMAT",
    "RUN_FORMAT",
    "TMP_PREFIX",
    "LoadedModel",
    "SavedRun",
    "load_model",
    "load_run",
    "remove_partial_writes",
    "restore",
    "save",
    "save_run",
    "upgrade",
]
