"""``jaxdl ovr``: options generated from :class:`~jaxdl.experiments.OneVsRestConfig`, then
:func:`~jaxdl.experiments.one_vs_rest`."""

from __future__ import annotations

import argparse

from jaxdl import experiments
from jaxdl.cli._flags import add_flags, add_run_folder, typed
from jaxdl.cli._main import SUBCOMMANDS


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``ovr`` subcommand."""
    p = sub.add_parser(
        "ovr",
        help=SUBCOMMANDS["ovr"],
        description="Trains one LogisticRegression per class on (y == c) with BCELoss(reduction='sum'), "
        "all in one compiled program, and predicts the argmax of the C scores. Writes metrics.json.",
    )
    add_flags(p, experiments.OneVsRestConfig)
    add_run_folder(p, experiments.OneVsRestConfig.default_out, "metrics.json")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the config from the typed options, then train; 0 when it ends."""
    config = experiments.OneVsRestConfig(**typed(args, experiments.OneVsRestConfig))
    experiments.one_vs_rest(config, args.out, overwrite=args.overwrite)
    return 0
