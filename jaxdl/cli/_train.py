"""``jaxdl train``: options generated from :class:`~jaxdl.experiments.TrainConfig`, then
:func:`~jaxdl.experiments.train_and_evaluate`.

``--resume DIR`` loads the config saved with the run and replaces only the fields typed now; of its
settings, only ``--epochs`` (to train longer) and ``--data-dir`` may differ.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Any

from jaxdl import _readers as read
from jaxdl import checkpoint, experiments
from jaxdl.cli._flags import add_flags, add_run_folder, flag, typed
from jaxdl.cli._main import SUBCOMMANDS
from jaxdl.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    p = sub.add_parser("train", help=SUBCOMMANDS["train"])
    add_flags(p, experiments.TrainConfig)
    add_run_folder(p, experiments.TrainConfig.default_out, "metrics.json, metrics.csv, curves.png, checkpoint")
    p.add_argument(
        "--resume",
        type=read.existing_dir,
        default=None,
        metavar="DIR",
        help="continue the run in DIR (an earlier --out) from its checkpoint, with its saved settings; "
        "only --epochs (to train longer) and --data-dir may be given anew",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the config from the typed options (or the resumed run's), then train; 0 when it ends."""
    given = typed(args, experiments.TrainConfig)
    config = experiments.TrainConfig(**given) if args.resume is None else _resumed(args, given)
    resume = args.resume is not None
    out = args.resume if resume else args.out
    experiments.train_and_evaluate(config.checked(given), out, overwrite=args.overwrite, resume=resume)
    return 0


def _resumed(args: argparse.Namespace, given: dict[str, Any]) -> experiments.TrainConfig:
    """The config saved in ``--resume DIR`` with the typed fields replaced; they must agree with the saved run.

    Raises:
      ConfigError: no checkpoint there, ``--overwrite``, another ``--out``, ``--epochs`` below the epochs
        done, or typed settings that differ from the saved ones (all listed in one line).
    """
    folder = args.resume
    if args.overwrite:
        raise ConfigError(f"--resume {folder!r} continues that run and --overwrite would delete it: give one of them.")
    path = os.path.join(folder, "checkpoint")
    if not os.path.isfile(path):
        raise ConfigError(
            f"--resume {folder!r}: no checkpoint file there; expected the --out folder of an earlier jaxdl train run."
        )
    saved = checkpoint.load_run(path)
    fields = {f.name: f.metadata for f in dataclasses.fields(experiments.TrainConfig)}
    conflicts = []
    for name, value in sorted(given.items()):
        value = list(value) if isinstance(value, tuple) else value
        if not fields[name]["saved"] or fields[name]["may_change"]:
            continue
        if name not in saved.config:
            conflicts.append(f"{flag(name)} {value!r} (not a setting of the saved run)")
        elif value != saved.config[name]:
            conflicts.append(f"{flag(name)} {value!r} (saved: {saved.config[name]!r})")
    if args.out is not None and os.path.abspath(args.out) != os.path.abspath(folder):
        conflicts.append(f"--out {args.out!r} (a resumed run writes into {folder!r})")
    if conflicts:
        raise ConfigError(
            f"--resume {folder!r} continues that run with its saved settings, but you gave "
            f"{'; '.join(conflicts)}: leave those out, or start a new run with another --out."
        )
    config = dataclasses.replace(experiments.TrainConfig.from_dict(saved.config), **given)
    if config.epochs < saved.epochs_done:
        raise ConfigError(
            f"--epochs {config.epochs}: the run in {folder!r} has already done {saved.epochs_done} epochs; "
            f"expected --epochs >= {saved.epochs_done}."
        )
    return config
