"""Diabetes regression: the course's Boston-housing MLP recipe in jaxdl vs references.

Prints test MSE (original units) and R² on jaxdl's fixed diabetes split for
  * predicting the train mean (the baseline R² compares against),
  * scikit-learn ``LinearRegression`` (ordinary least squares),
  * the recipe ``Linear(10, 10) → ReLU → Linear(10, 1)``, Adam lr 1e-3, batch 100, 500 epochs,
    MSE loss, trained with ``jaxdl.train.fit`` and with the same PyTorch loop, one run per seed.

Run: ``python benchmarks/diabetes_reference.py [--seeds 3] [--no-torch]`` (CPU, a minute or two).
"""

from __future__ import annotations

import argparse

import numpy as np
import optax
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

from jaxdl import data
from jaxdl.models import MLP
from jaxdl.train import fit

EPOCHS, BATCH, LR, HIDDEN = 500, 100, 1e-3, 10
SPLIT_SEED = 42
"""``data.load("diabetes")``'s split: ``train_test_split(test_size=0.2, random_state=42)``."""


def raw_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's diabetes set in its original units, split as jaxdl splits it (353 / 89 rows)."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SPLIT_SEED)
    return np.asarray(X_train), np.asarray(X_test), np.asarray(y_train), np.asarray(y_test)


def torch_recipe(ds: data.Dataset, seed: int) -> np.ndarray:
    """The course's PyTorch loop on the standardized split; returns test predictions in original units."""
    import torch

    torch.manual_seed(seed)
    X, y = (torch.tensor(np.asarray(a)) for a in ds.train)
    net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 1))
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.MSELoss()
    for _ in range(EPOCHS):
        for rows in torch.randperm(len(X)).split(BATCH):
            opt.zero_grad()
            loss_fn(net(X[rows]), y[rows]).backward()
            opt.step()
    with torch.no_grad():
        pred = net(torch.tensor(np.asarray(ds.test[0]))).numpy()
    assert ds.target_standardizer is not None  # data.load("diabetes") standardizes its targets
    return np.asarray(ds.target_standardizer.inverse_transform(pred))


def main() -> None:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs per trained model (default 3)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch runs")
    args = parser.parse_args()

    X_raw, X_raw_test, y_raw, y_test = raw_split()
    ds = data.load("diabetes")
    rows = [("predict the train mean", np.full_like(y_test, y_raw.mean()))]
    rows.append(("sklearn LinearRegression", LinearRegression().fit(X_raw, y_raw).predict(X_raw_test)))
    print(f"diabetes: {len(X_raw)} train / {len(y_test)} test rows, test MSE in original units\n")
    print(f"{'model':<52} {'test MSE':>10} {'test R²':>8}")
    for name, pred in rows:
        print(f"{name:<52} {mean_squared_error(y_test, pred):>10.1f} {r2_score(y_test, pred):>8.4f}")
    recipe = f"MLP({HIDDEN}) Adam {LR:g}, batch {BATCH}, {EPOCHS} ep"
    for seed in range(args.seeds):
        result = fit(
            MLP(hidden=(HIDDEN,), num_classes=None),
            ds,
            optimizer=optax.adam(LR),
            epochs=EPOCHS,
            batch_size=BATCH,
            seed=seed,
            verbose=0,
        )
        h = result.history
        print(f"{'jaxdl ' + recipe + f', seed {seed}':<52} {h['test_mse'][-1]:>10.1f} {h['test_r2'][-1]:>8.4f}")
    if not args.no_torch:
        for seed in range(args.seeds):
            pred = torch_recipe(ds, seed)
            print(
                f"{'torch ' + recipe + f', seed {seed}':<52} "
                f"{mean_squared_error(y_test, pred):>10.1f} {r2_score(y_test, pred):>8.4f}"
            )


if __name__ == "__main__":
    main()
