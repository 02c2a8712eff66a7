"""Whole processes, timed: what a user waits for from pressing Enter to the prompt coming back."""

from __future__ import annotations

import argparse
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


CONTENDED = 1.2
"""A round whose calibration ran this many times slower than the quietest of the run was measured contended."""


def calibrate() -> dict[str, float]:
    """A fixed workload timed now: a NumPy float32 512×512 matmul done 10 times and a pure-Python loop of 10⁶
    additions (best of 3 each, seconds), and the 1-minute load average. Contention slows the Python loop (as it
    slows PyTorch's per-op dispatch) more than the matmul (as it slows a compiled program)."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((512, 512), dtype=np.float32)
    out = np.empty_like(a)

    def matmul() -> None:
        for _ in range(10):
            np.matmul(a, a, out=out)

    def loop() -> None:
        total = 0
        for i in range(1_000_000):
            total += i

    def best(fn) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return round(min(times), 4)

    return {"matmul_s": best(matmul), "python_s": best(loop), "load_1m": round(os.getloadavg()[0], 2)}


class Calibration:
    """The calibrations of one benchmark run, taken before each round and after each contestant in it, against
    the quietest seen: a round is as contended as its slowest reading, so contention that starts in the middle
    of a round (after a quiet calibration before it) still marks the round.

    >>> c = Calibration([{"matmul_s": 0.1, "python_s": 0.05, "load_1m": 0.1},
    ...                  {"matmul_s": 0.1, "python_s": 0.08, "load_1m": 2.3}])
    >>> c.contended(0), c.contended(1), round(c.slowdown(1), 2)
    (False, True, 1.6)
    """

    def __init__(
        self, rounds: Sequence[Mapping[str, float]] = (), *, reference: Mapping[str, float] | None = None
    ) -> None:
        self.readings: list[list[dict[str, float]]] = [[dict(r)] for r in rounds]
        """Each round's readings, in the order taken (the first before the round)."""
        self.reference = None if reference is None else {k: float(reference[k]) for k in ("matmul_s", "python_s")}

    @property
    def option(self) -> str:
        """The ``--quiet-calibration`` option that gave ``reference``, with a leading space ('' without one), for
        the command a record prints.

        >>> Calibration(reference={"matmul_s": 0.017, "python_s": 0.037}).option
        ' --quiet-calibration 17,37'
        """
        if self.reference is None:
            return ""
        return f" --quiet-calibration {self.reference['matmul_s'] * 1e3:g},{self.reference['python_s'] * 1e3:g}"

    @property
    def rounds(self) -> list[dict[str, float]]:
        """Each round's slowest reading: the largest matmul and Python-loop seconds and load average in it."""
        return [{k: max(r[k] for r in readings) for k in readings[0]} for readings in self.readings]

    def measure(self) -> dict[str, float]:
        """Calibrate now (:func:`calibrate`) to start the next round; returns the reading."""
        self.readings.append([calibrate()])
        return self.readings[-1][0]

    def check(self) -> dict[str, float]:
        """Calibrate again within the current round (after a contestant); returns the reading."""
        self.readings[-1].append(calibrate())
        return self.readings[-1][-1]

    def quiet(self) -> dict[str, float]:
        """The fastest matmul and Python-loop seconds read in this run or in the machine's ``reference``."""
        seen = [r for readings in self.readings for r in readings] + ([self.reference] if self.reference else [])
        return {k: min(r[k] for r in seen) for k in ("matmul_s", "python_s")}

    def slowdown(self, i: int) -> float:
        """How many times slower round ``i``'s slowest reading ran than the quiet one (the worse of the two)."""
        quiet = self.quiet()
        return max(self.rounds[i][k] / quiet[k] for k in quiet)

    def contended(self, i: int) -> bool:
        """Round ``i`` was measured while the machine was more than 20% slower than its quiet calibration."""
        return self.slowdown(i) > CONTENDED

    def lines(self) -> list[str]:
        """What the table says about the calibration: the quiet figures, the contended rounds, and the rule."""
        quiet = self.quiet()
        contended = [i for i in range(len(self.rounds)) if self.contended(i)]
        rounds = ", ".join(
            f"{i + 1}: {self.slowdown(i):.2f}x, load {self.rounds[i]['load_1m']}" for i in range(len(self.rounds))
        )
        lines = [
            f"Calibration before each round and after each contestant (NumPy 512² matmul x10, 10⁶-addition "
            f"Python loop; a round counts its slowest reading): quiet "
            f"{quiet['matmul_s'] * 1e3:.0f} ms and {quiet['python_s'] * 1e3:.0f} ms"
            + (" (the fastest of this run and the machine's idle reference)" if self.reference is not None else "")
            + f"; per round: {rounds}.",
        ]
        if contended:
            marked = ", ".join(str(i + 1) for i in contended)
            lines.append(
                f"CONTENDED: round(s) {marked} ran more than {CONTENDED - 1:.0%} slower than the quiet calibration "
                "(times marked *): their figures are not measurements of any target."
            )
        if len(contended) == len(self.rounds):
            lines.append("EVERY ROUND WAS CONTENDED: no target is met or missed by these figures.")
        cores = os.cpu_count() or 1
        if max(r["load_1m"] for r in self.rounds) > cores:
            lines.append(
                f"The 1-minute load average exceeded the {cores} cores: other work shared the machine; "
                "even the quiet calibration may be contended."
            )
        return lines


