"""What a sweep reports: the runs ranked in a table (printed and runs.csv), and the best run as a command line."""

from __future__ import annotations

import csv
import dataclasses
import math
import os
import shlex
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np

from jaxdl.experiments._config import TrainConfig, saved_fields
from jaxdl.train import ManyResult

SHOWN = 10
"""Rows of the ranked table printed at the end of a sweep (runs.csv holds all)."""


def ranked_rows(result: ManyResult, metric: str) -> list[dict[str, Any]]:
    """One dict per run, best first (:meth:`ManyResult.ranking`): rank, seed, hyperparameters, rung, epochs, score.

    Only ``metric`` (a validation metric when there is one) is in the table: the test score is reported for
    the chosen run alone.
    """
    final = result.final(metric)
    rows = []
    for rank, index in enumerate(result.ranking(metric), start=1):
        value = float(final[index])
        rows.append(
            {
                "rank": rank,
                **result.runs[index],
                "rung": int(result.rung[index]) if result.rung.size else 0,
                "epochs": int(result.epochs[index]),
                metric: value if math.isfinite(value) and not result.diverged[index] else None,
            }
        )
    return rows


def write_rows(path: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write the ranked rows as CSV (a header of their keys; an empty cell for a diverged run's score)."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([{k: "" if v is None else v for k, v in row.items()} for row in rows])


def _cell(value: Any) -> str:
    if value is None:
        return "diverged"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table_lines(rows: Sequence[Mapping[str, Any]], shown: int = SHOWN) -> list[str]:
    """The first ``shown`` rows as aligned plain-text lines under a header.

    >>> rows = [{"rank": 1, "lr": 0.1, "val_acc": 0.95}, {"rank": 2, "lr": 0.01, "val_acc": None}]
    >>> print("\\n".join(table_lines(rows)))
    rank  lr    val_acc
    1     0.1   0.95
    2     0.01  diverged
    """
    names = list(rows[0])
    cells = [[_cell(row[name]) for name in names] for row in rows[:shown]]
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, name in enumerate(names)]
    lines = [
        "  ".join(f"{text:<{w}}" for text, w in zip(line, widths, strict=True)).rstrip() for line in [names, *cells]
    ]
    if len(rows) > shown:
        lines.append(f"... {len(rows) - shown} more in runs.csv")
    return lines


def _flag_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return ",".join(f"{k}={v!r}" for k, v in value.items())
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


def train_command(train: TrainConfig, run: Mapping[str, Any], scheduler_names: Sequence[str]) -> str:
    """The ``jaxdl train`` command line that trains ``run`` (a seed and its hyperparameters) of a sweep of ``train``.

    >>> train_command(TrainConfig(epochs=9, val=0.2), {"seed": 0, "lr": 0.05, "momentum": 0.9}, [])
    'jaxdl train --epochs 9 --lr 0.05 --optimizer-args momentum=0.9 --val 0.2'
    """
    hparams = {k: v for k, v in run.items() if k not in ("seed", "lr")}
    config = dataclasses.replace(
        train,
        lr=run.get("lr", train.lr),
        seed=run["seed"],
        optimizer_args={**train.optimizer_args, **{k: v for k, v in hparams.items() if k not in scheduler_names}},
        scheduler_args={**train.scheduler_args, **{k: v for k, v in hparams.items() if k in scheduler_names}},
    )
    defaults = saved_fields(TrainConfig())
    words = ["jaxdl", "train"]
    for name, value in saved_fields(config).items():
        if value == defaults[name] or value is None:
            continue
        words.append("--" + name.replace("_", "-"))
        if value is not True:
            words.append(_flag_value(value))
    return shlex.join(words)


def best_test_scores(result: ManyResult, index: int) -> dict[str, float]:
    """The test metrics of run ``index`` for the state it returns (the chosen run's, to report)."""
    return {k: float(result.final(k)[index]) for k in result.history if k.startswith("test_")}


def finals_by_value(result: ManyResult, metric: str, name: str) -> list[tuple[float, np.ndarray]]:
    """``(value, final metrics of the runs with that value)`` for each value of ``name``, in order."""
    final = result.final(metric)
    values = sorted({run[name] for run in result.runs})
    return [(v, final[[i for i, run in enumerate(result.runs) if run[name] == v]]) for v in values]


def write_tensorboard(folder: str, result: ManyResult, metric: str) -> None:
    """One TensorBoard run per sweep run in ``folder`` (``run-<index>``): its curves (the epochs it trained, tagged by
    history key) and its hparams record (its seed and hyperparameters against ``metric``, the rung and the epochs),
    for TensorBoard's HPARAMS tab."""
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams

    final = result.final(metric)
    for index, run in enumerate(result.runs):
        epochs = int(result.epochs[index])
        with SummaryWriter(logdir=os.path.join(folder, f"run-{index}")) as writer:
            for key, values in result.history.items():
                for epoch, value in enumerate(np.asarray(values)[index, :epochs], start=1):
                    writer.add_scalar(key, float(value), epoch)
            scores = {f"hparam/{metric}": float(final[index]), "hparam/rung": int(result.rung[index])}
            scores["hparam/epochs"] = epochs
            events = cast(Any, writer.file_writer)  # open: the scalars above were written through it
            for summary in hparams(dict(run), scores):  # the experiment, session start and end records
                events.add_summary(summary)
            for tag, value in scores.items():
                writer.add_scalar(tag, value, epochs)
