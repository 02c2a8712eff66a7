"""One optimizer step and one evaluation step on a batch (possibly padded, with 0/1 row weights)."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jaxdl import _checks
from jaxdl.train._objective import Objective, masked_mean, objective_of
from jaxdl.train._state import TrainState, key_of
from jaxdl.transforms import Transform

Batch = tuple[jax.Array, jax.Array, jax.Array]
"""``(x (B, ...), y (B, ...), weight (B,))``; weight 0 marks padding rows."""

TRANSFORM_STREAM = 1
"""Folded into a step's key to get the key of its training transform."""


def _weighted(batch: Sequence[jax.Array], where: str) -> Batch:
    """``(x, y, weight)`` from ``(x, y)`` (every row real) or ``(x, y, weight)``."""
    if not isinstance(batch, Sequence) or len(batch) not in (2, 3):
        got = f"{len(batch)} arrays" if isinstance(batch, Sequence) else f"a {type(batch).__name__}"
        raise _checks.fail(where, "batch", batch, "a pair (x, y) or a triple (x, y, weight)", got=got)
    if len(batch) == 2:
        x, y = batch
        return x, y, jnp.ones(jnp.shape(x)[:1], jnp.float32)
    x, y, weight = batch
    return x, y, jnp.asarray(weight, jnp.float32)


def train_step(
    state: TrainState,
    batch: Sequence[jax.Array],
    *,
    objective: Objective | None = None,
    transform: Transform | None = None,
) -> tuple[TrainState, dict]:
    """Take one gradient step on the mean loss over the real rows of ``batch``.

    Dropout uses a fresh key split from ``state.key``; batch-norm statistics are updated
    from the real rows only. Jit it for speed (``jax.jit(train_step)``), as ``fit`` does.

    Args:
      state: from :func:`~jaxdl.train.create_train_state`.
      batch: ``(x (B, ...), y (B,))``, e.g. from :class:`~jaxdl.data.DataLoader`, or
        ``(x, y, weight (B,))`` where weight 0 marks padding rows that do not count.
      objective: the loss and task (:func:`~jaxdl.train.objective_for`); None picks what ``fit``
        picks: the model's loss, else cross-entropy for integer ``y`` and MSE for float ``y``.
      transform: a training transform (e.g. a random flip) applied to ``x`` first, with the key
        ``fold_in(state.key, TRANSFORM_STREAM)``.

    Returns:
      the new state and the batch's metric sums (``loss``; ``acc`` for classifiers, ``mse`` for
      regressors) with the row ``count``: divide by ``count`` for means.

    >>> from jaxdl import models, optim
    >>> from jaxdl.train import create_train_state
    >>> s = create_train_state(models.SoftmaxRegression(3), optim.sgd(lr=0.1), jnp.ones((1, 4)), key=jax.random.key(0))
    >>> s, sums = train_step(s, (jnp.ones((8, 4)), jnp.zeros(8, jnp.int32)))
    >>> int(s.step), float(sums["count"])
    (1, 8.0)
    """
    x, y, weight = _weighted(batch, "train_step")
    objective = objective_of(state.apply_fn, y, objective, where="train_step")
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


def eval_step(
    state: TrainState,
    batch: Sequence[jax.Array],
    *,
    objective: Objective | None = None,
    transform: Transform | None = None,
) -> dict:
    """Metric sums over the real rows of ``batch`` in evaluation mode (no dropout, running BN stats).

    ``batch``, ``objective`` and the result are as for :func:`train_step`; ``transform`` must be
    deterministic (it gets ``key=None``), e.g. a resize.
    """
    x, y, weight = _weighted(batch, "eval_step")
    objective = objective_of(state.apply_fn, y, objective, where="eval_step")
    if transform is not None:
        x = transform(x, key=None)
    outputs = state.apply_fn({"params": state.params, "batch_stats": state.batch_stats}, x, train=False)
    return _sums(objective.per_example(outputs, y), weight)


def _sums(metrics: dict, weight: jax.Array) -> dict:
    sums = {name: (value * weight).sum() for name, value in metrics.items()}
    sums["count"] = weight.sum()
    return sums
