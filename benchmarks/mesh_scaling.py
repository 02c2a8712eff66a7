"""``fit`` and ``fit_many`` on a mesh of 1, 2, 4, … devices: epoch times, speed-up, equality with one device.

    python benchmarks/mesh_scaling.py [--devices 1,2,4,8] [--epochs 3] [--models 64] [--workload mlp]
        [--train-size 60000] [--test-size 10000] [--data-dir DIR] [--out DIR]

``fit`` trains one model data-parallel (each batch of 256 split over the devices); ``fit_many``
trains ``--models`` seeds with the runs split over the devices. Every device count is checked
against one device: the largest difference of the final parameters is reported next to the time.
On a CPU, give JAX fake devices first (``XLA_FLAGS=--xla_force_host_platform_device_count=8``):
they share the same cores, so such a run checks correctness only, and its output says so.
Writes ``mesh_scaling.json`` and ``mesh_scaling.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import statistics
import sys
from pathlib import Path

import jax
import numpy as np
import optax

from jaxdl import cli, parallel
from jaxdl.bench import BATCH_SIZE, LR, WORKLOADS, jax_model, load_data, to_dataset
from jaxdl.errors import ConfigError
from jaxdl.experiments import staged_output, write_json
from jaxdl.train import fit, fit_many

RESULTS = Path(__file__).resolve().parent / "results"
CPU_NOTE = (
    "fake CPU devices: they share the machine's cores, so these times say nothing about scaling; "
    "this run checks correctness only (results on N devices equal results on 1)"
)


def device_counts(requested: tuple[int, ...] | None, available: int) -> tuple[int, ...]:
    """``requested``, or 1, 2, 4, … up to ``available`` plus ``available`` itself.

    >>> device_counts(None, 6)
    (1, 2, 4, 6)
    """
    if requested is not None:
        return tuple(sorted(set(requested)))
    powers = [2**k for k in range(available.bit_length()) if 2**k <= available]
    return tuple(sorted(set(powers) | {available}))


def max_difference(a, b) -> float:
    """The largest absolute difference between the leaves of two pytrees of arrays."""
    return max(
        float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )


def _steady(times) -> float:
    """Median seconds of the epochs after the first (which compiles)."""
    return statistics.median([float(t) for t in times[1:]])


def measure(model, ds, mesh, *, epochs: int, models: int, seed: int) -> dict:
    """One ``fit`` and one ``fit_many`` on ``mesh`` (``None``: one device without a mesh)."""
    single = fit(
        model,
        ds,
        optimizer=optax.sgd(LR),
        epochs=epochs + 1,
        batch_size=BATCH_SIZE,
        seed=seed,
        mesh=mesh,
        verbose=0,
    )
    many = fit_many(
        model,
        ds,
        optimizer=optax.sgd(LR),
        epochs=epochs + 1,
        batch_size=BATCH_SIZE,
        seeds=tuple(range(seed, seed + models)),
        mesh=mesh,
        verbose=0,
    )
    return {
        "fit": single,
        "fit_s": _steady(single.history["epoch_time"]),
        "many": many,
        "many_s": _steady(many.epoch_time),
    }


def row_of(n: int, got: dict, base: dict) -> dict:
    """One table row: times of ``got`` on ``n`` devices, speed-ups and parameter differences against ``base``."""
    return {
        "devices": n,
        "fit_epoch_s": got["fit_s"],
        "fit_speedup": base["fit_s"] / got["fit_s"],
        "fit_max_param_diff": max_difference(got["fit"].state.params, base["fit"].state.params),
        "fit_many_epoch_s": got["many_s"],
        "fit_many_speedup": base["many_s"] / got["many_s"],
        "fit_many_max_param_diff": max_difference(got["many"].state.params, base["many"].state.params),
    }


def run(args: argparse.Namespace) -> int:
    """Measure every device count, print a line each, write mesh_scaling.json and mesh_scaling.md."""
    available = jax.device_count()
    counts = device_counts(args.devices, available)
    for n in counts:
        parallel.check_devices(n, name="--devices")
        if BATCH_SIZE % n:
            raise ConfigError(
                f"--devices {n}: the batch of {BATCH_SIZE} does not split over {n} devices; "
                "use device counts that divide it."
            )
    platform = jax.devices()[0].platform
    note = CPU_NOTE if platform == "cpu" else "times are steady epochs (median after a compiling first epoch)"
    bench = load_data(args.train_size, args.test_size, args.data_dir, seed=args.seed)
    workload = WORKLOADS[args.workload]
    model, ds = jax_model(workload), to_dataset(bench)
    device = f"{available} x {jax.devices()[0].device_kind} ({platform})"
    print(f"{device}\n{note}\ndata: {bench.source}", file=sys.stderr, flush=True)
    rows, base = [], None
    with jax.default_matmul_precision("highest"):
        for n in counts:
            got = measure(
                model,
                ds,
                parallel.make_mesh(n) if n > 1 else None,
                epochs=args.epochs,
                models=args.models,
                seed=args.seed,
            )
            base = base or got
            rows.append(row_of(n, got, base))
            r = rows[-1]
            print(
                f"devices {n:4d}  fit {r['fit_epoch_s']:.4f} s (x{r['fit_speedup']:.2f}, max |dparams| "
                f"{r['fit_max_param_diff']:.1e})  fit_many N={args.models} {r['fit_many_epoch_s']:.4f} s "
                f"(x{r['fit_many_speedup']:.2f}, max |dparams| {r['fit_many_max_param_diff']:.1e})",
                file=sys.stderr,
                flush=True,
            )
    meta = {
        "device": device,
        "platform": platform,
        "note": note,
        "data": bench.source,
        "workload": workload.description,
        "batch_size": BATCH_SIZE,
        "lr": LR,
        "models": args.models,
        "epochs_timed": args.epochs,
        "matmul_precision": "highest (full float32)",
        "jax": jax.__version__,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join(["python", "benchmarks/mesh_scaling.py", *args.argv]),
    }
    out = args.out or str(RESULTS / f"mesh-{platform}-{datetime.date.today().isoformat()}")
    with staged_output(out) as stage:
        write_json(os.path.join(stage, "mesh_scaling.json"), {"meta": meta, "rows": rows})
        with open(os.path.join(stage, "mesh_scaling.md"), "w") as f:
            f.write(markdown(meta, rows))
    print(out)
    return 0


def markdown(meta: dict, rows: list[dict]) -> str:
    """The results as a Markdown table with the device and the note above it."""
    lines = [
        f"# Mesh scaling: {meta['workload']}",
        "",
        f"- device: {meta['device']}",
        f"- {meta['note']}",
        f"- data: {meta['data']}",
        f"- batch {meta['batch_size']}, SGD lr {meta['lr']}, "
        f"fit_many N={meta['models']}, matmuls {meta['matmul_precision']}, jax {meta['jax']}",
        f"- command: `{meta['command']}`",
        "",
        "| devices | fit epoch (s) | speed-up | max abs Δ params | fit_many epoch (s) | speed-up | max abs Δ params |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['devices']} | {r['fit_epoch_s']:.4f} | {r['fit_speedup']:.2f} "
            f"| {r['fit_max_param_diff']:.1e} | {r['fit_many_epoch_s']:.4f} "
            f"| {r['fit_many_speedup']:.2f} | {r['fit_many_max_param_diff']:.1e} |"
        )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's parser (errors are one line, exit code 2)."""
    p = cli.OneLineParser(prog="mesh_scaling.py", description=str(__doc__).splitlines()[0])
    p.add_argument(
        "--devices",
        type=cli.int_list,
        default=None,
        help="device counts to measure, e.g. 1,2,4,8 (default 1, 2, 4, … and all visible devices)",
    )
    p.add_argument("--epochs", type=cli.positive_int, default=3, help="timed epochs after the first (default 3)")
    p.add_argument("--models", type=cli.positive_int, default=64, help="seeds trained by fit_many (default 64)")
    p.add_argument("--workload", choices=tuple(WORKLOADS), default="mlp", help="model (default mlp: 784-256-10)")
    p.add_argument("--train-size", type=cli.positive_int, default=60_000, help="training images (default 60000)")
    p.add_argument("--test-size", type=cli.positive_int, default=10_000, help="test images (default 10000)")
    p.add_argument("--data-dir", default=None, help="folder with FashionMNIST; without it the data is synthetic")
    p.add_argument("--seed", type=cli.nonnegative_int, default=0, help="seed of data, init and shuffling")
    p.add_argument(
        "--out",
        type=cli.writable_dir,
        default=None,
        help="folder for mesh_scaling.json and mesh_scaling.md (default benchmarks/results/mesh-<platform>-<date>)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run; a :class:`ConfigError` is one line on stderr and exit code 2."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv
    return cli.run_or_report("mesh_scaling.py", run, args)


if __name__ == "__main__":
    sys.exit(main())
