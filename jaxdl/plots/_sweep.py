"""A hyperparameter sweep at a glance: final metric vs the swept value, and learning curves per value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from jaxdl.errors import unknown
from jaxdl.plots._figure import new_figure


class SweepResult(Protocol):
    """What ``plot_sweep`` reads, e.g. a ``jaxdl.train.ManyResult``: ``history[key]`` (N, epochs) and ``runs``."""

    @property
    def history(self) -> Mapping[str, np.ndarray]: ...

    @property
    def runs(self) -> list[dict[str, Any]]: ...


def _groups(runs: list[dict[str, Any]], param: str) -> dict[tuple, dict[float, list[int]]]:
    """Run indices by (the other hyperparameters) then by the value of ``param``; seeds pooled."""
    groups: dict[tuple, dict[float, list[int]]] = {}
    for i, run in enumerate(runs):
        others = tuple((k, v) for k, v in run.items() if k not in (param, "seed"))
        groups.setdefault(others, {}).setdefault(run[param], []).append(i)
    return groups


def plot_sweep(
    result: SweepResult, *, param: str = "lr", metric: str | None = None, title: str | None = None
) -> Figure:
    """Left: the final ``metric`` of every run vs ``param`` (mean line, min–max bar over seeds).

    Right: ``metric`` per epoch, the mean over seeds for each value of ``param`` with the
    min–max band. Runs that differ in other hyperparameters get separate lines.

    Args:
      result: a :class:`jaxdl.train.ManyResult` (``history[key]`` of shape (N, epochs), ``runs``).
      param: the swept hyperparameter on the x axis (log scale when its values span 10× or more).
      metric: a history key; defaults to ``test_acc``, or ``test_loss`` for regressors.

    >>> import optax
    >>> from jaxdl import data, models, train
    >>> r = train.fit_many(models.SoftmaxRegression(10), data.load("digits"), optimizer=lambda lr: optax.sgd(lr),
    ...                    hparams={"lr": [0.01, 0.1]}, seeds=[0, 1], epochs=2, batch_size=64)
    >>> len(plot_sweep(r).axes)
    2
    """
    metric = metric or ("test_acc" if "test_acc" in result.history else "test_loss")
    if metric not in result.history:
        raise unknown("metric", metric, result.history, where="plot_sweep")
    names = [k for k in result.runs[0] if k != "seed"]
    if param not in names:
        raise unknown("hyperparameter", param, names, where="plot_sweep")
    values = np.asarray(result.history[metric], dtype=np.float64)
    groups = _groups(result.runs, param)
    all_values = sorted({run[param] for run in result.runs})
    colors = colormaps["viridis"](np.linspace(0.0, 0.9, len(all_values)))
    color_of = dict(zip(all_values, colors, strict=True))
    fig = new_figure(figsize=(10, 3.8), layout="constrained")
    final_ax, curve_ax = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    epochs = np.arange(1, values.shape[1] + 1)
    for others, by_value in groups.items():
        label = ", ".join(f"{k}={v:g}" for k, v in others)
        xs = sorted(by_value)
        finals = [values[by_value[x], -1] for x in xs]
        mean = np.array([np.nanmean(f) if np.isfinite(f).any() else np.nan for f in finals])
        low = np.array([np.nanmin(f) if np.isfinite(f).any() else np.nan for f in finals])
        high = np.array([np.nanmax(f) if np.isfinite(f).any() else np.nan for f in finals])
        line = final_ax.errorbar(
            xs,
            mean,
            yerr=[mean - low, high - mean],
            marker="o",
            capsize=3,
            label=label or f"mean, min–max over {len(by_value[xs[0]])} seeds",
        )
        for x, f in zip(xs, finals, strict=True):
            final_ax.plot([x] * len(f), f, ".", color=line[0].get_color(), alpha=0.35)
        for x in xs:
            runs = values[by_value[x]]
            name = f"{param}={x:g}" + (f", {label}" if label else "")
            curve_ax.plot(epochs, np.nanmean(runs, axis=0), color=color_of[x], label=name)
            curve_ax.fill_between(
                epochs, np.nanmin(runs, axis=0), np.nanmax(runs, axis=0), color=color_of[x], alpha=0.2
            )
    positive = all(v > 0 for v in all_values)
    if positive and max(all_values) / min(all_values) >= 10:
        final_ax.set_xscale("log")
    final_ax.set_xlabel(param)
    final_ax.set_ylabel(f"final {metric}")
    curve_ax.set_xlabel("epoch")
    curve_ax.set_ylabel(metric)
    for ax in (final_ax, curve_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


class SearchResult(SweepResult, Protocol):
    """What ``plot_search`` reads, e.g. a ``jaxdl.train.ManyResult``: also each run's rung, final values and ranking."""

    @property
    def rung(self) -> np.ndarray: ...

    def final(self, metric: str) -> np.ndarray: ...

    def ranking(self, metric: str | None = None) -> np.ndarray: ...


