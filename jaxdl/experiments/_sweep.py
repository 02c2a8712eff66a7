"""``sweep``: every (hyperparameter setting, seed) pair of a training config as vmapped models, ranked on validation.

The settings come from a search space (a grid crossed with random draws); successive halving prunes them
rung by rung. The run folder gets metrics.json, timing.json, runs.csv (the runs ranked) and sweep.png.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
from collections.abc import Collection
from typing import Any, ClassVar, cast

import numpy as np

from jaxdl import _readers as read
from jaxdl import _signals, data, models, optim, parallel, schedules
from jaxdl._checks import ceil_div
from jaxdl.callbacks import Callback, EarlyStopping, ProgressBar, TensorBoard
from jaxdl.errors import ConfigError, unknown
from jaxdl.experiments import _rundir
from jaxdl.experiments import _space as space
from jaxdl.experiments import _sweep_report as report
from jaxdl.experiments._config import TrainConfig, changed_fields, option, saved_fields
from jaxdl.experiments._devices import mesh_for, placed
from jaxdl.experiments._outputs import finite_or_none, write_json
from jaxdl.experiments._summary import summary_table
from jaxdl.experiments._sweep_resume import SEARCH_FILE, initial_search, search_saver
from jaxdl.train import ManyResult, SuccessiveHalving, fit_many, scheduled, search_space

DEFAULT_RATES = (0.01, 0.03, 0.1, 0.3)
"""The learning rates a sweep tries when nothing else names ``lr``."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SweepConfig:
    """What ``jaxdl sweep`` trains: the runs of ``train`` at each setting of a search space and ``seeds`` seeds.

    The settings are the grid (``lr`` and ``grid``) crossed with ``random``'s draws (see
    :func:`jaxdl.train.search_space`; the draws are seeded by ``train.seed``). A name is ``lr`` or an argument
    of the optimizer or of the scheduler. Every run is ``train`` with its own setting and seed (``train.seed``,
    ``train.seed + 1``, ...), trained exactly as :func:`train_and_evaluate` would train it, all of them as one
    compiled program per rung. With ``train.val`` the runs are ranked on the validation split; ``halving``
    prunes them by it. The fields of ``train`` named in ``single_run`` (and its ``lr``) are not used by a sweep.

    >>> SweepConfig(train=TrainConfig(epochs=5), lr=(0.1, 0.3), seeds=2).to_dict()["lr"]
    [0.1, 0.3]
    >>> len(SweepConfig(grid=("momentum=0.8,0.9",), random=("8", "lr=log:1e-3..1"), seeds=1).settings())
    16
    """

    default_out: ClassVar[str] = os.path.join("runs", "sweep")
    single_run: ClassVar[tuple[str, ...]] = ("checkpoint_every",)

    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    lr: tuple[float, ...] = option(
        DEFAULT_RATES,
        "comma-separated learning rates, each the base rate of --scheduler if one is given (default "
        "0.01,0.03,0.1,0.3; unused when --grid or --random names lr)",
        parse=read.float_list,
    )
    grid: tuple[str, ...] = option(
        (),
        "NAME=V,V,... ...: try each value with every other value (NAME: lr or an argument of the optimizer or "
        "the scheduler), e.g. momentum=0.8,0.9",
        parse=space.grid_spec,
        nargs="+",
        metavar="NAME=V,V",
    )
    random: tuple[str, ...] = option(
        (),
        "N NAME=RANGE ...: N random draws (seeded by --seed) for each grid point; RANGE is LO..HI (uniform), "
        "log:LO..HI (log-uniform) or V,V,... (choice), e.g. --random 64 lr=log:1e-4..1 weight_decay=log:1e-6..1e-2",
        parse=space.random_spec,
        nargs="+",
        metavar=("N", "NAME=RANGE"),
    )
    halving: int | None = option(
        None,
        "successive halving: keep the best 1/ETA of the runs by the validation metric at each rung and train "
        "them ETA times longer (needs --val; e.g. 3)",
        parse=read.positive_int,
        metavar="ETA",
    )
    seeds: int = option(4, "seeds per setting: --seed, --seed + 1, ... (default 4)", parse=read.positive_int)
    max_parallel: int | None = option(
        None, "train at most this many models at once (same results, less memory)", parse=read.positive_int
    )

    def to_dict(self) -> dict[str, Any]:
        """The saved fields (``train``'s that a sweep uses, and its own) as JSON values, sorted by name."""
        skip = {"lr", *self.single_run}
        own = saved_fields(self)
        return dict(sorted({**{k: v for k, v in self.train.to_dict().items() if k not in skip}, **own}.items()))

    def space(self) -> tuple[dict[str, tuple[float, ...]], dict[str, Any], int]:
        """``(grid, random ranges, draws)`` read from ``lr``, ``grid`` and ``random``.

        Raises:
          ConfigError: a name given twice, ``lr`` both in the space and in ``--lr``, or a ``--random``
            without a count or a range.
        """
        grid = dict(space.read_grid(spec) for spec in self.grid)
        ranges: dict[str, Any] = {}
        samples = 0
        if self.random:
            count, *specs = self.random
            if not count.isdigit() or not specs:
                raise ConfigError(
                    f"--random {' '.join(self.random)}: expected a count and at least one NAME=RANGE, "
                    "e.g. --random 64 lr=log:1e-4..1"
                )
            samples = int(count)
            if samples == 0:
                raise ConfigError("--random 0: the search space is empty; draw at least 1 setting.")
            ranges = dict(space.read_range(spec) for spec in specs)
            if len(ranges) < len(specs):
                raise ConfigError(f"--random {' '.join(specs)}: a name is given twice.")
        named = [space.read_grid(spec)[0] for spec in self.grid] + list(ranges)
        twice = sorted({name for name in named if named.count(name) > 1})
        if twice:
            raise ConfigError(f"--grid/--random: {twice[0]} is given twice; give each hyperparameter once.")
        if "lr" in named and self.lr != DEFAULT_RATES:
            raise ConfigError("--lr and --grid/--random both give lr: give it once.")
        if "lr" not in named:
            grid = {"lr": self.lr, **grid}
        return grid, ranges, samples

    def settings(self) -> list[dict[str, float]]:
        """The search space's settings (each run is one of them with one seed), grid-major."""
        grid, ranges, samples = self.space()
        return search_space(grid, ranges, samples=samples, seed=self.train.seed)

    def checked(self, given: Collection[str] | None = None) -> SweepConfig:
        """This config validated (``train`` by :meth:`TrainConfig.checked`, with ``given`` as there).

        Raises:
          ConfigError: as :meth:`TrainConfig.checked`; a field of ``single_run`` set, seeds beyond
            ``2**63``, ``ReduceLROnPlateau`` (it follows one run's loss), a bad search space (see
            :meth:`space`), a name that is neither ``lr`` nor an argument of the optimizer or scheduler
            or that ``optimizer_args``/``scheduler_args`` also set, ``halving`` without ``val``, or
            ``halving`` with ``train.early_stopping``.
        """
        train = self.train.checked(given)
        extra = sorted(changed_fields(train) & set(self.single_run))
        if extra:
            raise ConfigError(f"SweepConfig: a sweep does not use train.{', train.'.join(extra)}: leave them unset.")
        if train.seed + self.seeds > read.SEED_LIMIT:
            raise ConfigError(
                f"--seed {train.seed} --seeds {self.seeds}: the seeds run to {train.seed + self.seeds - 1}; "
                "expected them below 2**63."
            )
        if train.scheduler is not None and schedules.resolve(train.scheduler)[0] == "ReduceLROnPlateau":
            raise ConfigError(
                "--scheduler ReduceLROnPlateau follows one run's test loss, so jaxdl sweep cannot drive it "
                "for many runs at once: use jaxdl train for it, or a fixed schedule here."
            )
        if train.early_stopping is not None and self.halving is not None:
            raise ConfigError(
                "--early-stopping and --halving both stop runs early (each run on its own, or the runs that fall "
                "behind at each rung): choose one."
            )
        if self.halving is not None:
            if self.halving < 2:
                raise ConfigError(f"--halving {self.halving}: ETA must be 2 or more (each rung keeps 1/ETA).")
            if train.val is None:
                raise ConfigError("--halving ranks the runs on validation data: add --val FRACTION (e.g. --val 0.2).")
        checked = dataclasses.replace(self, train=train)
        grid, ranges, _ = checked.space()
        optimizer_names, scheduler_names = train.numeric_arguments()
        for name in [*grid, *ranges]:
            if name in scheduler_names:
                raise ConfigError(
                    f"--grid/--random {name}: {train.scheduler} checks its {name} as a Python number, so one compiled "
                    f"sweep cannot give each run its own; fix it with --scheduler-args {name}=..., or run jaxdl train "
                    "once per value."
                )
            if name == "momentum" and train.cycles_momentum():
                raise ConfigError(
                    f"--grid/--random momentum: --scheduler {train.scheduler} sets the momentum at every step "
                    "(cycle_momentum=True), so the swept values would not be used: add --scheduler-args "
                    "cycle_momentum=False to sweep it."
                )
            if name != "lr" and name not in optimizer_names:
                raise unknown("hyperparameter to sweep", name, ["lr", *optimizer_names], where="--grid/--random")
            if name in train.optimizer_args or name in train.scheduler_args:
                raise ConfigError(
                    f"--grid/--random {name}: it is also in --optimizer-args/--scheduler-args; give it once."
                )
        return checked


