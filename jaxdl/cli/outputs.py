"""Write a run's files all at once: staged in a temporary folder, then moved into ``--out``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator

from jaxdl.errors import ConfigError


@contextlib.contextmanager
def staged_output(out: str) -> Iterator[str]:
    """Yield a temporary folder beside ``out``; on success its files move into ``out``.

    If the block raises, the temporary folder is removed and ``out`` is left as it was.
    """
    parent = os.path.dirname(os.path.abspath(out))
    try:
        os.makedirs(parent, exist_ok=True)
        stage = tempfile.mkdtemp(prefix=".jaxdl-stage-", dir=parent)
    except OSError as err:
        raise ConfigError(f"--out {out!r} is not writable: {err.strerror}.") from None
    try:
        yield stage
        if not os.path.exists(out):
            os.rename(stage, out)
            return
        for name in os.listdir(stage):
            os.replace(os.path.join(stage, name), os.path.join(out, name))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_json(path: str, payload: dict) -> None:
    """Write ``payload`` as indented JSON with sorted keys (byte-identical for equal payloads)."""
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.write("\n")
