"""What is trained: the three workloads, the shared hyperparameters and FashionMNIST-shaped data.

Data is the real FashionMNIST when ``--data-dir`` holds it (via :func:`jaxdl.data.load`),
otherwise synthetic class-dependent Gaussian blobs of the same shape, so accuracy still
means something. :attr:`BenchData.source` says which, and the report prints it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxdl import data as jdata
from jaxdl._checks import fail
from jaxdl.errors import ConfigError

BATCH_SIZE = 256
LR = 0.1
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
LABEL_NOISE = 0.1


@dataclasses.dataclass(frozen=True)
class Workload:
    """One model of the benchmark, built the same way in both frameworks.

    ``hidden`` empty means softmax regression; otherwise an MLP of ``hidden`` widths where
    each hidden layer is Linear → (BatchNorm) → ReLU → (Dropout ``dropout``).
    """

    name: str
    description: str
    hidden: tuple[int, ...] = ()
    dropout: float = 0.0
    batch_norm: bool = False


WORKLOADS = {
    w.name: w
    for w in (
        Workload("softmax", "softmax regression 784-10"),
        Workload("mlp", "MLP 784-256-10, ReLU", hidden=(256,)),
        Workload(
            "mlp_bn_dropout",
            "MLP 784-256-256-10; each hidden layer Linear, BatchNorm, ReLU, Dropout(0.5)",
            hidden=(256, 256),
            dropout=0.5,
            batch_norm=True,
        ),
    )
}


@dataclasses.dataclass(frozen=True)
class BenchData:
    """Images (N, 28, 28, 1) float32 in [0, 1] and int64 labels (N,), plus where they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str

    @property
    def train_size(self) -> int:
        """Number of training images."""
        return int(self.X_train.shape[0])


def synthetic(train_size: int, test_size: int, *, seed: int) -> BenchData:
    """Gaussian blobs around 10 class prototypes, clipped to [0, 1], in FashionMNIST's shape.

    Each image is its class prototype (a shared grey base plus per-class pixel offsets)
    plus noise; 10% of the labels are then redrawn uniformly, so the best possible test
    accuracy is about 91% and broken training shows as about 10%.

    >>> synthetic(8, 4, seed=0).X_train.shape
    (8, 28, 28, 1)
    """
    rng = np.random.default_rng(seed)
    dim = int(np.prod(IMAGE_SHAPE))
    base = rng.uniform(0.3, 0.7, dim).astype(np.float32)
    prototypes = base + 0.08 * rng.standard_normal((NUM_CLASSES, dim), dtype=np.float32)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, NUM_CLASSES, n)
        X = np.clip(prototypes[y] + 0.3 * rng.standard_normal((n, dim), dtype=np.float32), 0.0, 1.0)
        y = np.where(rng.random(n) < LABEL_NOISE, rng.integers(0, NUM_CLASSES, n), y)
        return X.reshape((n,) + IMAGE_SHAPE), y

    (Xtr, ytr), (Xte, yte) = draw(train_size), draw(test_size)
    source = (
        f"synthetic: Gaussian blobs shaped like FashionMNIST, {LABEL_NOISE:.0%} label noise "
        f"({train_size} train / {test_size} test, seed {seed})"
    )
    return BenchData(Xtr, ytr, Xte, yte, source)


def _subset(name: str, X: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    if size > len(X):
        raise fail("bench", f"--{name}-size", size, f"at most the {len(X)} {name} images of the real data")
    return X[:size], y[:size].astype(np.int64)


def load_data(train_size: int, test_size: int, data_dir: str | None, *, seed: int) -> BenchData:
    """FashionMNIST from ``data_dir`` when it is there (first ``train_size``/``test_size`` images), else synthetic.

    When ``data_dir`` is given but holds no FashionMNIST, the synthetic data is used and
    ``source`` says why.
    """
    if data_dir is None:
        return synthetic(train_size, test_size, seed=seed)
    try:
        ds = jdata.load("fashion_mnist", data_dir=data_dir)
    except (ConfigError, OSError) as err:
        reason = str(err).splitlines()[0]
        fallback = synthetic(train_size, test_size, seed=seed)
        return dataclasses.replace(
            fallback, source=f"{fallback.source}; FashionMNIST not found in {data_dir}: {reason}"
        )
    Xtr, ytr = _subset("train", np.asarray(ds.train[0]), np.asarray(ds.train[1]), train_size)
    Xte, yte = _subset("test", np.asarray(ds.test[0]), np.asarray(ds.test[1]), test_size)
    return BenchData(Xtr, ytr, Xte, yte, f"FashionMNIST from {data_dir} ({train_size} train / {test_size} test)")
