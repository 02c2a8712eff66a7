"""The PyTorch contestants (1–4): the same model, init, loss, SGD and batches as jaxdl.

Every contestant keeps the last partial batch (ceil(N / 256) steps per epoch, like jaxdl's
padded-and-masked last batch) and never reads the loss back inside the epoch, so the
loops differ only in how batches are made and how the step runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, stack_module_state, vmap
from torch.utils.data import DataLoader, TensorDataset

from jaxdl.bench._measure import EpochFn, Measurement, time_epochs
from jaxdl.bench._workloads import BATCH_SIZE, LR, NUM_CLASSES, BenchData, Workload


class TorchData:
    """The benchmark arrays as torch tensors: (N, 1, 28, 28) images on the CPU and on ``device``."""

    def __init__(self, bench: BenchData, device: torch.device):
        def images(X):
            return torch.from_numpy(X).reshape(X.shape[0], 1, 28, 28)

        self.cpu = (images(bench.X_train), torch.from_numpy(bench.y_train))
        self.cpu_test = (images(bench.X_test), torch.from_numpy(bench.y_test))
        self.train = tuple(t.to(device) for t in self.cpu)
        self.test = tuple(t.to(device) for t in self.cpu_test)
        self.device = device
        self.size = bench.train_size


def torch_model(workload: Workload, *, seed: int, device: torch.device) -> nn.Module:
    """``nn.Sequential(Flatten, [Linear, (BatchNorm1d), ReLU, (Dropout)]…, Linear)`` with torch's default init."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Flatten()]
    width = 28 * 28
    for hidden in workload.hidden:
        layers.append(nn.Linear(width, hidden))
        if workload.batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        if workload.dropout:
            layers.append(nn.Dropout(workload.dropout))
        width = hidden
    layers.append(nn.Linear(width, NUM_CLASSES))
    return nn.Sequential(*layers).to(device)


def slices(X: torch.Tensor, y: torch.Tensor) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Consecutive batches of ``BATCH_SIZE`` rows (the last one partial)."""
    for start in range(0, X.shape[0], BATCH_SIZE):
        yield X[start : start + BATCH_SIZE], y[start : start + BATCH_SIZE]


@torch.no_grad()
def test_accuracy(forward: Callable, batches: Iterable, models: int = 1) -> float:
    """Mean accuracy of ``forward`` (logits (B, C), or (models, B, C)) over ``batches``; one sync at the end."""
    correct, count = torch.zeros(()), 0
    for x, y in batches:
        correct = correct.to(x.device) + (forward(x).argmax(-1) == y).sum()
        count += y.shape[0]
    return float(correct) / (count * models)


def _sgd_step(model: nn.Module) -> Callable:
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def _index_epoch(model: nn.Module, data: TorchData, step: Callable, forward: Callable) -> EpochFn:
    """Epoch with the data on the device: ``randperm`` then ``X[idx]`` per batch."""
    X, y = data.train

    def epoch() -> tuple[float, int]:
        model.train()
        perm = torch.randperm(data.size, device=data.device)
        steps = 0
        for start in range(0, data.size, BATCH_SIZE):
            idx = perm[start : start + BATCH_SIZE]
            step(X[idx], y[idx])
            steps += 1
        model.eval()
        return test_accuracy(forward, slices(*data.test)), steps

    return epoch


def _measure(
    contestant: int,
    workload: Workload,
    precision: str,
    data: TorchData,
    epoch: EpochFn,
    epochs: int,
    *,
    models: int = 1,
    note: str = "",
) -> Measurement:
    times, acc, steps = time_epochs(epoch, epochs)
    return Measurement(contestant, workload.name, precision, models, data.size, times, acc, steps, note=note)


def course_loop(workload: Workload, data: TorchData, *, precision: str, epochs: int, seed: int) -> Measurement:
    """Contestant 1: ``DataLoader(TensorDataset(...), shuffle=True)``; each batch moved to the device."""
    model = torch_model(workload, seed=seed, device=data.device)
    step = _sgd_step(model)
    loader = DataLoader(
        TensorDataset(*data.cpu), batch_size=BATCH_SIZE, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    test_loader = DataLoader(TensorDataset(*data.cpu_test), batch_size=BATCH_SIZE)
    device = data.device

    def epoch() -> tuple[float, int]:
        model.train()
        steps = 0
        for xb, yb in loader:
            step(xb.to(device), yb.to(device))
            steps += 1
        model.eval()
        return test_accuracy(model, ((x.to(device), y.to(device)) for x, y in test_loader)), steps

    return _measure(1, workload, precision, data, epoch, epochs)


def eager_on_device(workload: Workload, data: TorchData, *, precision: str, epochs: int, seed: int) -> Measurement:
    """Contestant 2: eager step, data already on the device, index batching."""
    model = torch_model(workload, seed=seed, device=data.device)
    return _measure(2, workload, precision, data, _index_epoch(model, data, _sgd_step(model), model), epochs)


def compiled_step(workload: Workload, data: TorchData, *, precision: str, epochs: int, seed: int) -> Measurement:
    """Contestant 3: contestant 2 with ``torch.compile`` of the step and of the eval forward.

    ``mode="reduce-overhead"`` (CUDA graphs) on GPU, the default mode on CPU; ``dynamic=False``,
    so the full and the last partial batch compile once each during the warm-up epoch.
    Exceptions (e.g. no C++ compiler) propagate; the caller reports them.
    """
    torch._dynamo.reset()
    on_gpu = data.device.type == "cuda"
    mode = "reduce-overhead" if on_gpu else "default"
    model = torch_model(workload, seed=seed, device=data.device)
    step = torch.compile(_sgd_step(model), mode=mode, dynamic=False)
    forward = torch.compile(model, mode=mode, dynamic=False)
    epoch = _index_epoch(model, data, step, forward)
    return _measure(3, workload, precision, data, epoch, epochs, note=f"mode={mode!r}")


def func_vmap(
    workload: Workload, data: TorchData, *, precision: str, epochs: int, seed: int, models: int
) -> Measurement:
    """Contestant 4: N models stacked with ``stack_module_state``, trained with ``vmap(grad(functional_call))``.

    Each model has its own init (seed + i), its own shuffling and dropout, and its own
    batch-norm statistics; SGD is one ``_foreach_add_`` over the stacked parameters.
    """
    nets = [torch_model(workload, seed=seed + i, device=data.device) for i in range(models)]
    params, buffers = stack_module_state(nets)
    params = {name: p.detach() for name, p in params.items()}
    base = copy.deepcopy(nets[0]).to("meta")

    def loss(p, b, x, y):
        return F.cross_entropy(functional_call(base, (p, b), (x,)), y)

    grads = vmap(grad(loss), randomness="different")
    predict = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))
    X, y = data.train
    names = list(params)

    def epoch() -> tuple[float, int]:
        base.train()
        perms = torch.argsort(torch.rand(models, data.size, device=data.device), dim=1)
        steps = 0
        for start in range(0, data.size, BATCH_SIZE):
            idx = perms[:, start : start + BATCH_SIZE]
            g = grads(params, buffers, X[idx], y[idx])
            torch._foreach_add_(  # pyright: ignore[reportPrivateImportUsage]  # torch's multi-tensor kernel (SGD foreach)
                [params[k] for k in names], [g[k] for k in names], alpha=-LR
            )
            steps += 1
        base.eval()
        return test_accuracy(lambda x: predict(params, buffers, x), slices(*data.test), models), steps

    return _measure(4, workload, precision, data, epoch, epochs, models=models)