def _run_optimizer(train: TrainConfig, ds: data.Dataset) -> Any:
    """One run's optimizer as a function of its hyperparameters (``lr`` and those of the optimizer or scheduler).

    With a scheduler, the swept ``lr`` is its base rate and each run follows the schedule
    exactly as :func:`train_and_evaluate` with that rate would.
    """
    make = functools.partial(optim.by_name, train.optimizer, **train.optimizer_args)
    _, scheduler_names = train.numeric_arguments()
    steps = ceil_div(int(ds.train[0].shape[0]), train.batch_size)

    def optimizer(lr, **hparams):
        own = {k: v for k, v in hparams.items() if k not in scheduler_names}
        if train.scheduler is None and not train.warmup_epochs:
            return make(lr=lr, **own)
        scheduler_args = {**train.scheduler_args, **{k: v for k, v in hparams.items() if k in scheduler_names}}
        built = dataclasses.replace(train, scheduler_args=scheduler_args).build_schedule(lr)
        schedule = cast(schedules.Schedule | schedules.PerStep, built)  # not a plateau (checked)
        return scheduled(functools.partial(make, **own), schedule, steps_per_epoch=steps)

    return optimizer


def _payload(config: SweepConfig, result: ManyResult, metric: str, rows: list[dict]) -> dict:
    """metrics.json: the config, the metric runs are ranked on, the best run (with its test scores) and every run."""
    runs = [
        {
            **run,
            "diverged": bool(result.diverged[i]),
            "rung": int(result.rung[i]),
            "epochs": int(result.epochs[i]),
            "history": {k: finite_or_none(v[i][: result.epochs[i]]) for k, v in result.history.items()},
        }
        for i, run in enumerate(result.runs)
    ]
    best = None
    if rows[0][metric] is not None:
        best = result.best(metric)
        best.update({k: v for k, v in report.best_test_scores(result, best["index"]).items() if k not in best})
    return {"config": config.to_dict(), "metric": metric, "best": best, "runs": runs}


