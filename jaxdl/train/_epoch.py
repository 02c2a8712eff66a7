"""A whole epoch as one compiled program: permute indices, ``lax.scan`` over batches.

The dataset stays on the device; each step gathers its batch by index. The last partial
batch is padded to full size with weight 0, so every example is seen once per epoch, the
loss is the mean over real rows only, and every step has the same shape (one compile).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding

from jaxdl import _checks
from jaxdl._checks import ceil_div
from jaxdl.data import permutation
from jaxdl.parallel import constrain, replicated_like
from jaxdl.train._objective import Objective, objective_of
from jaxdl.train._state import TrainState, key_of
from jaxdl.train._step import eval_step, train_step
from jaxdl.train._validate import check_inputs
from jaxdl.train._xla import TrainerJit
from jaxdl.transforms import Transform


def batch_plan(order: jax.Array, batch_size: int) -> tuple[jax.Array, jax.Array]:
    """Split example indices (N,) into (num_batches, batch_size) indices and 0/1 weights.

    How a compiled epoch batches: every batch has the same shape, so the last one is padded
    with index 0 and weight 0. A padded row is computed but does not count (the loss is the
    mean over rows of weight 1, batch norm ignores it), so each example is seen once. For a
    loop of your own, :class:`~jaxdl.data.DataLoader` gives the batches without padding.

    >>> idx, w = batch_plan(jnp.arange(5), 2)
    >>> idx.tolist(), w.tolist()
    ([[0, 1], [2, 3], [4, 0]], [[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    """
    batch_size = _checks.positive_int("batch_plan", "batch_size", batch_size)
    n = order.shape[0]
    num_batches = ceil_div(n, batch_size)
    pad = num_batches * batch_size - n
    idx = jnp.concatenate([order, jnp.zeros((pad,), order.dtype)]).reshape(num_batches, batch_size)
    weight = (jnp.arange(num_batches * batch_size) < n).astype(jnp.float32).reshape(num_batches, batch_size)
    return idx, weight


def _finish(step_sums: dict) -> dict:
    """Per-step sums (num_batches,) → epoch means, plus the first step with a non-finite loss (-1 if none)."""
    totals = {k: v.sum() for k, v in step_sums.items()}
    count = totals.pop("count")
    metrics = {k: v / count for k, v in totals.items()}
    bad = ~jnp.isfinite(step_sums["loss"])
    metrics["nonfinite_step"] = jnp.where(bad.any(), jnp.argmax(bad), -1)
    return metrics


def train_epoch_fn(
    state: TrainState,
    X: jax.Array,
    y: jax.Array,
    *,
    batch_size: int,
    objective: Objective | None = None,
    transform: Transform | None = None,
    batch_sharding: NamedSharding | None = None,
) -> tuple[TrainState, dict]:
    """One shuffled pass over (X (N, ...), y (N, ...)).

    ``train_epoch`` is this function compiled (``batch_size``, ``objective``, ``transform`` and
    ``batch_sharding`` static) and consumes ``state``: its buffers are donated, so carry on with the
    returned state, as ``state, metrics = train_epoch(state, X, y, batch_size=64)``. ``train_epoch.fn``
    is the plain function, to vmap or to call inside a compiled program of your own.

    ``objective`` is as for :func:`~jaxdl.train.train_step` (None: what ``fit`` picks).

    ``transform`` augments each training batch with a key of its own (see :func:`train_step`).
    ``batch_sharding`` (see :mod:`jaxdl.parallel`) splits each gathered batch over a device
    mesh, and keeps the returned state replicated on it: data parallelism, same numbers.
    Returns the new state and the epoch's mean ``loss`` (and ``acc``) over the examples
    as seen during training, and ``nonfinite_step``.
    """
    objective = objective_of(state.apply_fn, y, objective, where="train_epoch")
    key, perm_key = jax.random.split(key_of(state))
    idx, weight = batch_plan(permutation(perm_key, X.shape[0]), batch_size)

    def body(state, plan):
        rows, w = plan
        batch = constrain((X[rows], y[rows], w), batch_sharding)
        return train_step(state, batch, objective=objective, transform=transform)

    state, step_sums = jax.lax.scan(body, state.replace(key=key), (idx, weight))
    if batch_sharding is not None:
        state = constrain(state, replicated_like(batch_sharding))
    return state, _finish(step_sums)


def evaluate_fn(
    state: TrainState,
    X: jax.Array,
    y: jax.Array,
    *,
    batch_size: int = 256,
    objective: Objective | None = None,
    transform: Transform | None = None,
    batch_sharding: NamedSharding | None = None,
) -> dict:
    """Mean ``loss`` (and ``acc``) over all of (X (N, ...), y (N, ...)) in evaluation mode.

    ``evaluate`` is this function compiled (the keyword arguments static); ``evaluate.fn`` is the plain
    function, to vmap or to call inside a compiled program of your own.

    ``objective`` is as for :func:`~jaxdl.train.train_step` (None: what ``fit`` picks);
    ``transform`` is a deterministic one (e.g. the resize the model was trained with);
    ``batch_sharding`` splits each batch over a device mesh as in :func:`train_epoch_fn`.
    Inputs that do not fit the state's parameters raise a ``ConfigError`` while tracing.
    """
    objective = objective_of(state.apply_fn, y, objective, where="evaluate")
    _checks.positive_int("evaluate", "batch_size", batch_size)
    check_inputs("evaluate", state, X, transform, y, objective.task)
    idx, weight = batch_plan(jnp.arange(X.shape[0]), batch_size)

    def body(_, plan):
        rows, w = plan
        batch = constrain((X[rows], y[rows], w), batch_sharding)
        return None, eval_step(state, batch, objective=objective, transform=transform)

    _, step_sums = jax.lax.scan(body, None, (idx, weight))
    metrics = _finish(step_sums)
    del metrics["nonfinite_step"]
    return metrics


@functools.wraps(train_epoch_fn)
def _checked_train_epoch(state: TrainState, X: jax.Array, y: jax.Array, *, batch_size: int, **kwargs) -> tuple:
    """:func:`train_epoch_fn` after the checks a caller of its own gets (``fit`` has checked its data already, so
    its programs call ``train_epoch_fn`` without them)."""
    _checks.positive_int("train_epoch", "batch_size", batch_size)
    objective = objective_of(state.apply_fn, y, kwargs.get("objective"), where="train_epoch")
    transform = kwargs.get("transform")
    check_inputs("train_epoch", state, X, transform and transform.deterministic_part(), y, objective.task)
    return train_epoch_fn(state, X, y, batch_size=batch_size, **kwargs)


train_epoch = TrainerJit(
    _checked_train_epoch, static_argnames=("batch_size", "objective", "transform", "batch_sharding"), donate_argnums=0
)
evaluate = TrainerJit(evaluate_fn, static_argnames=("batch_size", "objective", "transform", "batch_sharding"))
