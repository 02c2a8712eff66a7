"""``torch.optim.swa_utils.update_bn``: batch-norm statistics recomputed for averaged weights."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxdl import _checks
from jaxdl.models import BatchNorm
from jaxdl.train import apply_model


def _batches(loader: Any, batch_size: int | None) -> Iterator[ArrayLike]:
    """The input batches of ``loader``: a Dataset's training inputs, an array, or an iterable of batches."""
    if hasattr(loader, "train") and hasattr(loader, "test"):  # a jaxdl Dataset
        loader = loader.train[0]
    if isinstance(loader, (jax.Array, np.ndarray)):
        if batch_size is None:
            raise _checks.fail(
                "update_bn", "batch_size", None, "an integer >= 1 when the data is an array or a Dataset"
            )
        batch_size = _checks.positive_int("update_bn", "batch_size", batch_size)
        return (loader[i : i + batch_size] for i in range(0, loader.shape[0], batch_size))
    if not isinstance(loader, Iterable):
        raise _checks.fail(
            "update_bn", "loader", loader, "a Dataset, an array or an iterable of batches", got=type(loader).__name__
        )
    return (b[0] if isinstance(b, (list, tuple)) else b for b in loader)


def _cumulative(factor: jax.Array):
    """An interceptor that gives every batch-norm layer the weight ``factor`` for this batch."""

    def intercept(next_fun, args, kwargs, context):
        module = context.module
        if context.method_name == "__call__" and isinstance(module, BatchNorm):
            object.__setattr__(module, "momentum", factor)  # torch: running = (1 - f) running + f batch
        elif context.method_name == "__call__" and isinstance(module, nn.BatchNorm):
            object.__setattr__(module, "momentum", 1 - factor)  # flax: running = m running + (1 - m) batch
        return next_fun(*args, **kwargs)

    return intercept


def update_bn(
    loader: Any, model: nn.Module, variables: Any, *, batch_size: int | None = None, key: jax.Array | None = None
) -> dict[str, Any]:
    """Recompute the batch-norm running statistics of ``variables`` with one pass over ``loader``.

    As PyTorch's ``update_bn`` (momentum ``None``): the statistics are reset (mean 0, var 1),
    then each batch runs through ``model`` in training mode and the running mean/var become the
    plain average of the batches' statistics (batch ``k`` weighs ``1 / k`` into the running
    value). Use it on SWA/EMA weights (:func:`averaged_model`), whose averaged statistics do not
    belong to the averaged parameters. Works for :class:`jaxdl.models.BatchNorm` and
    ``flax.linen.BatchNorm`` (the model must pass ``train`` to it).

    Args:
      loader: a :class:`jaxdl.data.Dataset` (its training inputs), an array (N, ...) cut into
        ``batch_size`` batches in order, or an iterable of batches (arrays, or tuples whose
        first element is the input, as a torch ``DataLoader`` yields).
      model: the flax module.
      variables: ``{"params": ..., "batch_stats": ...}`` (e.g. ``AveragedState.variables``).
      batch_size: batch size when ``loader`` is an array or a Dataset.
      key: dropout key, for models with dropout (PyTorch runs them in training mode too).

    Returns:
      ``variables`` with new ``batch_stats`` (unchanged when the model has none).

    >>> from jaxdl.models import MLP
    >>> m = MLP(hidden=(4,), num_classes=2, batch_norm=True)
    >>> v = m.init(jax.random.key(0), jnp.ones((1, 3)), train=False)
    >>> x = jnp.arange(12.0).reshape(4, 3)
    >>> new = update_bn(x, m, v, batch_size=2)
    >>> sorted(new) == sorted(v)
    True
    """
    variables = dict(variables)
    stats = variables.get("batch_stats")
    if not stats:
        return variables
    variables["batch_stats"] = jax.tree_util.tree_map_with_path(
        lambda path, v: jnp.ones_like(v) if "var" in str(path[-1]) else jnp.zeros_like(v), stats
    )
    rngs = {} if key is None else {"dropout": key}

    @jax.jit
    def step(variables: dict[str, Any], x: jax.Array, factor: jax.Array) -> Any:
        with nn.intercept_methods(_cumulative(factor)):
            _, mutated = apply_model(model, variables, x, train=True, mutable=["batch_stats"], rngs=rngs)
        return mutated["batch_stats"]

    dtype = jnp.result_type(*jax.tree.leaves(variables["batch_stats"]))  # 1/k in the statistics' precision
    for n, x in enumerate(_batches(loader, batch_size), start=1):
        variables["batch_stats"] = step(variables, jnp.asarray(x), jnp.asarray(1.0 / n, dtype))
    return variables
