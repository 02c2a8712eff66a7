"""A notebook's 32 learning rates (MLP 64-256-10 on digits, 100 epochs, batch 64): 32 sequential `fit`s and one
`fit_many` vs the PyTorch loop of the same runs (at 1 thread and all cores; the best is compared).

Each contestant runs in its own process (`python -m jaxdl.bench._digits_sweep KIND`), timed around the loop only,
alternating, median of --repeats. jaxdl starts with an empty compilation-cache folder each time (a notebook's first
run). Before each round and after each contestant a fixed calibration workload is timed (jaxdl.bench.Calibration):
rounds with a reading more than 20% slower than the quietest (this run's or --quiet-calibration, the idle machine's)
are marked contended, and the medians are of the quiet rounds. Prints a markdown table; writes it with the raw times
to --out (default benchmarks/results/sweep_digits-<date>.json).

    python benchmarks/sweep_digits.py --repeats 3
"""

import argparse
import os
import sys
import tempfile

from jaxdl import bench

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    p = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--runs", type=int, default=32)
    p.add_argument("--epochs", type=int, default=100)
    bench.add_record_out(p, "benchmarks/results/sweep_digits-<date>.json")
    bench.add_quiet_calibration(p)
    args = p.parse_args()
    info = bench.machine()
    out_file = bench.record_path(p, args, os.path.join(HERE, "results", f"sweep_digits-{info['date_utc'][:10]}.json"))
    cores = os.cpu_count() or 1
    contestants = {
        f"jaxdl: {args.runs} sequential fit()": ["sequential"],
        "jaxdl: fit_many": ["fit_many"],
        "torch loop, 1 thread": ["torch", "--threads", "1"],
        f"torch loop, {cores} threads": ["torch", "--threads", str(cores)],
    }
    times = {name: [] for name in contestants}
    accs = {name: [] for name in contestants}
    calibration = bench.Calibration(reference=args.quiet_calibration)
    with tempfile.TemporaryDirectory(prefix="jaxdl-sweep-") as work:
        for r in range(args.repeats):
            cal = calibration.measure()
            print(f"round {r + 1}: calibration {cal}", file=sys.stderr, flush=True)
            for name, kind in contestants.items():
                env = {"JAX_COMPILATION_CACHE_DIR": os.path.join(work, f"cache-{r}-{kind[0]}"), "JAXDL_NO_CACHE": ""}
                _, stdout = bench.run_timed(
                    [
                        sys.executable,
                        "-m",
                        "jaxdl.bench._digits_sweep",
                        *kind,
                        "--runs",
                        str(args.runs),
                        "--epochs",
                        str(args.epochs),
                    ],
                    env=env,
                    cwd=work,
                )
                result = bench.last_json(stdout)
                times[name].append(round(result["seconds"], 3))
                accs[name].append(max(result["test_acc"]))
                seconds, after = result["seconds"], calibration.check()
                print(f"round {r + 1}: {name}: {seconds:.2f} s; then {after}", file=sys.stderr, flush=True)
    command = (
        f"python benchmarks/sweep_digits.py --repeats {args.repeats} --runs {args.runs} --epochs {args.epochs}"
        f"{calibration.option}"
    )
    table, record = bench.against_torch(
        times,
        {name: max(a) for name, a in accs.items()},
        info=info,
        command=command,
        header=f"{args.runs} rates, loop time, median of {args.repeats}",
        score="best test acc",
        calibration=calibration,
    )
    print(table)
    bench.save_json(out_file, record)


if __name__ == "__main__":
    main()
