"""One optimizer step and one evaluation step on a (possibly padded) batch."""

from __future__ import annotations

import jax

from jaxdl.train._objective import Objective, masked_mean
from jaxdl.train._state import TrainState, key_of
from jaxdl.transforms import Transform

Batch = tuple[jax.Array, jax.Array, jax.Array]
"""``(x (B, ...), y (B, ...), weight (B,))``; weight 0 marks padding rows."""

TRANSFORM_STREAM = 1
"""Folded into a step's key to get the key of its training transform."""


def train_step(
    state: TrainState, batch: Batch, *, objective: Objective, transform: Transform | None = None
) -> tuple[TrainState, dict]:
    """Take one gradient step on the mean loss over the real rows of ``batch``.

    Dropout uses a fresh key split from ``state.key``; batch-norm statistics are updated
    from the real rows only. ``transform`` (e.g. a random flip) is applied to ``x`` first,
    with the key ``fold_in(state.key, TRANSFORM_STREAM)``. Returns the new state and
    per-batch metric sums (``loss``, ``acc`` for classifiers) with the row ``count``.
    """
    x, y, weight = batch
    if transform is not None:
        x = transform(x, key=jax.random.fold_in(key_of(state), TRANSFORM_STREAM))
    key, dropout_key = jax.random.split(key_of(state))

    def loss_fn(params):
        outputs, updates = state.apply_fn(
            {"params": params, "batch_stats": state.batch_stats},
            x,
            train=True,
            mask=weight,
            rngs={"dropout": dropout_key},
            mutable=["batch_stats"],
        )
        metrics = objective.per_example(outputs, y)
        return masked_mean(metrics["loss"], weight), (metrics, updates)

    (_, (metrics, updates)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    state = state.apply_gradients(grads=grads, batch_stats=updates.get("batch_stats", state.batch_stats), key=key)
    return state, _sums(metrics, weight)


def eval_step(state: TrainState, batch: Batch, *, objective: Objective, transform: Transform | None = None) -> dict:
    """Metric sums over the real rows of ``batch`` in evaluation mode (no dropout, running BN stats).

    ``transform`` must be deterministic (it gets ``key=None``), e.g. a resize.
    """
    x, y, weight = batch
    if transform is not None:
        x = transform(x, key=None)
    outputs = state.apply_fn({"params": state.params, "batch_stats": state.batch_stats}, x, train=False)
    return _sums(objective.per_example(outputs, y), weight)


def _sums(metrics: dict, weight: jax.Array) -> dict:
    sums = {name: (value * weight).sum() for name, value in metrics.items()}
    sums["count"] = weight.sum()
    return sums