def plot_search(result: SearchResult, *, metric: str | None = None, top: int = 5, title: str | None = None) -> Figure:
    """One panel per hyperparameter: each run's final ``metric`` against its value, coloured by the rung it reached;
    and a last panel with the learning curves of the ``top`` runs.

    Args:
      result: a :class:`jaxdl.train.ManyResult` (of a search: ``runs`` with several hyperparameters, ``rung``).
      metric: a history key; default ``val_acc`` (``val_loss``), or the test's without validation data.
      top: the learning curves drawn: the best runs by ``result.ranking(metric)``.
      title: the figure's title.

    Hyperparameters whose values span 10× or more get a log axis; diverged runs are left out of the panels.

    >>> import optax
    >>> from jaxdl import data, models, train
    >>> r = train.fit_many(models.SoftmaxRegression(10), data.load("digits"), epochs=2, batch_size=64,
    ...                    optimizer=lambda lr, momentum: optax.sgd(lr, momentum), validation_split=0.2,
    ...                    hparams={"lr": [0.01, 0.1], "momentum": [0.0, 0.9]}, verbose=0)
    >>> [ax.get_xlabel() for ax in plot_search(r).axes]
    ['lr', 'momentum', 'epoch']
    """
    keys = [k for k in ("val_acc", "val_loss", "test_acc", "test_loss") if k in result.history]
    metric = metric or keys[0]
    if metric not in result.history:
        raise unknown("metric", metric, result.history, where="plot_search")
    names = [k for k in result.runs[0] if k != "seed"] or ["seed"]
    final = result.final(metric)
    rungs = result.rung if result.rung.size else np.zeros(len(result.runs), np.int64)
    fig = new_figure(figsize=(3.6 * (len(names) + 1), 3.6), layout="constrained")
    axes = [fig.add_subplot(1, len(names) + 1, i + 1) for i in range(len(names) + 1)]
    colors = colormaps["viridis"](np.linspace(0.0, 0.9, int(rungs.max()) + 1))
    for ax, name in zip(axes, names, strict=False):
        values = np.array([run[name] for run in result.runs], dtype=np.float64)
        for r, color in enumerate(colors):
            at = rungs == r
            ax.scatter(values[at], final[at], s=18, color=color, label=f"rung {r}" if len(colors) > 1 else None)
        if values.min() > 0 and values.max() / values.min() >= 10:
            ax.set_xscale("log")
        ax.set_xlabel(name)
        ax.set_ylabel(f"{metric} at its last epoch")
        ax.grid(alpha=0.3)
    if len(colors) > 1:
        axes[0].legend(fontsize="small")
    curves = axes[-1]
    values = np.asarray(result.history[metric], dtype=np.float64)
    epochs = np.arange(1, values.shape[1] + 1)
    for index in result.ranking(metric)[:top]:
        run = result.runs[int(index)]
        label = ", ".join(f"{k}={v:.3g}" for k, v in run.items() if k != "seed")
        curves.plot(epochs, values[index], label=label or f"seed {run['seed']}")
    curves.set_xlabel("epoch")
    curves.set_ylabel(metric)
    curves.set_title(f"top {min(top, len(result.runs))} runs", fontsize="medium")
    curves.grid(alpha=0.3)
    curves.legend(fontsize="x-small")
    if title:
        fig.suptitle(title)
    return fig
