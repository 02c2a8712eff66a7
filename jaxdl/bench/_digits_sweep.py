"""The notebook and sweep benchmarks: 32 learning rates of an MLP 64-256-10 on digits (100 epochs, batch 64).

Three contestants train the same runs (same split, init rule, SGD, epochs, batch size, test set evaluated
after every epoch): ``sequential`` (32 ``jaxdl.train.fit`` calls one after another, as a notebook cell does),
``fit_many`` (the 32 runs as one vmapped program) and ``torch`` (the PyTorch loop of the same 32 runs over a
``DataLoader``). Each is timed in its own process around the loop only (imports and data already loaded, as
in a notebook); ``python -m jaxdl.bench._digits_sweep KIND [--threads T]`` prints one JSON line.

>>> len(RATES), round(RATES[0], 3), round(RATES[-1], 3)
(32, 0.01, 0.5)
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import numpy as np

RATES = np.geomspace(0.01, 0.5, 32).tolist()
EPOCHS = 100
BATCH_SIZE = 64
HIDDEN = 256
KINDS = ("sequential", "fit_many", "torch")


def _digits():
    from jaxdl import data

    return data.digits()


def jaxdl_sequential(rates: Sequence[float] = RATES, epochs: int = EPOCHS) -> dict:
    """32 ``fit`` calls one after another; seconds for the loop and each run's last test accuracy."""
    from jaxdl import compilation_cache, models, optim, train

    compilation_cache.enable_default()  # as a notebook's first cell does
    ds = _digits()
    start = time.perf_counter()
    accs = [
        train.fit(
            models.MLP(hidden=(HIDDEN,), num_classes=10),
            ds,
            optimizer=optim.sgd(lr),
            epochs=epochs,
            batch_size=BATCH_SIZE,
            verbose=0,
        ).history["test_acc"][-1]
        for lr in rates
    ]
    return {"seconds": time.perf_counter() - start, "test_acc": [float(a) for a in accs]}


def jaxdl_fit_many(rates: Sequence[float] = RATES, epochs: int = EPOCHS) -> dict:
    """The same runs as one ``fit_many`` (vmapped over the rate); seconds and last test accuracies."""
    from jaxdl import compilation_cache, models, optim, train

    compilation_cache.enable_default()  # as a notebook's first cell does
    ds = _digits()
    start = time.perf_counter()
    result = train.fit_many(
        models.MLP(hidden=(HIDDEN,), num_classes=10),
        ds,
        optimizer=lambda lr: optim.sgd(lr),
        hparams={"lr": list(rates)},
        epochs=epochs,
        batch_size=BATCH_SIZE,
        verbose=0,
    )
    accs = np.asarray(result.history["test_acc"])[:, -1]
    return {"seconds": time.perf_counter() - start, "test_acc": accs.tolist()}


def torch_loop(rates: Sequence[float] = RATES, epochs: int = EPOCHS, threads: int = 0) -> dict:
    """The PyTorch loop of the same runs (DataLoader over tensors, shuffled, last batch kept)."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    if threads:
        torch.set_num_threads(threads)
    ds = _digits()
    X_train, X_test = (torch.tensor(np.asarray(x).reshape(len(x), -1)) for x in (ds.train[0], ds.test[0]))
    y_train, y_test = (torch.tensor(np.asarray(y), dtype=torch.long) for y in (ds.train[1], ds.test[1]))
    start = time.perf_counter()
    accs = []
    for lr in rates:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH_SIZE, shuffle=True)
        acc = float("nan")  # no epoch, nothing evaluated
        for _ in range(epochs):
            model.train()
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = nn.functional.cross_entropy(model(xb), yb)
                loss.backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                acc = (model(X_test).argmax(1) == y_test).float().mean().item()
        accs.append(acc)
    return {"seconds": time.perf_counter() - start, "test_acc": accs, "threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> None:
    """Run one contestant in this process and print ``{"seconds": ..., "test_acc": [...]}`` as one line."""
    p = argparse.ArgumentParser(description="one contestant of the 32-rate digits benchmark")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--runs", type=int, default=len(RATES), help="how many of the 32 rates (a smoke test uses 2)")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    args = p.parse_args(argv)
    rates = RATES[:: max(1, len(RATES) // args.runs)][: args.runs]
    if args.kind == "torch":
        out = torch_loop(rates, args.epochs, args.threads)
    else:
        out = (jaxdl_sequential if args.kind == "sequential" else jaxdl_fit_many)(rates, args.epochs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
