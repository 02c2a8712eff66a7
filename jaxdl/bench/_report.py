"""Turn measurements into ratios, target verdicts, and ``results.json``, ``results.md`` and ``scaling.png``.

Ratios are throughput ratios: images/s of a row (summed over its N models) divided by the
images/s of contestant 1 (or 2) on the same workload at the same precision. For N = 1 that
is the inverse ratio of the epoch times.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from jaxdl.bench._measure import CONTESTANTS, MULTI_MODEL, Measurement

QUICK_VERDICT = (
    "a --quick run times epochs of 3 optimizer steps, too short to judge a speed-up; "
    "the targets are judged by a run without --quick."
)


def find(
    rows: Sequence[Measurement], contestant: int, workload: str, precision: str, models: int = 1
) -> Measurement | None:
    """The timed row of ``contestant`` with ``models`` models, or None if it is missing or failed."""
    for row in rows:
        if (row.contestant, row.workload, row.precision, row.models) == (
            contestant,
            workload,
            precision,
            models,
        ) and row.ok:
            return row
    return None


def speedup(row: Measurement, base: Measurement | None) -> float | None:
    """images/s of ``row`` over images/s of ``base`` (None when either did not run)."""
    if base is None or not row.ok:
        return None
    return row.images_per_s / base.images_per_s


def _target(
    text: str, precision: str, value: float | None, threshold: float, *, at_most: bool = False, unit: str = "×"
) -> dict:
    met = None if value is None else (value <= threshold if at_most else value >= threshold)
    shown = "not measured" if value is None else f"{value:.3g}{unit}"
    return {"target": text, "precision": precision, "value": value, "shown": shown, "met": met}


def _ratio(a: Measurement | None, b: Measurement | None) -> float | None:
    return None if a is None or b is None else a.images_per_s / b.images_per_s


def targets(rows: Sequence[Measurement], device: str, precisions: Sequence[str]) -> list[dict]:
    """jaxdl's performance targets for ``device``, each with its value and whether it is met.

    CPU: ``fit`` ≥ 10× contestant 1 and ≥ 1× contestant 2 on the MLP; 8 vmapped MLPs
    ≥ 1.4× the images/s of 8 sequential fits, over seeds (7 vs 8) and over learning rates
    (9 vs 10). GPU (stated for an H100): ``fit`` ≤ 5 ms per MLP epoch; ≥ 100× c1, ≥ 5× c2,
    ≥ 1.5× c3; 256 vmapped MLPs ≤ 4× the epoch time of one fit.
    A target whose rows were not measured has ``met`` None.
    """
    out = []
    for p in precisions:
        fit = find(rows, 6, "mlp", p)
        c = {k: find(rows, k, "mlp", p) for k in (1, 2, 3)}
        if device == "cpu":
            out += [
                _target("MLP: jaxdl fit ≥ 10× contestant 1 (course loop)", p, _ratio(fit, c[1]), 10),
                _target("MLP: jaxdl fit ≥ 1.0× contestant 2 (torch eager, data on device)", p, _ratio(fit, c[2]), 1.0),
                _target(
                    "8 MLPs, 8 seeds: fit_many ≥ 1.4× the images/s of 8 sequential fits",
                    p,
                    _ratio(find(rows, 7, "mlp", p, 8), find(rows, 8, "mlp", p, 8)),
                    1.4,
                ),
                _target(
                    "8 MLPs, 8 learning rates: fit_many ≥ 1.4× the images/s of 8 sequential fits",
                    p,
                    _ratio(find(rows, 9, "mlp", p, 8), find(rows, 10, "mlp", p, 8)),
                    1.4,
                ),
            ]
        else:
            many = find(rows, 7, "mlp", p, 256)
            out += [
                _target(
                    "MLP: jaxdl fit ≤ 5 ms per epoch (batch 256; epoch includes test evaluation)",
                    p,
                    None if fit is None else fit.steady_s * 1e3,
                    5,
                    at_most=True,
                    unit=" ms",
                ),
                _target("MLP: jaxdl fit ≥ 100× contestant 1", p, _ratio(fit, c[1]), 100),
                _target("MLP: jaxdl fit ≥ 5× contestant 2", p, _ratio(fit, c[2]), 5),
                _target("MLP: jaxdl fit ≥ 1.5× contestant 3 (torch.compile)", p, _ratio(fit, c[3]), 1.5),
                _target(
                    "256 MLPs: fit_many epoch ≤ 4× the epoch of one jaxdl fit",
                    p,
                    None if many is None or fit is None else many.steady_s / fit.steady_s,
                    4,
                    at_most=True,
                ),
            ]
    return out


def row_json(row: Measurement, rows: Sequence[Measurement]) -> dict:
    """``row.to_json()`` plus ``speedup_vs_1`` and ``speedup_vs_2``."""
    out = row.to_json()
    for k in (1, 2):
        out[f"speedup_vs_{k}"] = speedup(row, find(rows, k, row.workload, row.precision))
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def results_table(rows: Sequence[Measurement]) -> list[str]:
    """Markdown lines of the main table, one line per row (a failed row says why)."""
    lines = [
        "| precision | workload | # | contestant | N | steps/epoch | warm-up s | epoch s (median) | whole run s "
        "| images/s | vs 1 | vs 2 | test acc |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        head = f"| {r.precision} | {r.workload} | {r.contestant} | {CONTESTANTS[r.contestant]} | {r.models}"
        if not r.ok:
            lines.append(f"{head} | – | failed: {r.error} | – | – | – | – | – | – |")
            continue
        v1, v2 = (speedup(r, find(rows, k, r.workload, r.precision)) for k in (1, 2))
        lines.append(
            f"{head} | {r.steps_per_epoch} | {r.warmup_s:.3g} | {r.steady_s:.3g} | {sum(r.epoch_times):.3g} "
            f"| {r.images_per_s:,.0f} "
            f"| {_fmt(v1, '.2f')}× | {_fmt(v2, '.2f')}× | {r.test_acc:.3f} |"
        )
    return lines


SCALING_SERIES = {
    7: ("jaxdl fit_many, N seeds", "o-"),
    9: ("jaxdl fit_many, N learning rates", "D-"),
    4: ("torch.func vmap", "s-"),
    8: ("N sequential jaxdl fits, N seeds (measured)", "^-"),
    10: ("N sequential jaxdl fits, N learning rates (measured)", "v-"),
}
"""Contestant -> (label, line style) of the scaling table's columns and the figure's lines."""


def scaling_table(rows: Sequence[Measurement], workload: str, precision: str) -> list[str]:
    """Markdown lines: seconds per epoch vs N for fit_many, torch.func and sequential fits."""
    counts = sorted(
        {r.models for r in rows if r.workload == workload and r.precision == precision and r.contestant in MULTI_MODEL}
    )
    labels = [label for label, _ in SCALING_SERIES.values()]
    lines = [
        f"**{workload}, {precision}** — seconds per epoch for all N models together",
        "",
        "| N | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for n in counts:
        cells = [
            "not measured" if (row := find(rows, k, workload, precision, n)) is None else f"{row.steady_s:.3g}"
            for k in SCALING_SERIES
        ]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def markdown(
    meta: dict, rows: Sequence[Measurement], verdicts: Sequence[dict] | None, scaling: Sequence[tuple[str, str]]
) -> str:
    """The whole ``results.md``; ``verdicts`` None (a ``--quick`` run) says that no target was judged."""
    lines = [
        f"# jaxdl vs PyTorch — {meta['device_name']}",
        "",
        f"- Date: {meta['date']}",
        f"- Device: {meta['device_name']}",
        f"- Data: {meta['data_source']}",
        "- Precision: " + "; ".join(f"**{k}**: {v}" for k, v in meta["precisions"].items()),
        f"- Software: {meta['software']}",
        f"- Command: `{meta['command']}`",
        f"- Protocol: {meta['protocol']}",
        "- Workloads: " + "; ".join(f"**{k}**: {v}" for k, v in meta["workloads"].items()),
        "",
        "## Results",
        "",
        "Warm-up = first epoch (includes compilation). Epoch = median of the timed epochs after it. "
        "Whole run = warm-up plus every timed epoch. "
        "images/s counts all N models. "
        "vs 1 / vs 2 = images/s over contestant 1 / 2 on the same workload and precision.",
        "",
        *results_table(rows),
        "",
        "## Targets",
        "",
    ]
    if verdicts is None:
        lines.append(f"Not judged: {QUICK_VERDICT}")
    else:
        lines += ["| target | precision | value | met |", "|---|---|---|---|"]
    for v in verdicts or ():
        met = "not measured" if v["met"] is None else ("met" if v["met"] else "not met")
        lines.append(f"| {v['target']} | {v['precision']} | {v['shown']} | {met} |")
    lines += ["", "## Scaling with the number of models", ""]
    for workload, precision in scaling:
        lines += [*scaling_table(rows, workload, precision), ""]
    lines += [
        "Sequential fits are shown only where they were run (each fit timed); nothing is extrapolated.",
        "",
        "![time per epoch vs number of models](scaling.png)",
        "",
    ]
    return "\n".join(lines)


def scaling_figure(rows: Sequence[Measurement], scaling: Sequence[tuple[str, str]]) -> Figure:
    """Seconds per epoch vs N (log-log), one panel per (workload, precision).

    Solid lines are measured. A dotted line, labelled as extrapolated, continues N × one
    sequential fit past the largest N that was measured.
    """
    fig = Figure(figsize=(6 * max(len(scaling), 1), 4.5), layout="constrained")
    axes = fig.subplots(1, max(len(scaling), 1), squeeze=False)[0]
    for ax, (workload, precision) in zip(axes, scaling, strict=False):
        all_n = sorted(
            {
                r.models
                for r in rows
                if r.workload == workload and r.precision == precision and r.contestant in MULTI_MODEL
            }
        )
        for k, (label, style) in SCALING_SERIES.items():
            points = [(n, row.steady_s) for n in all_n if (row := find(rows, k, workload, precision, n))]
            if points:
                ax.plot(*zip(*points, strict=True), style, label=label)
        one = find(rows, 8, workload, precision, 1)
        measured = [n for n in all_n if find(rows, 8, workload, precision, n)]
        beyond = [n for n in all_n if measured and n >= max(measured)]
        if one is not None and len(beyond) > 1:
            ax.plot(
                beyond,
                [n * one.steady_s for n in beyond],
                ":",
                color="gray",
                label="N × one fit (extrapolated, not measured)",
            )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="number of models N",
            ylabel="seconds per epoch",
            title=f"{workload}, {precision}",
        )
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks(all_n, [str(n) for n in all_n])
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    return fig


@dataclasses.dataclass
class Results:
    """One benchmark run: its settings and environment (``meta``), its rows and target verdicts.

    ``targets`` is None for a ``--quick`` run (no verdicts from 3-step epochs). ``scaling`` lists the
    ``(workload, precision)`` pairs that get a scaling table and panel.
    """

    meta: dict
    rows: list[Measurement]
    targets: list[dict] | None
    scaling: list[tuple[str, str]]

    def to_json(self) -> dict:
        """The contents of ``results.json``: ``meta``, every row with its speed-ups, the targets."""
        return {"meta": self.meta, "rows": [row_json(r, self.rows) for r in self.rows], "targets": self.targets}

    def markdown(self) -> str:
        """The contents of ``results.md``."""
        return markdown(self.meta, self.rows, self.targets, self.scaling)

    def figure(self) -> Figure:
        """The figure of ``scaling.png``: seconds per epoch vs N."""
        return scaling_figure(self.rows, self.scaling)
