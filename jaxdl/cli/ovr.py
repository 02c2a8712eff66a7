"""``jaxdl ovr``: one-vs-rest logistic regression, one binary classifier per class, trained at once."""

from __future__ import annotations

import argparse
import os
import sys

from jaxdl import _signals, data, optim
from jaxdl.callbacks import ProgressBar
from jaxdl.cli import args as types
from jaxdl.cli import rundir, signals
from jaxdl.cli.outputs import write_json
from jaxdl.cli.summary import summary_table
from jaxdl.cli.sweep import finite_or_none
from jaxdl.cli.train import add_run_folder_args
from jaxdl.train import fit_one_vs_rest

DEFAULT_OUT = os.path.join("runs", "ovr")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``ovr`` subcommand."""
    p = sub.add_parser(
        "ovr",
        help="one-vs-rest logistic regression: C binary classifiers as vmapped models",
        description="Trains one LogisticRegression per class on (y == c) with BCELoss(reduction='sum'), "
        "all in one compiled program, and predicts the argmax of the C scores. Writes metrics.json.",
    )
    p.add_argument(
        "--dataset", default="digits", help=f"a classification dataset: {', '.join(data.LOADERS[:3])} (default digits)"
    )
    p.add_argument(
        "--data-dir",
        type=types.existing_dir,
        default=None,
        help="folder with TFDS data or the IDX files (for mnist / fashion_mnist)",
    )
    p.add_argument("--optimizer", default="sgd", help="torch.optim name: sgd, adam, adamw, rmsprop, adagrad, adadelta")
    p.add_argument(
        "--lr", type=types.positive_float, default=0.01, help="learning rate (default 0.01, for the summed loss)"
    )
    p.add_argument("--epochs", type=types.positive_int, default=50, help="epochs (default 50)")
    p.add_argument("--batch-size", type=types.positive_int, default=64, help="batch size (default 64)")
    p.add_argument("--seed", type=types.seed, default=0, help="seed for the inits and the shuffling")
    add_run_folder_args(p, DEFAULT_OUT, "metrics.json")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Train the C classifiers, then write metrics.json into the run folder. SIGTERM stops like Ctrl-C (143)."""
    with signals.terminate_as_interrupt():
        try:
            return _run(args)
        except KeyboardInterrupt as stop:
            what = "terminated (SIGTERM)" if isinstance(stop, signals.Terminated) else "interrupted"
            print(f"jaxdl ovr: {what}; nothing was written (ovr writes its files when it ends).", file=sys.stderr)
            return signals.exit_code(stop)


def _run(args: argparse.Namespace) -> int:
    ds = data.load(args.dataset, data_dir=args.data_dir, seed=args.seed)
    optimizer = optim.by_name(args.optimizer, lr=args.lr)
    with rundir.claim(args.out, kind="ovr", default=DEFAULT_OUT, overwrite=args.overwrite) as out:
        print(f"jaxdl ovr: run folder {out}", flush=True)
        result = fit_one_vs_rest(
            ds,
            optimizer=optimizer,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            callbacks=[ProgressBar(file=sys.stdout, label=f"one-vs-rest on {ds.name}")],
            verbose=0,
        )
        names = result.class_names
        skip = {"run", "command", "out", "overwrite", "no_cache"}
        config = {k: v for k, v in sorted(vars(args).items()) if k not in skip}
        content = {
            "config": config,
            "test_acc": result.test_acc,
            "class_acc": dict(zip(names, finite_or_none(result.class_acc), strict=True)),
            "binary_acc": dict(zip(names, finite_or_none(result.binary_acc), strict=True)),
            "history": {
                k: {name: finite_or_none(v[c]) for c, name in enumerate(names)} for k, v in result.history.items()
            },
        }
        with _signals.held(deliver=False), rundir.staged(out, replace=args.overwrite) as stage:
            write_json(os.path.join(stage, "metrics.json"), content)
    rows = [(f"class {name}", f"{acc:.4f}") for name, acc in zip(names, result.class_acc, strict=True)]
    rows += [("test accuracy (argmax)", f"{result.test_acc:.4f}"), ("outputs", out)]
    summary_table(f"jaxdl ovr: {ds.num_classes} logistic regressions on {ds.name}, {args.epochs} epochs", rows)
    return 0