def _rows(
    config: SweepConfig, result: ManyResult, content: dict, metric: str, out: str, command: str | None
) -> list[tuple[str, str]]:
    rows = []
    if len(result.runs[0]) == 2 and config.halving is None:  # lr and seed: the rates side by side
        for lr, finals in report.finals_by_value(result, metric, "lr"):
            rows.append((f"lr={lr:g}: final {metric}", f"{np.nanmean(finals):.4f} ± {np.nanstd(finals):.4f}"))
    best = content["best"]
    if best is not None:
        setting = {k: v for k, v in result.runs[best["index"]].items() if k != "seed"}
        shown = " ".join(f"{k}={v:g}" for k, v in setting.items())
        rows.append(("best run", f"{shown} seed={best['seed']} {metric} {best[metric]:.4f}"))
        if metric.startswith("val_"):
            tests = " ".join(f"{k} {v:.4f}" for k, v in best.items() if k.startswith("test_"))
            rows.append(("its test score (chosen on val)", tests))
        rows.append(("train it alone", command or ""))
    else:
        rows.append(("best run", "none: every run diverged"))
    if config.halving is not None:
        counts = np.bincount(result.rung, minlength=len(result.rung_ends)).tolist()
        stops = ", ".join(f"{e} epochs: {c}" for e, c in zip(result.rung_ends, counts, strict=True))
        rows.append(("runs stopped at rung", stops))
    rows.append(("compile + first epoch (s)", f"{result.epoch_time[0]:.2f}"))
    rows.append(("outputs", out))
    return rows


def sweep(
    config: SweepConfig,
    out: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    resume: bool = False,
    verbose: int = 1,
) -> ManyResult:
    """Sweep as ``jaxdl sweep`` does, then write metrics.json, timing.json, runs.csv and sweep.png into the run folder.

    The folder follows :func:`claim_run_folder`'s policy (``out=None``: the next free ``runs/sweep``).
    With ``train.devices`` the runs are split over the devices of every host; process 0 writes the folder.
    With ``halving`` the search so far is saved as ``search.ckpt`` after each rung but the last, so a search
    stopped by Ctrl-C, SIGTERM or a crash continues from its last rung with ``resume=True`` (the same config).

    Args:
      config: what to train (validated with :meth:`SweepConfig.checked`).
      out: the run folder; None for the next free ``runs/sweep``.
      overwrite: replace the run already in ``out``.
      resume: continue the search saved in ``out`` (its ``search.ckpt``).
      verbose: 1 prints the run folder, progress and a summary table on stdout; 0 nothing.

    Returns:
      ``fit_many``'s :class:`~jaxdl.train.ManyResult`.

    Raises:
      ConfigError: a bad config or folder; ``resume`` without ``out``, with ``overwrite``, without a saved
        search in ``out``, or with a config other than the saved search's (one line, nothing written).
    """
    with _signals.terminate_as_interrupt():
        try:
            return _sweep(config, out, overwrite, resume, verbose)
        except KeyboardInterrupt as stop:
            kept = "the rungs done are kept in search.ckpt (resume=True / --resume continues)"
            nothing = "nothing was written (a sweep writes its files when it ends)"
            saved = out is not None and os.path.isfile(os.path.join(out, SEARCH_FILE))
            stop.args = (f"{_signals.stopped_by(stop)}; {kept if saved else nothing}.",)
            raise