def _quiet_reference(text: str) -> dict[str, float]:
    """``--quiet-calibration MATMUL_MS,PYTHON_MS``: the machine's calibration when idle, in milliseconds.

    >>> _quiet_reference("17,37")
    {'matmul_s': 0.017, 'python_s': 0.037}
    """
    parts = text.split(",")
    try:
        values = [float(v) for v in parts]
    except ValueError:
        values = []
    if len(values) != 2 or min(values) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected two positive milliseconds MATMUL_MS,PYTHON_MS (what jaxdl.bench.calibrate() gives on the "
            f"idle machine, e.g. 17,37), got {text!r}"
        )
    return {"matmul_s": values[0] / 1e3, "python_s": values[1] / 1e3}


def add_quiet_calibration(parser: argparse.ArgumentParser) -> None:
    """Give a benchmark script ``--quiet-calibration MATMUL_MS,PYTHON_MS`` (``args.quiet_calibration``: a dict of
    seconds, or None), for ``Calibration(reference=args.quiet_calibration)``."""
    parser.add_argument(
        "--quiet-calibration",
        type=_quiet_reference,
        default=None,
        metavar="MATMUL_MS,PYTHON_MS",
        help="this machine's calibration when idle (jaxdl.bench.calibrate() on the idle machine, e.g. 17,37): a "
        "round more than 20%% slower than it is contended even when every round of the run is equally slow",
    )


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
    calibration: Calibration | None = None,
) -> tuple[str, dict]:
    """Medians of ``times`` against the fastest contestant whose name starts with ``torch``.

    With a ``calibration`` (one per round; ``times[name][i]`` is round ``i``'s), the medians and ratios
    are of the quiet rounds when there are any, the contended ones are marked ``*``, and the table says
    which figures are contended (:meth:`Calibration.lines`).

    Returns:
      A markdown table (machine line, command, a row per contestant: median, all runs, its
      ``score`` column from ``scores``, and the speed-up over PyTorch's best) and the record to save.
    """
    rounds = len(next(iter(times.values()), []))
    contended = [calibration is not None and calibration.contended(i) for i in range(rounds)]
    quiet_rounds = [i for i in range(rounds) if not contended[i]] or list(range(rounds))
    med = {name: median([v[i] for i in quiet_rounds if i < len(v)] or list(v)) for name, v in times.items()}
    torch_best = min((n for n in med if n.startswith("torch")), key=lambda n: med[n])
    which = "quiet rounds" if calibration is not None and len(quiet_rounds) < rounds else "all rounds"
    lines = [
        f"Machine: {machine_line(info)}",
        f"Command: {command}",
        *(calibration.lines() if calibration is not None else []),
        "",
        f"| {header} | seconds (median, {which}) | all runs | {score} | vs {torch_best} |",
        "|---|---|---|---|---|",
    ]
    for name, value in med.items():
        runs = ", ".join(f"{t:.2f}{'*' if i < rounds and contended[i] else ''}" for i, t in enumerate(times[name]))
        lines.append(f"| {name} | {value:.2f} | {runs} | {scores[name]:.4f} | {med[torch_best] / value:.2f}x |")
    table = "\n".join(lines)
    return table, {
        "machine": dict(info),
        "times_s": dict(times),
        "median_s": med,
        score: dict(scores),
        "torch_best": torch_best,
        "calibration": None if calibration is None else calibration.rounds,
        "calibration_readings": None if calibration is None else calibration.readings,
        "quiet_reference": None if calibration is None else calibration.reference,
        "contended_rounds": [i + 1 for i in range(rounds) if contended[i]],
        "table": table,
    }


def add_record_out(parser: argparse.ArgumentParser, default: str) -> None:
    """Give a benchmark script ``--out FILE`` and ``--overwrite`` for its JSON record; ``default`` names the file
    written without ``--out`` (e.g. ``benchmarks/results/sweep_digits-<date>.json``). See :func:`record_path`."""
    parser.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help=f"the record's file (default {default}, numbered -2, -3, ... when an earlier run of the day wrote it)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace the record already in --out")


def record_path(parser: argparse.ArgumentParser, args: argparse.Namespace, default: str) -> str:
    """Where the record goes, decided before anything is measured, so no run replaces an earlier one's record.

    ``--out`` as given; a file already there stops the script with one line (``parser.error``) unless
    ``--overwrite``. Without ``--out``, ``default`` (a path ending in ``.json``), or the first of ``-2``, ``-3``,
    ... that no earlier run wrote.
    """
    if args.out is not None:
        if os.path.exists(args.out) and not args.overwrite:
            parser.error(f"--out {args.out!r} holds a record already: name another file, or add --overwrite.")
        return args.out
    stem, path, n = default[: -len(".json")], default, 1
    while os.path.exists(path):
        n += 1
        path = f"{stem}-{n}.json"
    return path


def save_json(path: str, record: Mapping) -> None:
    """Write ``record`` to ``path`` (its folder created), indented."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
