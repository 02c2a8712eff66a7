"""``jaxdl sweep``: the options of ``jaxdl train`` that a sweep uses and those of
:class:`~jaxdl.experiments.SweepConfig` (``--lr`` a list, ``--grid`` and ``--random`` a search space,
``--halving`` its pruning, ``--seeds`` a count), then :func:`~jaxdl.experiments.sweep`."""

from __future__ import annotations

import argparse
import dataclasses

from jaxdl import experiments
from jaxdl.cli._flags import add_flags, add_run_folder, typed
from jaxdl.cli._main import SUBCOMMANDS
from jaxdl.errors import ConfigError


def _not_swept() -> set[str]:
    """The training fields without a sweep option: those of one run, and the sweep's own (``lr``)."""
    sweep = experiments.SweepConfig
    return {*sweep.single_run, *(f.name for f in dataclasses.fields(sweep))}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    p = sub.add_parser(
        "sweep",
        help=SUBCOMMANDS["sweep"],
        description="Runs are the settings of --lr, --grid and --random (a grid crossed with seeded random draws) "
        "times --seeds, trained as vmapped models in one compiled program. With --val they are ranked on the "
        "validation split and --halving prunes them by it. Writes metrics.json, timing.json, runs.csv (the runs "
        "ranked) and sweep.png into --out, and prints the best run as a jaxdl train command.",
        epilog="e.g. jaxdl sweep --val 0.2 --halving 3 --epochs 27 --seeds 1 --grid momentum=0.8,0.9 "
        "--random 32 lr=log:1e-4..1 weight_decay=log:1e-6..1e-2",
    )
    add_flags(p, experiments.TrainConfig, skip=_not_swept())
    add_flags(p, experiments.SweepConfig)
    add_run_folder(p, experiments.SweepConfig.default_out, "metrics.json, timing.json, runs.csv, sweep.png")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the stopped search saved in --out (search.ckpt, written after each --halving rung); "
        "give the same options as the first time",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the config from the typed options, then sweep; 0 when it ends."""
    if args.resume and (args.out is None or args.overwrite):
        raise ConfigError("--resume continues the search saved in --out: give --out DIR, without --overwrite.")
    given = typed(args, experiments.TrainConfig, skip=_not_swept())
    config = experiments.SweepConfig(train=experiments.TrainConfig(**given), **typed(args, experiments.SweepConfig))
    experiments.sweep(config.checked(given), args.out, overwrite=args.overwrite, resume=args.resume)
    return 0
