"""``jaxdl sweep``: train every (learning rate, seed) pair as vmapped models in one compiled program."""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import sys
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import optax

from jaxdl import data, optim, schedules
from jaxdl._checks import ceil_div
from jaxdl.cli import args as types
from jaxdl.cli import distributed, rundir, signals
from jaxdl.cli.outputs import write_json
from jaxdl.cli.progress import EpochProgress, summary_table
from jaxdl.cli.train import (
    add_run_folder_args,
    add_training_args,
    checked_options,
    config_of,
    model_of,
    model_transform,
    scheduler_of,
)
from jaxdl.errors import ConfigError
from jaxdl.parallel import is_main_process
from jaxdl.train import ManyResult, fit_many
from jaxdl.train import lr as lr_plan

DEFAULT_OUT = os.path.join("runs", "sweep")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand (``train``'s arguments, with ``--lr`` a list and ``--seeds`` a count)."""
    p = sub.add_parser(
        "sweep",
        conflict_handler="resolve",
        help="train one model per (learning rate, seed) pair, all at once (one compile)",
        description="Runs are the product of --lr and --seeds, trained as vmapped models in one compiled "
        "program. Writes metrics.json, timing.json and sweep.png into --out.",
    )
    types.track_given(p)
    add_training_args(p)
    p.add_argument(
        "--lr",
        type=types.float_list,
        default=(0.01, 0.03, 0.1, 0.3),
        help="comma-separated learning rates, each the base rate of --scheduler if one is given "
        "(default 0.01,0.03,0.1,0.3)",
    )
    p.add_argument(
        "--seeds",
        type=types.positive_int,
        default=4,
        help="seeds per learning rate: --seed, --seed + 1, ... (default 4)",
    )
    p.add_argument(
        "--max-parallel",
        type=types.positive_int,
        default=None,
        help="train at most this many models at once (same results, less memory)",
    )
    add_run_folder_args(p, DEFAULT_OUT, "metrics.json, timing.json, sweep.png")
    p.set_defaults(run=run)


def run_optimizer(args: argparse.Namespace, ds: data.Dataset) -> Callable[..., optax.GradientTransformation]:
    """One run's optimizer as a function of its learning rate: ``--optimizer-args`` and ``--scheduler`` as ``train``.

    With a scheduler, the swept ``lr`` is its base rate and each run follows the schedule
    exactly as ``jaxdl train --lr <that rate>`` would.
    """
    make = functools.partial(optim.by_name, args.optimizer, **args.optimizer_args)
    if args.scheduler is None and not args.warmup_epochs:
        return lambda lr: make(lr=lr)
    if args.scheduler is not None and schedules.resolve(args.scheduler)[0] == "ReduceLROnPlateau":
        raise ConfigError(
            "--scheduler ReduceLROnPlateau follows one run's test loss, so jaxdl sweep cannot drive it "
            "for many runs at once: use jaxdl train for it, or a fixed schedule here."
        )
    steps_per_epoch = ceil_div(int(ds.train[0].shape[0]), args.batch_size)

    def optimizer(lr):
        plan = lr_plan.plan(make, scheduler_of(args, lr), unit=args.schedule_unit, steps_per_epoch=steps_per_epoch)
        return plan.optimizer

    return optimizer


def finite_or_none(values: npt.ArrayLike) -> list[float | None]:
    """A list of floats with NaN/inf as ``None`` (strict JSON)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).tolist()]


def _summary(metrics: dict, metric: str) -> dict[str, float]:
    values = metrics[metric]
    finite = values[np.isfinite(values)]
    best = (finite.max() if metric.endswith("acc") else finite.min()) if finite.size else math.nan
    return {f"best {metric}": float(best), f"mean {metric}": float(finite.mean()) if finite.size else math.nan}


def payload(args: argparse.Namespace, result: ManyResult, metric: str) -> dict:
    """metrics.json: the config, the best run and every run with its history."""
    runs = [
        {
            **run,
            "diverged": bool(result.diverged[i]),
            "history": {k: finite_or_none(v[i]) for k, v in result.history.items()},
        }
        for i, run in enumerate(result.runs)
    ]
    usable = ~result.diverged & np.isfinite(result.history[metric][:, -1])
    best = result.best(metric) if usable.any() else None
    return {"config": config_of(args), "metric": metric, "best": best, "runs": runs}


def run(args: argparse.Namespace) -> int:
    """Sweep, then write metrics.json, timing.json and sweep.png into the run folder at once.

    With ``--devices`` / ``--distributed`` the runs are split over the devices of every host;
    process 0 holds the run folder and writes the outputs. SIGTERM stops like Ctrl-C (exit 143).
    """
    with signals.terminate_as_interrupt():
        try:
            return _run(args)
        except KeyboardInterrupt as stop:
            what = "terminated (SIGTERM)" if isinstance(stop, signals.Terminated) else "interrupted"
            print(f"jaxdl sweep: {what}; nothing was written (a sweep writes its files when it ends).", file=sys.stderr)
            return signals.exit_code(stop)


def _run(args: argparse.Namespace) -> int:
    mesh = distributed.setup(args)
    args = checked_options(args)
    if args.seed + args.seeds > types.SEED_LIMIT:
        raise ConfigError(
            f"--seed {args.seed} --seeds {args.seeds}: the seeds run to {args.seed + args.seeds - 1}; "
            "expected them below 2**63."
        )
    ds = data.load(args.dataset, data_dir=args.data_dir, seed=args.seed)
    model = model_of(args, ds)
    seeds = list(range(args.seed, args.seed + args.seeds))
    metric = "test_acc" if ds.num_classes is not None else "test_loss"
    label = f"{len(args.lr) * len(seeds)} × {args.model} on {ds.name}"
    optimizer = run_optimizer(args, ds)
    placed = distributed.place(ds, mesh, args)
    main = is_main_process()
    claim = (
        rundir.claim(args.out, kind="sweep", default=DEFAULT_OUT, overwrite=args.overwrite)
        if main
        else contextlib.nullcontext(args.out)
    )
    with claim as out:
        if main:
            print(f"jaxdl sweep: run folder {out}", flush=True)
        with EpochProgress(args.epochs, label) as bar:
            result = fit_many(
                model,
                placed,
                optimizer=optimizer,
                hparams={"lr": list(args.lr)},
                seeds=seeds,
                epochs=args.epochs,
                batch_size=args.batch_size,
                max_parallel=args.max_parallel,
                callback=lambda epoch, metrics: bar.on_epoch_end(epoch, _summary(metrics, metric)),
                transform=model_transform(args, ds),
                mesh=mesh,
                progress=False,
            )
        if not main:
            return 0
        from jaxdl.plots.sweep import plot_sweep

        args = argparse.Namespace(**{**vars(args), "out": out})
        content = payload(args, result, metric)
        figure = plot_sweep(result, param="lr", metric=metric, title=f"{args.optimizer} sweep: {label}")
        with signals.held(), rundir.staged(out, replace=args.overwrite) as stage:
            write_json(os.path.join(stage, "metrics.json"), content)
            write_json(os.path.join(stage, "timing.json"), {"epoch_time": result.epoch_time.tolist()})
            figure.savefig(os.path.join(stage, "sweep.png"), dpi=100)
    summary_table(f"jaxdl sweep: {label}, {args.epochs} epochs", _rows(args, result, content, metric))
    return 0


def _rows(args: argparse.Namespace, result: ManyResult, content: dict, metric: str) -> list[tuple[str, str]]:
    rows = []
    for lr in dict.fromkeys(args.lr):
        finals = np.array([result.history[metric][i, -1] for i, r in enumerate(result.runs) if r["lr"] == lr])
        rows.append((f"lr={lr:g}: final {metric}", f"{np.nanmean(finals):.4f} ± {np.nanstd(finals):.4f}"))
    if content["best"] is not None:
        best = content["best"]
        rows.append(("best run", f"lr={best['lr']:g} seed={best['seed']} {metric} {best[metric]:.4f}"))
    else:
        rows.append(("best run", "none: every run diverged"))
    rows.append(("compile + first epoch (s)", f"{result.epoch_time[0]:.2f}"))
    rows.append(("outputs", args.out))
    return rows
