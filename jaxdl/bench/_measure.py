"""One measured row of the benchmark and the epoch clock every contestant uses.

An epoch, for every contestant, is one shuffled pass over the training set followed by the
test-set accuracy (as a Python float, which waits for the device). The first epoch is the
warm-up (it includes compilation where there is any); the steady epoch time is the median
of the epochs after it.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable

CONTESTANTS = {
    1: "PyTorch DataLoader over tensors (TensorDataset, shuffle=True) + eager step",
    2: "PyTorch eager, data on device, randperm index batches",
    3: "PyTorch torch.compile(step)",
    4: "PyTorch torch.func vmap over N models",
    5: "jaxdl jit(train_step) + Python loop over batches",
    6: "jaxdl fit (one compiled epoch: scan over batches)",
    7: "jaxdl fit_many (vmap over N models)",
    8: "N jaxdl fits one after another",
    9: "jaxdl fit_many over N learning rates, one seed (shared batches)",
    10: "N jaxdl fits over N learning rates, one after another",
}
MULTI_MODEL = (4, 7, 8, 9, 10)
"""Contestants that train N models; the others train one."""

EpochFn = Callable[[], tuple[float, int]]
"""Runs one epoch; returns (test accuracy in [0, 1], optimizer steps taken)."""


@dataclasses.dataclass
class Measurement:
    """The timings of one contestant on one workload at one precision with ``models`` models.

    ``epoch_times`` holds wall seconds per epoch; the first is the warm-up. ``test_acc`` is the
    final test accuracy (the mean over models). ``error`` is set, and the times are empty,
    when the contestant could not run.
    """

    contestant: int
    workload: str
    precision: str
    models: int
    train_size: int
    epoch_times: list[float] = dataclasses.field(default_factory=list)
    test_acc: float = float("nan")
    steps_per_epoch: int = 0
    error: str | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        """Whether the contestant ran and was timed."""
        return self.error is None and len(self.epoch_times) >= 2

    @property
    def warmup_s(self) -> float:
        """Seconds of the first epoch (compilation included)."""
        return self.epoch_times[0]

    @property
    def steady_s(self) -> float:
        """Median seconds of the epochs after the first."""
        return statistics.median(self.epoch_times[1:])

    @property
    def images_per_s(self) -> float:
        """Training images per second in steady state, summed over the ``models`` models."""
        return self.models * self.train_size / self.steady_s

    def to_json(self) -> dict:
        """A JSON-ready dict with the derived numbers included."""
        row = dataclasses.asdict(self)
        row["name"] = CONTESTANTS[self.contestant]
        if self.ok:
            row.update(warmup_s=self.warmup_s, steady_s=self.steady_s, images_per_s=self.images_per_s)
        return row


def time_epochs(epoch: EpochFn, epochs: int) -> tuple[list[float], float, int]:
    """Call ``epoch`` ``epochs`` times; return the wall seconds of each, the last accuracy and step count.

    >>> times, acc, steps = time_epochs(lambda: (0.5, 3), 2)
    >>> len(times), acc, steps
    (2, 0.5, 3)
    """
    times, acc, steps = [], float("nan"), 0
    for _ in range(epochs):
        start = time.perf_counter()
        acc, steps = epoch()
        times.append(time.perf_counter() - start)
    return times, acc, steps


def failure(
    contestant: int, workload: str, precision: str, models: int, train_size: int, err: BaseException
) -> Measurement:
    """A row for a contestant that raised ``err``: ``error`` is ``"<Type>: <first line>"``."""
    lines = str(err).strip().splitlines()
    reason = f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return Measurement(contestant, workload, precision, models, train_size, error=reason[:200])
