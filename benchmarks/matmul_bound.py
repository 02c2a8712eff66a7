"""How much can vmapping N MLPs gain on this machine at best? An epoch of nothing but matmuls.

    python benchmarks/matmul_bound.py [--models 8] [--train-size 60000] [--repeats 5] [--out DIR]

The MLP 784-256-10 epoch of the benchmark is dominated by two matmuls per step in its first
layer: the forward ``x @ W`` (B, 784) @ (784, 256) and the weight gradient ``x.T @ dH``. This
script times a compiled epoch (``lax.scan`` over batches of 256) that does only those two plus the
batch gather, for one model and for N models, in the two ways ``fit_many`` can batch them:

- **per-model batches** (a seed sweep): each model gathers its own batch, (N, B, 784) @ (N, 784, 256);
- **shared batches** (runs of one seed, e.g. a learning-rate sweep): one batch, (B, 784) @ (784, N·256).

``N × t(1) / t(N)`` is then an upper bound for the speed-up of ``fit_many`` over N sequential
fits: the real epoch adds the second layer, the loss, the optimizer and the evaluation, which
batching speeds up less. Writes ``matmul_bound.json`` and ``matmul_bound.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from jaxdl import cli
from jaxdl.bench import BATCH_SIZE, describe, shown_path
from jaxdl.experiments import staged_output, write_json

IN, HIDDEN = 784, 256
RESULTS = Path(__file__).resolve().parent / "results"


def matmul_epoch(X: jax.Array, W: jax.Array, key: jax.Array, *, shared: bool) -> jax.Array:
    """One epoch of the first layer's two matmuls per batch; returns the updated W.

    ``X`` (n, 784); ``W`` (N, 784, 256); ``key`` one key (shared) or N keys (per model). With
    ``shared`` every model takes the same batch and W is used as one (784, N·256) matrix.
    """
    n, models = X.shape[0], W.shape[0]
    steps = n // BATCH_SIZE

    def plan(k):
        return jax.random.permutation(k, n)[: steps * BATCH_SIZE].reshape(steps, BATCH_SIZE)

    def train(w, k):  # w (784, k·256): one model, or N side by side
        def body(w, rows):
            x = X[rows]
            return w - x.T @ (jnp.maximum(x @ w, 0.0) * 1e-6), None

        return jax.lax.scan(body, w, plan(k))[0]

    if shared:
        wide = train(jnp.moveaxis(W, 0, 1).reshape(IN, models * HIDDEN), key)
        return jnp.moveaxis(wide.reshape(IN, models, HIDDEN), 1, 0)
    return jax.vmap(train)(W, key)


_compiled = jax.jit(matmul_epoch, static_argnames="shared")


def time_epoch(X: jax.Array, models: int, *, shared: bool, repeats: int) -> float:
    """Fastest of ``repeats`` timed epochs (after one compiling epoch), in seconds."""
    W = jnp.full((models, IN, HIDDEN), 0.01, jnp.float32)
    key = jax.random.key(0) if shared else jax.random.split(jax.random.key(0), models)
    _compiled(X, W, key, shared=shared).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        _compiled(X, W, key, shared=shared).block_until_ready()
        best = min(best, time.perf_counter() - start)
    return best


def measure(train_size: int, models: int, repeats: int) -> dict:
    """Epoch seconds for 1 and ``models`` models, both ways, the GFLOP/s and the speed-up bounds."""
    X = jax.random.uniform(jax.random.key(1), (train_size, IN), jnp.float32)
    flops = 2 * 2 * (train_size // BATCH_SIZE) * BATCH_SIZE * IN * HIDDEN  # two matmuls per step, one model
    one = time_epoch(X, 1, shared=False, repeats=repeats)
    out: dict[str, object] = {"one_model_s": one, "one_model_gflops": flops / one / 1e9}
    for name, shared in (("per_model", False), ("shared", True)):
        t = time_epoch(X, models, shared=shared, repeats=repeats)
        out[name] = {"epoch_s": t, "gflops": models * flops / t / 1e9, "speedup_bound": models * one / t}
    return out


def markdown(meta: dict, r: dict) -> str:
    """``matmul_bound.md``: the device, command, date and one table."""
    n = meta["models"]
    return "\n".join(
        [
            f"# Upper bound of the vmap speed-up — {meta['device_name']}",
            "",
            f"- Date: {meta['date']}",
            f"- Command: `{meta['command']}`",
            f"- Epoch: {meta['train_size']} images, batch {BATCH_SIZE}, only the first layer's two matmuls per step "
            "(float32); fastest of the repeats",
            "",
            f"| what | epoch s | GFLOP/s | {n} × t(1) / t({n}) |",
            "|---|---|---|---|",
            f"| 1 model | {r['one_model_s']:.3g} | {r['one_model_gflops']:.0f} | – |",
            f"| {n} models, per-model batches (seed sweep) | {r['per_model']['epoch_s']:.3g} "
            f"| {r['per_model']['gflops']:.0f} | {r['per_model']['speedup_bound']:.2f}× |",
            f"| {n} models, shared batches (one seed) | {r['shared']['epoch_s']:.3g} "
            f"| {r['shared']['gflops']:.0f} | {r['shared']['speedup_bound']:.2f}× |",
            "",
        ]
    )


def run(args: argparse.Namespace) -> int:
    """Measure, print the table and write ``matmul_bound.{json,md}``."""
    device = describe("gpu" if jax.default_backend() == "gpu" else "cpu")
    out = args.out or str(RESULTS / f"{device['slug']}-{datetime.date.today().isoformat()}")
    result = measure(args.train_size, args.models, args.repeats)
    meta = {
        "device_name": device["name"],
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "models": args.models,
        "train_size": args.train_size,
        "repeats": args.repeats,
        "command": shlex.join(
            [
                "python",
                "benchmarks/matmul_bound.py",
                "--models",
                str(args.models),
                "--train-size",
                str(args.train_size),
                "--repeats",
                str(args.repeats),
                "--out",
                shown_path(out),
            ]
        ),
    }
    text = markdown(meta, result)
    with staged_output(out) as stage:
        write_json(str(Path(stage) / "matmul_bound.json"), {"meta": meta, "result": result})
        (Path(stage) / "matmul_bound.md").write_text(text)
    print(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The script's parser (errors are one line, exit code 2)."""
    parser = cli.OneLineParser(prog="matmul_bound.py", description=str(__doc__).splitlines()[0])
    parser.add_argument("--models", type=cli.positive_int, default=8, help="number of models N (default 8)")
    parser.add_argument("--train-size", type=cli.positive_int, default=60_000, help="images per epoch (default 60000)")
    parser.add_argument("--repeats", type=cli.positive_int, default=5, help="timed epochs, fastest kept (default 5)")
    parser.add_argument(
        "--out",
        type=cli.writable_dir,
        default=None,
        help="folder for matmul_bound.json and .md (default benchmarks/results/<device>-<date>)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run; a bad argument is one line and exit code 2."""
    return cli.run_or_report("matmul_bound.py", run, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
