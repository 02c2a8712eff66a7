"""The course's own loop (contestant 1) vs PyTorch's DataLoader over tensors vs jaxdl `fit`, per epoch, on
FashionMNIST (MLP 784-256-10, SGD lr 0.1, batch 256; the test set evaluated each epoch).

Contestant 1 is d2l's FashionMNIST loop: a torchvision-style dataset (PIL image per item -> Resize -> ToTensor)
under DataLoader(batch_size=256, shuffle=True, num_workers=4); see jaxdl/bench/_course_loop.py. PyTorch runs at
1 thread and at all cores; the best is compared. Without --data-dir the images are synthetic uint8 arrays of the
real shape (60000 / 10000 x 28 x 28), and the output says so.

    python benchmarks/course_loop.py --epochs 3 [--data-dir DIR] [--train-size N]
"""

import argparse
import os
import sys

import numpy as np

from jaxdl.bench import (
    REPRODUCED,
    add_record_out,
    jaxdl_epochs,
    machine,
    machine_line,
    record_path,
    save_json,
    steady,
    torch_epochs,
)

HERE = os.path.dirname(os.path.abspath(__file__))


def load(data_dir, train_size: int, test_size: int):
    if data_dir:
        from jaxdl import data

        ds = data.load("fashion_mnist", data_dir=data_dir)
        to_uint8 = lambda x: np.round(np.asarray(x)[..., 0] * 255).astype(np.uint8)  # noqa: E731
        return (
            to_uint8(ds.train[0])[:train_size],
            np.asarray(ds.train[1])[:train_size],
            to_uint8(ds.test[0])[:test_size],
            np.asarray(ds.test[1])[:test_size],
            "FashionMNIST",
        )
    rng = np.random.default_rng(0)
    return (
        rng.integers(0, 256, (train_size, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, train_size),
        rng.integers(0, 256, (test_size, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, test_size),
        "synthetic uint8 arrays of FashionMNIST's shape (no --data-dir)",
    )


def main() -> None:
    p = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    p.add_argument("--epochs", type=int, default=3, help="epochs per contestant; the first is not counted")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--train-size", type=int, default=60000)
    p.add_argument("--test-size", type=int, default=10000)
    p.add_argument("--num-workers", type=int, default=4)
    add_record_out(p, "benchmarks/results/course_loop-<date>.json")
    args = p.parse_args()
    info = machine()
    out_file = record_path(p, args, os.path.join(HERE, "results", f"course_loop-{info['date_utc'][:10]}.json"))
    *arrays, what = load(args.data_dir, args.train_size, args.test_size)
    cores = os.cpu_count() or 1
    rows = {}
    for threads in sorted({1, cores}):
        for pil, name in (
            (True, f"1 course loop: torchvision-style dataset (PIL) + DataLoader(num_workers={args.num_workers})"),
            (False, "PyTorch DataLoader over tensors"),
        ):
            times = torch_epochs(*arrays, pil=pil, epochs=args.epochs, threads=threads, num_workers=args.num_workers)
            rows[f"{name}, {threads} thread(s)"] = times
            print(f"{name}, {threads} thread(s): {steady(times):.3f} s/epoch", file=sys.stderr, flush=True)
    rows["jaxdl fit"] = jaxdl_epochs(*arrays, epochs=args.epochs)
    fit = steady(rows["jaxdl fit"])
    lines = [
        f"Machine: {machine_line(info)}",
        f"Data: {what}; {REPRODUCED}",
        "Command: python benchmarks/course_loop.py " + " ".join(sys.argv[1:]),
        "",
        "| contestant | s/epoch (median after the first) | jaxdl fit is faster by |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {steady(t):.3f} | {steady(t) / fit:.2f}x |" for name, t in rows.items()]
    table = "\n".join(lines)
    print(table)
    save_json(out_file, {"machine": info, "data": what, "epoch_s": rows, "table": table})


if __name__ == "__main__":
    main()
