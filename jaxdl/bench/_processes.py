"""Whole processes, timed: what a user waits for from pressing Enter to the prompt coming back."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence


def run_timed(
    cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None, timeout: float = 3600
) -> tuple[float, str]:
    """Run ``cmd`` to completion; return (wall seconds, its stdout). A failing command raises with its stderr tail."""
    full_env = {**os.environ, **(env or {})}
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return wall, proc.stdout


def last_json(stdout: str) -> dict:
    """The JSON object on the last line of ``stdout`` that holds one ({} when none does)."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def machine() -> dict:
    """The machine and the moment: CPU model, cores, load average, UTC date, Python/JAX/torch versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {}
    for name in ("jax", "torch"):
        try:
            versions[name] = subprocess.run(
                [sys.executable, "-c", f"import {name}; print({name}.__version__)"],
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            versions[name] = "unavailable"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        **versions,
    }


def machine_line(info: Mapping) -> str:
    """One line for a results table: ``cpu, N cores, load L, date, versions``."""
    return (
        f"{info['cpu']}, {info['cores']} cores, 1-min load average {info['load_average_1m']} at start, "
        f"{info['date_utc']} UTC, Python {info['python']}, JAX {info['jax']}, torch {info['torch']}"
    )


def against_torch(
    times: Mapping[str, Sequence[float]],
    scores: Mapping[str, float],
    *,
    info: Mapping,
    command: str,
    header: str,
    score: str,
) -> tuple[str, dict]:
    """Medians of ``times`` against the fastest contestant whose name starts with ``torch``.

    Returns:
      A markdown table (machine line, command, a row per contestant: median, all runs, its
      ``score`` column from ``scores``, and the speed-up over PyTorch's best) and the record to save.
    """
    med = {name: median(v) for name, v in times.items()}
    torch_best = min((n for n in med if n.startswith("torch")), key=lambda n: med[n])
    lines = [
        f"Machine: {machine_line(info)}",
        f"Command: {command}",
        "",
        f"| {header} | seconds | all runs | {score} | vs {torch_best} |",
        "|---|---|---|---|---|",
    ]
    for name, value in med.items():
        lines.append(
            f"| {name} | {value:.2f} | {', '.join(f'{t:.2f}' for t in times[name])} | "
            f"{scores[name]:.4f} | {med[torch_best] / value:.2f}x |"
        )
    table = "\n".join(lines)
    return table, {
        "machine": dict(info),
        "times_s": dict(times),
        "median_s": med,
        score: dict(scores),
        "torch_best": torch_best,
        "table": table,
    }


def save_json(path: str, record: Mapping) -> None:
    """Write ``record`` to ``path`` (its folder created), indented."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
