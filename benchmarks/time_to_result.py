"""Time to result: `jaxdl train` (digits, MLP 64-256-10, 500 epochs, its defaults) vs the PyTorch script for the same
job (benchmarks/torch_train_digits.py), whole processes, alternating, median of --repeats.

jaxdl runs twice per round: "cold" with an empty compilation-cache folder, "warm" with the folder a previous run
filled. PyTorch runs at 1 thread and at all cores; its best setting is the one compared. Before each round and
after each contestant a fixed calibration workload is timed (jaxdl.bench.Calibration): rounds with a reading more
than 20% slower than the quietest (this run's or --quiet-calibration, the idle machine's) are marked contended, and
the medians are of the quiet rounds. Prints a markdown table, then where jaxdl's seconds went (timing.json's phases,
median per phase, cold and warm), and writes both with the raw times to --out (default
benchmarks/results/time_to_result-<date>.json).

    python benchmarks/time_to_result.py --repeats 3
"""

import argparse
import json
import os
import sys
import tempfile

from jaxdl import bench

HERE = os.path.dirname(os.path.abspath(__file__))


def _phase_table(phases: dict[str, list[dict[str, float]]], quiet: list[int]) -> str:
    """Median seconds per phase of timing.json (see docs/cli.md), for the cold and the warm runs (quiet rounds)."""
    names = ["startup", "data", "init_and_compile", "training", "checkpoints", "outputs", "total"]
    lines = [
        "Where jaxdl train's seconds go (timing.json phases, median of the "
        + ("quiet rounds" if quiet else "rounds, all contended")
        + "; total is the process's own count, the table above times the whole process from outside):",
        "",
        "| phase | " + " | ".join(phases) + " |",
        "|---|" + "---|" * len(phases),
    ]
    for phase in names:
        cells = []
        for runs in phases.values():
            values = [r[phase] for i, r in enumerate(runs) if phase in r and (not quiet or i in quiet)]
            cells.append(f"{bench.median(values):.2f}" if values else "-")
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=500)
    bench.add_record_out(p, "benchmarks/results/time_to_result-<date>.json")
    bench.add_quiet_calibration(p)
    args = p.parse_args()
    info = bench.machine()
    out_file = bench.record_path(p, args, os.path.join(HERE, "results", f"time_to_result-{info['date_utc'][:10]}.json"))
    cores = os.cpu_count() or 1
    times = {"jaxdl cold": [], "jaxdl warm": [], "torch 1 thread": [], f"torch {cores} threads": []}
    accs = {name: [] for name in times}
    phases: dict[str, list[dict[str, float]]] = {"jaxdl cold": [], "jaxdl warm": []}
    calibration = bench.Calibration(reference=args.quiet_calibration)
    with tempfile.TemporaryDirectory(prefix="jaxdl-ttr-") as work:
        warm = os.path.join(work, "warm-cache")
        bench.run_timed(
            [
                sys.executable,
                "-m",
                "jaxdl.cli",
                "train",
                "--epochs",
                str(args.epochs),
                "--out",
                os.path.join(work, "prime"),
            ],
            env={"JAX_COMPILATION_CACHE_DIR": warm},
        )
        for r in range(args.repeats):
            cal = calibration.measure()
            print(f"round {r + 1}: calibration {cal}", file=sys.stderr, flush=True)
            commands = {
                "jaxdl cold": (
                    [sys.executable, "-m", "jaxdl.cli", "train", "--epochs", str(args.epochs)],
                    {"JAX_COMPILATION_CACHE_DIR": os.path.join(work, f"cold-{r}")},
                ),
                "jaxdl warm": (
                    [sys.executable, "-m", "jaxdl.cli", "train", "--epochs", str(args.epochs)],
                    {"JAX_COMPILATION_CACHE_DIR": warm},
                ),
                "torch 1 thread": (
                    [
                        sys.executable,
                        os.path.join(HERE, "torch_train_digits.py"),
                        "--threads",
                        "1",
                        "--epochs",
                        str(args.epochs),
                    ],
                    {},
                ),
                f"torch {cores} threads": (
                    [
                        sys.executable,
                        os.path.join(HERE, "torch_train_digits.py"),
                        "--threads",
                        str(cores),
                        "--epochs",
                        str(args.epochs),
                    ],
                    {},
                ),
            }
            for name, (cmd, env) in commands.items():
                out = os.path.join(work, f"{name.replace(' ', '-')}-{r}")
                wall, stdout = bench.run_timed([*cmd, "--out", out], env={"JAXDL_NO_CACHE": "", **env}, cwd=work)
                times[name].append(round(wall, 3))
                if name.startswith("jaxdl"):
                    with open(os.path.join(out, "metrics.json")) as f:
                        accs[name].append(json.load(f)["history"]["test_acc"][-1])
                    with open(os.path.join(out, "timing.json")) as f:
                        phases[name].append(json.load(f).get("phases", {}))
                else:
                    accs[name].append(bench.last_json(stdout).get("test_acc"))
                print(f"round {r + 1}: {name}: {wall:.2f} s; then {calibration.check()}", file=sys.stderr, flush=True)
    command = f"python benchmarks/time_to_result.py --repeats {args.repeats} --epochs {args.epochs}{calibration.option}"
    scores = {name: min(a for a in values if a is not None) for name, values in accs.items()}
    table, record = bench.against_torch(
        times,
        scores,
        info=info,
        command=command,
        header=f"whole process, median of {args.repeats}",
        score="final test acc",
        calibration=calibration,
    )
    phase_table = _phase_table(phases, [i for i in range(args.repeats) if not calibration.contended(i)])
    print(table)
    print()
    print(phase_table)
    record["phases"] = phases
    record["phase_table"] = phase_table
    bench.save_json(out_file, record)


if __name__ == "__main__":
    main()
