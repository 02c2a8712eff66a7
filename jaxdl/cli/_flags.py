"""Options generated from the configs of :mod:`jaxdl.experiments`: one per field with ``help`` in its metadata.

An option left out on the command line is absent from the parsed namespace, so :func:`typed` returns
exactly the fields the user typed (``jaxdl train --resume`` replaces only those).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Collection
from typing import Any

from jaxdl import _readers as read

READS = {"type": "parse", "metavar": "metavar", "choices": "choices", "nargs": "nargs"}
"""``add_argument`` keyword -> the metadata key that gives it."""


def flag(name: str) -> str:
    """The option of a field: ``batch_norm`` -> ``--batch-norm``."""
    return "--" + name.replace("_", "-")


def _option_fields(config: type, skip: Collection[str]) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(config) if "help" in f.metadata and f.name not in skip]


def add_flags(parser: argparse.ArgumentParser, config: type, *, skip: Collection[str] = ()) -> None:
    """Add an option for each field of the dataclass ``config`` that has ``help``, except those in ``skip``.

    The metadata gives its ``help``, ``parse`` (the ``type``, applied to each word with ``nargs``), ``metavar``,
    ``choices``, ``nargs`` and ``group``; a boolean field defaulting to False is a switch.

    >>> from jaxdl.experiments import TrainConfig
    >>> p = argparse.ArgumentParser()
    >>> add_flags(p, TrainConfig)
    >>> typed(p.parse_args(["--hidden", "64,32", "--batch-norm"]), TrainConfig)
    {'hidden': (64, 32), 'batch_norm': True}
    """
    groups: dict[str, Any] = {}
    for field in _option_fields(config, skip):
        meta = field.metadata
        title = meta.get("group")
        if title is not None and title not in groups:
            groups[title] = parser.add_argument_group(title)
        target = parser if title is None else groups[title]
        if field.default is False:
            target.add_argument(flag(field.name), action="store_true", default=argparse.SUPPRESS, help=meta["help"])
            continue
        extra = {key: meta[name] for key, name in READS.items() if meta.get(name) is not None}
        target.add_argument(flag(field.name), default=argparse.SUPPRESS, help=meta["help"], **extra)


def typed(args: argparse.Namespace, config: type, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """The fields of ``config`` (but those in ``skip``) typed on the command line, by name (lists as tuples)."""
    given = {f.name: getattr(args, f.name) for f in _option_fields(config, skip) if hasattr(args, f.name)}
    return {name: tuple(value) if isinstance(value, list) else value for name, value in given.items()}


def add_run_folder(p: argparse.ArgumentParser, default: str, files: str) -> None:
    """``--out`` and ``--overwrite`` (the policy is :func:`jaxdl.experiments.claim_run_folder`'s)."""
    p.add_argument(
        "--out",
        type=read.writable_dir,
        default=None,
        help=f"folder for {files} (default {default}, or {default}-2, -3, ... when it holds a run); "
        "a folder you name must not hold a run unless you add --overwrite",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (train removes its files before training; sweep, ovr and bench "
        "replace them when they write their results)",
    )
