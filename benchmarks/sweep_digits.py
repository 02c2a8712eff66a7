"""A notebook's 32 learning rates (MLP 64-256-10 on digits, 100 epochs, batch 64): 32 sequential `fit`s and one
`fit_many` vs the PyTorch loop of the same runs (at 1 thread and all cores; the best is compared).

Each contestant runs in its own process (`python -m jaxdl.bench._digits_sweep KIND`), timed around the loop only,
alternating, median of --repeats. jaxdl starts with an empty compilation-cache folder each time (a notebook's
first run). Prints a markdown table; writes it with the raw times to --out
(default benchmarks/results/sweep_digits-<date>.json).

    python benchmarks/sweep_digits.py --repeats 3
"""

import argparse
import json
import os
import sys
import tempfile

from jaxdl.bench import last_json, machine, machine_line, median, run_timed

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--runs", type=int, default=32)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    info = machine()
    cores = os.cpu_count() or 1
    contestants = {"jaxdl: 32 sequential fit()": ["sequential"], "jaxdl: fit_many": ["fit_many"],
                   "torch loop, 1 thread": ["torch", "--threads", "1"],
                   f"torch loop, {cores} threads": ["torch", "--threads", str(cores)]}
    times = {name: [] for name in contestants}
    accs = {name: [] for name in contestants}
    with tempfile.TemporaryDirectory(prefix="jaxdl-sweep-") as work:
        for r in range(args.repeats):
            for name, kind in contestants.items():
                env = {"JAX_COMPILATION_CACHE_DIR": os.path.join(work, f"cache-{r}-{kind[0]}"), "JAXDL_NO_CACHE": ""}
                _, stdout = run_timed([sys.executable, "-m", "jaxdl.bench._digits_sweep", *kind, "--runs",
                                       str(args.runs), "--epochs", str(args.epochs)], env=env, cwd=work)
                result = last_json(stdout)
                times[name].append(round(result["seconds"], 3))
                accs[name].append(max(result["test_acc"]))
                print(f"round {r + 1}: {name}: {result['seconds']:.2f} s", file=sys.stderr, flush=True)
    med = {name: median(v) for name, v in times.items()}
    torch_best = min((n for n in med if n.startswith("torch")), key=med.get)
    lines = [f"Machine: {machine_line(info)}",
             f"Command: python benchmarks/sweep_digits.py --repeats {args.repeats} --runs {args.runs} "
             f"--epochs {args.epochs}", "",
             f"| {args.runs} rates, loop time, median of {args.repeats} | seconds | all runs | best test acc | "
             f"vs {torch_best} |", "|---|---|---|---|---|"]
    for name, value in med.items():
        lines.append(f"| {name} | {value:.2f} | {', '.join(f'{t:.2f}' for t in times[name])} | "
                     f"{max(accs[name]):.4f} | {med[torch_best] / value:.2f}x |")
    table = "\n".join(lines)
    print(table)
    out = args.out or os.path.join(HERE, "results", f"sweep_digits-{info['date_utc'][:10]}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"machine": info, "times_s": times, "median_s": med, "best_test_acc": accs,
                   "torch_best": torch_best, "table": table}, f, indent=1)


if __name__ == "__main__":
    main()
