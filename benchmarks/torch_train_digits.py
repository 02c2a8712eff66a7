"""The plain PyTorch script for `jaxdl train`'s default job: the contestant of the time-to-result benchmark.

Same job as `jaxdl train` with its defaults: scikit-learn's 8x8 digits split 80/20 as
`train_test_split(test_size=0.2, stratify=y, random_state=0)` (jaxdl's split), pixels / 16, an MLP
64-256-10 (ReLU, torch's default init), SGD lr 0.1, batch 256 (last batch kept), 500 shuffled epochs, the
test set evaluated after every epoch; writes metrics.json, checkpoint.pt and curves.png into --out, as
`jaxdl train` writes its run folder. Written the way a PyTorch user writes it (DataLoader over tensors).

    python benchmarks/torch_train_digits.py --threads 1 --out /tmp/torch-run
"""

import argparse
import json
import os
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    p.add_argument("--epochs", type=int, default=500)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default, all cores)")
    p.add_argument("--out", default="runs/torch-train")
    return p.parse_args()


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        logits = model(X)
        return nn.functional.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def main() -> None:
    args = parse()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    pixels, labels = load_digits(return_X_y=True)
    X = (np.asarray(pixels) / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = (
        np.asarray(a) for a in train_test_split(X, labels, test_size=0.2, stratify=labels, random_state=0)
    )
    X_test, y_test = torch.from_numpy(X_test), torch.from_numpy(y_test).long()
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train).long()),
        batch_size=args.batch_size,
        shuffle=True,
    )
    model = nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    history = {k: [] for k in ("train_loss", "train_acc", "test_loss", "test_acc")}
    ready = time.perf_counter()
    for _ in range(args.epochs):
        model.train()
        total = correct = loss_sum = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            total += len(yb)
        test_loss, test_acc = evaluate(model, X_test, y_test)
        for key, value in zip(history, (loss_sum / total, correct / total, test_loss, test_acc), strict=True):
            history[key].append(value)
    trained = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, "checkpoint.pt"))
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({"config": vars(args), "history": history}, f)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for key in history:
        (ax_loss if key.endswith("loss") else ax_acc).plot(history[key], label=key)
    ax_loss.legend()
    ax_acc.legend()
    fig.savefig(os.path.join(args.out, "curves.png"), dpi=100)
    print(
        json.dumps(
            {
                "test_acc": history["test_acc"][-1],
                "threads": torch.get_num_threads(),
                "startup_s": round(ready - START, 3),
                "train_s": round(trained - ready, 3),
                "write_s": round(time.perf_counter() - trained, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
