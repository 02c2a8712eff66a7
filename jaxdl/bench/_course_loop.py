"""The course's own loop as contestant 1: d2l's ``FashionMNIST`` (a torchvision dataset: a PIL image per item,
``Resize`` then ``ToTensor``) under ``DataLoader(batch_size=256, shuffle=True, num_workers=4)``.

torchvision does not load in this environment, so :class:`TorchvisionStyleFashionMNIST` reproduces
``torchvision.datasets.FashionMNIST.__getitem__`` and the two transforms with PIL, line for line (the
output says so). Compared per epoch (MLP 784-256-10, SGD lr 0.1, batch 256, test set evaluated each epoch)
with "PyTorch DataLoader over tensors" and jaxdl's ``fit``.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch.utils.data import Dataset as TorchDataset

REPRODUCED = (
    "torchvision not importable: its FashionMNIST.__getitem__, Resize and ToTensor are reproduced "
    "with PIL line for line (jaxdl/bench/_course_loop.py)"
)


def torchvision_style_dataset(
    images: np.ndarray, labels: np.ndarray, resize: tuple[int, int] = (28, 28)
) -> TorchDataset:
    """``torchvision.datasets.FashionMNIST(transform=Compose([Resize(resize), ToTensor()]))`` over uint8 arrays.

    Args:
        images: (N, 28, 28) uint8; labels: (N,) integers.

    Returns:
        A ``torch.utils.data.Dataset`` whose items are ((1, H, W) float32 in [0, 1], int).
    """
    import torch
    from PIL import Image
    from torch.utils.data import Dataset

    class TorchvisionStyleFashionMNIST(Dataset):
        def __init__(self):
            self.data, self.targets = torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))

        def __len__(self) -> int:
            return len(self.data)

        def __getitem__(self, index: int):
            img, target = self.data[index], int(self.targets[index])  # torchvision MNIST.__getitem__
            img = Image.fromarray(img.numpy(), mode="L")
            img = img.resize((resize[1], resize[0]), Image.Resampling.BILINEAR)  # transforms.Resize (PIL backend)
            pic = torch.from_numpy(np.array(img, np.uint8, copy=True))  # transforms.ToTensor from here on
            pic = pic.view(img.size[1], img.size[0], 1).permute((2, 0, 1)).contiguous()
            return pic.to(dtype=torch.get_default_dtype()).div(255), target

    return TorchvisionStyleFashionMNIST()


def torch_epochs(
    images: np.ndarray,
    labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    *,
    pil: bool,
    epochs: int,
    threads: int,
    num_workers: int,
) -> list[float]:
    """Seconds of each epoch (train + test evaluation) of the PyTorch loop; ``pil`` picks the dataset."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if pil:
        train_set = torchvision_style_dataset(images, labels)
        test_set = torchvision_style_dataset(test_images, test_labels)
    else:
        train_set = TensorDataset(
            torch.from_numpy(images[:, None] / np.float32(255)).float(), torch.from_numpy(labels.astype(np.int64))
        )
        test_set = TensorDataset(
            torch.from_numpy(test_images[:, None] / np.float32(255)).float(),
            torch.from_numpy(test_labels.astype(np.int64)),
        )
    workers = num_workers if pil else 0
    train_iter = DataLoader(train_set, batch_size=256, shuffle=True, num_workers=workers)
    test_iter = DataLoader(test_set, batch_size=256, shuffle=False, num_workers=workers)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X), y).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            sum((model(X).argmax(1) == y).sum().item() for X, y in test_iter)
        times.append(time.perf_counter() - start)
    return times


def jaxdl_epochs(
    images: np.ndarray, labels: np.ndarray, test_images: np.ndarray, test_labels: np.ndarray, *, epochs: int
) -> list[float]:
    """Seconds of each compiled epoch of ``jaxdl.train.fit`` on the same data (history's ``epoch_time``)."""
    from jaxdl import data, models, optim, train

    ds = data.from_arrays(
        images[..., None] / np.float32(255),
        labels,
        test_images[..., None] / np.float32(255),
        test_labels,
        num_classes=10,
    )
    result = train.fit(
        models.MLP(hidden=(256,), num_classes=10),
        ds,
        optimizer=optim.sgd(0.1),
        epochs=epochs,
        batch_size=256,
        verbose=0,
    )
    return [float(t) for t in result.history["epoch_time"]]


def steady(times: list[float]) -> float:
    """The median epoch after the first (the first pays for start-up and compiling)."""
    return statistics.median(times[1:] if len(times) > 1 else times)
