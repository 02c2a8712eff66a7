"""Seeded train/held-out splits: stratified for classes, exactly as scikit-learn's ``train_test_split`` does.

``split_indices(y, n_held, seed)`` reproduces ``train_test_split(..., test_size=n_held,
stratify=y, random_state=seed)`` (``StratifiedShuffleSplit``) for class labels and
``ShuffleSplit`` for real targets, index for index, without importing scikit-learn.
:func:`split` carves a validation part out of a :class:`Dataset`'s training examples.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from jaxdl import _checks
from jaxdl.data._dataset import Dataset, to_device


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """Per-class draws summing to ``n_draws``, proportional to ``class_counts`` (ties broken by ``rng``)."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            floored[rng.choice(inds, size=add_now, replace=False)] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)


def split_indices(y: np.ndarray | None, n: int, n_held: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(kept, held)`` index arrays of ``n`` examples, ``n_held`` of them held out.

    Stratified by the labels ``y`` (N,) when given, a plain shuffle when ``y`` is ``None``;
    both orders are shuffled, as scikit-learn's are.

    >>> kept, held = split_indices(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 8, 2, seed=0)
    >>> sorted(np.array([0, 0, 0, 0, 1, 1, 1, 1])[held].tolist())
    [0, 1]
    """
    rng = np.random.RandomState(seed if seed < 2**32 else np.random.SeedSequence(seed).generate_state(1)[0])
    n_kept = n - n_held
    if y is None:
        order = rng.permutation(n)
        return order[n_held:], order[:n_held]
    _, y_indices, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    class_indices = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(class_counts)[:-1])
    n_i = _approximate_mode(class_counts, n_kept, rng)
    t_i = _approximate_mode(class_counts - n_i, n_held, rng)
    kept, held = [], []
    for i, indices in enumerate(class_indices):
        shuffled = indices.take(rng.permutation(class_counts[i]), mode="clip")
        kept.extend(shuffled[: n_i[i]])
        held.extend(shuffled[n_i[i] : n_i[i] + t_i[i]])
    return rng.permutation(np.asarray(kept, np.int64)), rng.permutation(np.asarray(held, np.int64))


def split(ds: Dataset, val: float = 0.1, *, seed: int = 0) -> Dataset:
    """Hold out a fraction ``val`` of ``ds``'s training examples as its validation part.

    Like ``train_test_split(X, y, test_size=val, stratify=y, random_state=seed)``: each class
    keeps its share in both parts (real targets are shuffled plainly). The test part, the
    class names and the standardizers stay as they were (the standardizers were fitted on
    the whole training part, validation rows included).

    Args:
      ds: a :class:`Dataset` without a ``val`` part.
      val: the fraction held out, in (0, 1).
      seed: seeds the shuffle (below 2**32 exactly as scikit-learn's ``random_state``).

    Returns:
      A :class:`Dataset` whose ``train`` is the rest and whose ``val`` is ``(X, y)`` of the
      ``ceil(val * N)`` held-out examples.

    Raises:
      ConfigError: ``ds`` is not a Dataset or already has a val part, ``val`` is not in (0, 1),
        ``seed`` is not an int, or a part would be empty.

    >>> from jaxdl import data
    >>> parts = split(data.load("digits"), val=0.1)
    >>> parts.train[0].shape, parts.val[0].shape
    ((1293, 8, 8, 1), (144, 8, 8, 1))
    """
    if not isinstance(ds, Dataset):
        raise _checks.fail(
            "split",
            "ds",
            ds,
            "a jaxdl.data.Dataset (build one with jaxdl.data.from_arrays or jaxdl.data.load)",
            got=type(ds).__name__,
        )
    if ds.val is not None:
        raise _checks.fail(
            "split", "ds", ds, "a Dataset without a val part (split it once)", got=f"{ds.name!r}, split already"
        )
    _checks.number("split", "val", val, low=0.0, high=1.0, low_open=True, high_open=True)
    seed = _checks.integer("split", "seed", seed, low=0)
    if seed >= 2**63:
        raise _checks.fail("split", "seed", seed, "an integer in [0, 2**63 - 1]")
    X, y = np.asarray(ds.train[0]), np.asarray(ds.train[1])
    n = len(X)
    n_held = math.ceil(val * n)
    if not 0 < n_held < n:
        raise _checks.fail(
            "split", "val", val, f"a fraction that leaves both parts of the {n} training examples non-empty"
        )
    kept, held = split_indices(y if ds.num_classes is not None else None, n, n_held, seed)
    return dataclasses.replace(
        ds,
        train=(to_device(X[kept]), to_device(y[kept])),
        val=(to_device(X[held]), to_device(y[held])),
    )
