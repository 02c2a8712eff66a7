"""``one_vs_rest``: one-vs-rest logistic regression, one binary classifier per class, trained at once."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any, ClassVar

from jaxdl import _readers as read
from jaxdl import _signals, data, optim
from jaxdl.callbacks import ProgressBar
from jaxdl.experiments import _rundir
from jaxdl.experiments._config import TrainConfig, check_optimizer_flag, option, same_option, saved_fields
from jaxdl.experiments._outputs import finite_or_none, write_json
from jaxdl.experiments._summary import summary_table
from jaxdl.train import OneVsRestResult, fit_one_vs_rest


@dataclasses.dataclass(frozen=True, kw_only=True)
class OneVsRestConfig:
    """What ``jaxdl ovr`` trains: one ``LogisticRegression`` per class with ``BCELoss(reduction="sum")``.

    >>> OneVsRestConfig(epochs=3).to_dict()["lr"]
    0.01
    """

    default_out: ClassVar[str] = os.path.join("runs", "ovr")

    dataset: str = option("digits", f"a classification dataset: {', '.join(data.LOADERS[:3])} (default digits)")
    data_dir: str | None = same_option(TrainConfig, "data_dir")
    optimizer: str = same_option(TrainConfig, "optimizer")
    lr: float = option(0.01, "learning rate (default 0.01, for the summed loss)", parse=read.positive_float)
    epochs: int = option(50, "epochs (default 50)", parse=read.positive_int)
    batch_size: int = option(64, "batch size (default 64)", parse=read.positive_int)
    seed: int = option(0, "seed for the inits and the shuffling", parse=read.seed)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON values, sorted by name: the ``config`` of metrics.json."""
        return saved_fields(self)


def one_vs_rest(
    config: OneVsRestConfig, out: str | os.PathLike | None = None, *, overwrite: bool = False, verbose: int = 1
) -> OneVsRestResult:
    """Train the C classifiers as ``jaxdl ovr`` does, then write metrics.json into the run folder.

    The folder follows :func:`claim_run_folder`'s policy (``out=None``: the next free ``runs/ovr``).
    Ctrl-C and SIGTERM stop it with nothing written.

    Args:
      config: what to train.
      out: the run folder; None for the next free ``runs/ovr``.
      overwrite: replace the run already in ``out``.
      verbose: 1 prints the run folder, progress and a summary table on stdout; 0 nothing.

    Returns:
      ``fit_one_vs_rest``'s :class:`~jaxdl.train.OneVsRestResult`.
    """
    with _signals.terminate_as_interrupt():
        try:
            return _one_vs_rest(config, out, overwrite, verbose)
        except KeyboardInterrupt as stop:
            stop.args = (f"{_signals.stopped_by(stop)}; nothing was written (ovr writes its files when it ends).",)
            raise


def _one_vs_rest(config: OneVsRestConfig, out: str | os.PathLike | None, overwrite: bool, verbose: int) -> Any:
    check_optimizer_flag(config.optimizer)
    ds = data.load(config.dataset, data_dir=config.data_dir, seed=config.seed)
    optimizer = optim.by_name(config.optimizer, lr=config.lr)
    claim = _rundir.claim_run_folder(out, kind="ovr", default=OneVsRestConfig.default_out, overwrite=overwrite)
    with claim as folder:
        if verbose:
            print(f"jaxdl ovr: run folder {folder}", flush=True)
        result = fit_one_vs_rest(
            ds,
            optimizer=optimizer,
            epochs=config.epochs,
            batch_size=config.batch_size,
            seed=config.seed,
            callbacks=[ProgressBar(file=sys.stdout, label=f"one-vs-rest on {ds.name}")] if verbose else [],
            verbose=0,
        )
        names = result.class_names
        content = {
            "config": config.to_dict(),
            "test_acc": result.test_acc,
            "class_acc": dict(zip(names, finite_or_none(result.class_acc), strict=True)),
            "binary_acc": dict(zip(names, finite_or_none(result.binary_acc), strict=True)),
            "history": {
                k: {name: finite_or_none(v[c]) for c, name in enumerate(names)} for k, v in result.history.items()
            },
        }
        with _signals.held(deliver=False), _rundir.staged(folder, replace=overwrite) as stage:
            write_json(os.path.join(stage, "metrics.json"), content)
    if verbose:
        rows = [(f"class {name}", f"{acc:.4f}") for name, acc in zip(names, result.class_acc, strict=True)]
        rows += [("test accuracy (argmax)", f"{result.test_acc:.4f}"), ("outputs", folder)]
        summary_table(f"jaxdl ovr: {ds.num_classes} logistic regressions on {ds.name}, {config.epochs} epochs", rows)
    return result
