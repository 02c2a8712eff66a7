"""``sweep``: every (learning rate, seed) pair of a training config as vmapped models in one compiled program."""

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
from jaxdl.callbacks import ProgressBar
from jaxdl.errors import ConfigError
from jaxdl.experiments import _rundir
from jaxdl.experiments._config import TrainConfig, changed_fields, option, saved_fields
from jaxdl.experiments._devices import mesh_for, placed
from jaxdl.experiments._outputs import finite_or_none, write_json
from jaxdl.experiments._summary import summary_table
from jaxdl.train import ManyResult, fit_many


@dataclasses.dataclass(frozen=True, kw_only=True)
class SweepConfig:
    """What ``jaxdl sweep`` trains: the runs of ``train`` at each rate of ``lr`` and ``seeds`` seeds.

    Every run is ``train`` with its own ``lr`` and seed (``train.seed``, ``train.seed + 1``, ...), trained
    exactly as :func:`train_and_evaluate` would train it, all of them as one compiled program. The fields of
    ``train`` named in ``single_run`` (and its ``lr``) are not used by a sweep.

    >>> SweepConfig(train=TrainConfig(epochs=5), lr=(0.1, 0.3), seeds=2).to_dict()["lr"]
    [0.1, 0.3]
    """

    default_out: ClassVar[str] = os.path.join("runs", "sweep")
    single_run: ClassVar[tuple[str, ...]] = ("val", "early_stopping", "checkpoint_every", "tensorboard")

    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    lr: tuple[float, ...] = option(
        (0.01, 0.03, 0.1, 0.3),
        "comma-separated learning rates, each the base rate of --scheduler if one is given (default 0.01,0.03,0.1,0.3)",
        parse=read.float_list,
    )
    seeds: int = option(4, "seeds per learning rate: --seed, --seed + 1, ... (default 4)", parse=read.positive_int)
    max_parallel: int | None = option(
        None, "train at most this many models at once (same results, less memory)", parse=read.positive_int
    )

    def to_dict(self) -> dict[str, Any]:
        """The saved fields (``train``'s that a sweep uses, and its own) as JSON values, sorted by name."""
        skip = {"lr", *self.single_run}
        own = saved_fields(self)
        return dict(sorted({**{k: v for k, v in self.train.to_dict().items() if k not in skip}, **own}.items()))

    def checked(self, given: Collection[str] | None = None) -> SweepConfig:
        """This config validated (``train`` by :meth:`TrainConfig.checked`, with ``given`` as there).

        Raises:
          ConfigError: as :meth:`TrainConfig.checked`; a field of ``single_run`` set, seeds beyond
            ``2**63``, or ``ReduceLROnPlateau``, which follows one run's loss.
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
        return dataclasses.replace(self, train=train)


def _run_optimizer(train: TrainConfig, ds: data.Dataset) -> Any:
    """One run's optimizer as a function of its learning rate, with ``optimizer_args`` and the schedule.

    With a scheduler, the swept ``lr`` is its base rate and each run follows the schedule
    exactly as :func:`train_and_evaluate` with that rate would.
    """
    make = functools.partial(optim.by_name, train.optimizer, **train.optimizer_args)
    if train.scheduler is None and not train.warmup_epochs:
        return lambda lr: make(lr=lr)
    every = 1 if train.schedule_unit == "step" else ceil_div(int(ds.train[0].shape[0]), train.batch_size)

    def optimizer(lr):
        schedule = cast(schedules.Schedule, train.build_schedule(lr))  # not a plateau (checked)
        return make(lr=lambda count: schedule(count // every))

    return optimizer


def _payload(config: SweepConfig, result: ManyResult, metric: str) -> dict:
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
    return {"config": config.to_dict(), "metric": metric, "best": best, "runs": runs}


def _rows(config: SweepConfig, result: ManyResult, content: dict, metric: str, out: str) -> list[tuple[str, str]]:
    rows = []
    for lr in dict.fromkeys(config.lr):
        finals = np.array([result.history[metric][i, -1] for i, r in enumerate(result.runs) if r["lr"] == lr])
        rows.append((f"lr={lr:g}: final {metric}", f"{np.nanmean(finals):.4f} ± {np.nanstd(finals):.4f}"))
    best = content["best"]
    if best is not None:
        rows.append(("best run", f"lr={best['lr']:g} seed={best['seed']} {metric} {best[metric]:.4f}"))
    else:
        rows.append(("best run", "none: every run diverged"))
    rows.append(("compile + first epoch (s)", f"{result.epoch_time[0]:.2f}"))
    rows.append(("outputs", out))
    return rows


def sweep(
    config: SweepConfig, out: str | os.PathLike | None = None, *, overwrite: bool = False, verbose: int = 1
) -> ManyResult:
    """Sweep as ``jaxdl sweep`` does, then write metrics.json, timing.json and sweep.png into the run folder.

    The folder follows :func:`claim_run_folder`'s policy (``out=None``: the next free ``runs/sweep``).
    With ``train.devices`` the runs are split over the devices of every host; process 0 writes the folder.
    Ctrl-C and SIGTERM stop it with nothing written.

    Args:
      config: what to train (validated with :meth:`SweepConfig.checked`).
      out: the run folder; None for the next free ``runs/sweep``.
      overwrite: replace the run already in ``out``.
      verbose: 1 prints the run folder, progress and a summary table on stdout; 0 nothing.

    Returns:
      ``fit_many``'s :class:`~jaxdl.train.ManyResult`.
    """
    with _signals.terminate_as_interrupt():
        try:
            return _sweep(config, out, overwrite, verbose)
        except KeyboardInterrupt as stop:
            stop.args = (f"{_signals.stopped_by(stop)}; nothing was written (a sweep writes its files when it ends).",)
            raise


def _sweep(config: SweepConfig, out: str | os.PathLike | None, overwrite: bool, verbose: int) -> ManyResult:
    config = config.checked()
    train = config.train
    mesh = mesh_for(train)
    ds = data.load(train.dataset, data_dir=train.data_dir, seed=train.seed)
    model = train.build_model(ds)
    seeds = list(range(train.seed, train.seed + config.seeds))
    metric = "test_acc" if ds.num_classes is not None else "test_loss"
    label = f"{len(config.lr) * len(seeds)} × {train.model} on {ds.name}"
    optimizer = _run_optimizer(train, ds)
    runs_data = placed(ds, mesh, train.shard_data)
    main = parallel.is_main_process()
    claim = (
        _rundir.claim_run_folder(out, kind="sweep", default=SweepConfig.default_out, overwrite=overwrite)
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
            hparams={"lr": list(config.lr)},
            seeds=seeds,
            epochs=train.epochs,
            batch_size=train.batch_size,
            max_parallel=config.max_parallel,
            transform=models.input_transform(train.model, ds.input_shape),
            mesh=mesh,
            callbacks=[ProgressBar(file=sys.stdout, label=label)] if verbose else [],
            verbose=0,
        )
        if not main:
            return result
        from jaxdl.plots import plot_sweep

        content = _payload(config, result, metric)
        figure = plot_sweep(result, param="lr", metric=metric, title=f"{train.optimizer} sweep: {label}")
        with _signals.held(deliver=False), _rundir.staged(folder, replace=overwrite) as stage:
            write_json(os.path.join(stage, "metrics.json"), content)
            write_json(os.path.join(stage, "timing.json"), {"epoch_time": result.epoch_time.tolist()})
            figure.savefig(os.path.join(stage, "sweep.png"), dpi=100)
    if verbose:
        summary_table(f"jaxdl sweep: {label}, {train.epochs} epochs", _rows(config, result, content, metric, folder))
    return result