def _callbacks(train: TrainConfig, label: str, verbose: int) -> list[Callback]:
    """A progress bar unless quiet, and each run's early stopping when ``train.early_stopping`` asks for it."""
    callbacks: list[Callback] = [ProgressBar(file=sys.stdout, label=label)] if verbose else []
    if train.early_stopping is not None:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=train.early_stopping))
    return callbacks


def _sweep(
    config: SweepConfig, out: str | os.PathLike | None, overwrite: bool, resume: bool, verbose: int
) -> ManyResult:
    config = config.checked()
    train = config.train
    if train.tensorboard:  # refuses a missing tensorboardX in one line before training (writes nothing)
        TensorBoard(os.path.join(os.fspath(out or SweepConfig.default_out), "tensorboard"))
    mesh = mesh_for(train)
    ds = data.load(train.dataset, data_dir=train.data_dir, seed=train.seed)
    model = train.build_model(ds)
    seeds = list(range(train.seed, train.seed + config.seeds))
    settings = config.settings()
    runs = [{"seed": s, **h} for h in settings for s in seeds]
    initial = initial_search(config.to_dict(), out, overwrite, runs) if resume else None
    split = "val" if train.val is not None else "test"
    metric = f"{split}_acc" if ds.num_classes is not None else f"{split}_loss"
    label = f"{len(settings) * len(seeds)} × {train.model} on {ds.name}"
    optimizer = _run_optimizer(train, ds)
    runs_data = placed(ds, mesh, train.shard_data)
    main = parallel.is_main_process()
    claim = (
        _rundir.claim_run_folder(out, kind="sweep", default=SweepConfig.default_out, overwrite=overwrite, resume=resume)
        if main
        else contextlib.nullcontext(os.fspath(out or SweepConfig.default_out))
    )
    with claim as folder:
        if main and verbose:
            print(f"jaxdl sweep: run folder {folder}", flush=True)
        result = fit_many(
            model,
            runs_data,
            optimizer=optimizer,
            hparams=settings,
            seeds=seeds,
            epochs=train.epochs,
            batch_size=train.batch_size,
            max_parallel=config.max_parallel,
            transform=models.input_transform(train.model, ds.input_shape),
            validation_split=train.val,
            halving=None if config.halving is None else SuccessiveHalving(eta=config.halving, metric=metric),
            initial=initial,
            on_rung=search_saver(config.to_dict(), folder) if main and config.halving is not None else None,
            mesh=mesh,
            callbacks=_callbacks(train, label, verbose),
            verbose=0,
        )
        if not main:
            return result
        from jaxdl.plots import plot_search, plot_sweep

        rows = report.ranked_rows(result, metric)
        content = _payload(config, result, metric, rows)
        best = content["best"]
        command = None
        if best is not None:
            command = report.train_command(train, result.runs[best["index"]], train.numeric_arguments()[1])
        title = f"{train.optimizer} sweep: {label}"
        if len(result.runs[0]) == 2 and split == "test":
            figure = plot_sweep(result, param="lr", metric=metric, title=title)
        else:
            figure = plot_search(result, metric=metric, title=title)
        with _signals.held(deliver=False), _rundir.staged(folder, replace=overwrite) as stage:
            write_json(os.path.join(stage, "metrics.json"), content)
            write_json(os.path.join(stage, "timing.json"), {"epoch_time": result.epoch_time.tolist()})
            report.write_rows(os.path.join(stage, "runs.csv"), rows)
            if train.tensorboard:
                report.write_tensorboard(os.path.join(stage, "tensorboard"), result, metric)
            figure.savefig(os.path.join(stage, "sweep.png"), dpi=100)
        if os.path.isfile(os.path.join(folder, SEARCH_FILE)):
            os.remove(os.path.join(folder, SEARCH_FILE))  # the search ended: its files say all
    if verbose:
        print("\n".join(report.table_lines(rows)), flush=True)
        summary_table(
            f"jaxdl sweep: {label}, {train.epochs} epochs", _rows(config, result, content, metric, folder, command)
        )
    return result
