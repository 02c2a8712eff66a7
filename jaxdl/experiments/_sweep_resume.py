"""A stopped sweep goes on: the search saved after each rung (``search.ckpt``) and read back to resume it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from jaxdl import _signals, checkpoint
from jaxdl.errors import ConfigError
from jaxdl.train import ManyResult

SEARCH_FILE = "search.ckpt"
"""The unfinished search a sweep with halving saves after each rung (removed when it ends)."""


def initial_search(
    config: Mapping[str, Any], out: str | os.PathLike | None, overwrite: bool, runs: list[dict]
) -> ManyResult:
    """The search saved in ``out`` by a sweep of ``config`` (a ``SweepConfig.to_dict()``) that stopped, to go on."""
    if out is None or overwrite:
        raise ConfigError("sweep: resume continues the search saved in out: give out, and not overwrite.")
    path = os.path.join(out, SEARCH_FILE)
    if not os.path.isfile(path):
        raise ConfigError(f"sweep: no {SEARCH_FILE} in {os.fspath(out)!r} to resume (a sweep saves one per rung).")
    saved = checkpoint.load_run(path)
    theirs, mine = saved.config.get("sweep", {}), dict(config)
    if theirs != mine:
        name = next(k for k in sorted({*theirs, *mine}) if theirs.get(k) != mine.get(k))
        raise ConfigError(
            f"sweep: {os.fspath(out)!r} holds a sweep of another search ({name}={theirs.get(name)!r} there, "
            f"{mine.get(name)!r} here): resume it with its own options, or choose another out."
        )
    arrays = saved.saved_state
    return ManyResult(
        state=arrays["states"],
        history={k: np.asarray(v) for k, v in arrays["history"].items()},
        runs=runs,
        epoch_time=np.asarray(arrays["epoch_time"]),
        diverged=np.asarray(arrays["diverged"], bool),
        calls=int(saved.config["calls"]),
        rung=np.asarray(arrays["rung"], np.int64),
        rung_ends=tuple(saved.config["rung_ends"]),
    )


def search_saver(config: Mapping[str, Any], folder: str) -> Any:
    """Saves the search of ``config`` (a ``SweepConfig.to_dict()``) after each rung (``fit_many``'s ``on_rung``) as
    ``search.ckpt`` in ``folder``."""

    def save(result: ManyResult) -> None:
        arrays = {
            "states": result.state,
            "history": result.history,
            "rung": result.rung,
            "diverged": result.diverged,
            "epoch_time": result.epoch_time,
        }
        meta = {"sweep": dict(config), "rung_ends": list(result.rung_ends), "calls": result.calls}
        with _signals.held(deliver=True):
            checkpoint.save_run(os.path.join(folder, SEARCH_FILE), arrays, config=meta, history={})

    return save
