"""``jaxdl sweep``: the options of ``jaxdl train`` that a sweep uses and those of
:class:`~jaxdl.experiments.SweepConfig` (``--lr`` a list, ``--seeds`` a count), then
:func:`~jaxdl.experiments.sweep`."""

from __future__ import annotations

import argparse
import dataclasses

from jaxdl import experiments
from jaxdl.cli._flags import add_flags, add_run_folder, typed
from jaxdl.cli._main import SUBCOMMANDS


def _not_swept() -> set[str]:
    """The training fields without a sweep option: those of one run, and the sweep's own (``lr``)."""
    sweep = experiments.SweepConfig
    return {*sweep.single_run, *(f.name for f in dataclasses.fields(sweep))}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    p = sub.add_parser(
        "sweep",
        help=SUBCOMMANDS["sweep"],
        description="Runs are the product of --lr and --seeds, trained as vmapped models in one compiled "
        "program. Writes metrics.json, timing.json and sweep.png into --out.",
    )
    add_flags(p, experiments.TrainConfig, skip=_not_swept())
    add_flags(p, experiments.SweepConfig)
    add_run_folder(p, experiments.SweepConfig.default_out, "metrics.json, timing.json, sweep.png")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the config from the typed options, then sweep; 0 when it ends."""
    given = typed(args, experiments.TrainConfig, skip=_not_swept())
    config = experiments.SweepConfig(train=experiments.TrainConfig(**given), **typed(args, experiments.SweepConfig))
    experiments.sweep(config.checked(given), args.out, overwrite=args.overwrite)
    return 0
