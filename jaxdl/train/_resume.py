"""Continuing a run: check that a saved state and history fit the model, optimizer and data.

``fit(..., initial=result)`` goes on from ``result`` as if training had never stopped:
the state carries the parameters, the optimizer moments, the batch-norm statistics, the
step count and the key for shuffling and dropout, so epoch ``k + 1`` draws the same
permutation and dropout masks in both cases.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxdl._checks import fail
from jaxdl.checkpoint import SavedRun
from jaxdl.errors import ConfigError
from jaxdl.train._state import ModelApply, TrainState, create_train_state, init_with_output


class Progress(Protocol):
    """What ``fit(initial=...)`` continues from: a ``FitResult`` or anything with these two fields."""

    state: TrainState
    history: dict[str, list[float]]


def _path(path: tuple) -> str:
    return "/".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path)


def _abstract_init(model: nn.Module, shape: tuple[int, ...], dtype) -> Any:
    def init(x):
        key = jax.random.key(0)
        return init_with_output(model, {"params": key, "dropout": key}, x)[1]

    return jax.eval_shape(init, jax.ShapeDtypeStruct(shape, dtype))


_cached_init = functools.lru_cache(maxsize=16)(_abstract_init)
_copy_arrays = jax.jit(lambda tree: jax.tree.map(jnp.copy, tree))


def _variable_shapes(model: nn.Module, shape: tuple[int, ...], dtype) -> Any:
    """Shapes of ``model.init`` on inputs of ``shape``; cached, as tracing ``init`` costs ~0.1 s per chunk."""
    try:
        return _cached_init(model, shape, dtype)
    except TypeError:  # an unhashable module: trace every time
        return _abstract_init(model, shape, dtype)


def own_buffers(state: TrainState) -> TrainState:
    """``state`` with every array in a buffer of its own.

    The compiled epoch donates (reuses) the state's buffers, which fails when two fields
    share one (an optimizer may init two moments with the same zeros) and would delete
    arrays the caller still holds; a copy avoids both.
    """
    fields = ("params", "opt_state", "batch_stats", "key", "step")
    arrays = _copy_arrays({name: getattr(state, name) for name in fields})
    return state.replace(**arrays)


def epochs_done(history: dict[str, list[float]]) -> int:
    """Number of epochs in ``history``; raises if its lists have different lengths."""
    lengths = {k: len(v) for k, v in history.items()}
    if len(set(lengths.values())) > 1:
        raise fail(
            "fit",
            "initial.history",
            history,
            "lists of one value per epoch",
            got=f"lists of different lengths {lengths}",
        )
    return next(iter(lengths.values()), 0)


def check_state(
    state: Any, model: nn.Module, optimizer: optax.GradientTransformation, sample_x: jax.Array
) -> TrainState:
    """Return a copy of ``state`` bound to ``model`` and ``optimizer`` if its array shapes match theirs.

    Args:
      state: a :class:`TrainState`, e.g. from a previous ``fit`` or a checkpoint.
      sample_x: one input example batch (1, ...) as the model sees it.

    Raises:
      ConfigError: naming the first array whose shape differs, e.g. a state
        trained on 64 features given 10-feature data.

    >>> import optax, jax.numpy as jnp
    >>> from jaxdl.models import SoftmaxRegression
    >>> s = create_train_state(SoftmaxRegression(3), optax.sgd(0.1), jnp.ones((1, 4)), key=jax.random.key(0))
    >>> int(check_state(s, SoftmaxRegression(3), optax.sgd(0.1), jnp.ones((1, 4))).step)
    0
    """
    if not isinstance(state, TrainState):
        raise fail("fit", "initial.state", state, "a jaxdl TrainState (FitResult.state)", got=type(state).__name__)
    state = state.replace(apply_fn=ModelApply(model), tx=optimizer)
    variables = _variable_shapes(model, tuple(sample_x.shape), jax.numpy.dtype(sample_x.dtype))
    params, batch_stats = variables["params"], variables.get("batch_stats", {})
    expected = {"params": params, "batch_stats": batch_stats, "opt_state": jax.eval_shape(optimizer.init, params)}
    have = dict(
        jax.tree_util.tree_flatten_with_path(
            {"params": state.params, "batch_stats": state.batch_stats, "opt_state": state.opt_state}
        )[0]
    )
    want = dict(jax.tree_util.tree_flatten_with_path(expected)[0])
    if set(have) != set(want):
        missing = sorted(_path(p) for p in set(want) - set(have))
        extra = sorted(_path(p) for p in set(have) - set(want))
        raise ConfigError(
            f"initial.state does not fit {type(model).__name__} with this optimizer: it lacks {missing or 'nothing'} "
            f"and has extra {extra or 'nothing'}. Was it trained with another model or optimizer?"
        )
    for path, leaf in want.items():
        got, exp = tuple(np.shape(have[path])), tuple(leaf.shape)
        if got != exp:
            raise ConfigError(
                f"initial.state has {_path(path)} of shape {got}, but {type(model).__name__} on inputs of shape "
                f"{tuple(sample_x.shape[1:])} needs {exp}: it was trained on other inputs or another model."
            )
    return own_buffers(state)


def resume_point(
    initial: Progress | SavedRun,
    model: nn.Module,
    optimizer: optax.GradientTransformation,
    sample_x: jax.Array,
    *,
    epochs: int,
) -> tuple[TrainState, dict[str, list[float]], int]:
    """``(state, history, first epoch to run)`` for ``fit(..., initial=initial, epochs=epochs)``.

    ``initial`` is a previous ``FitResult`` or a :class:`jaxdl.checkpoint.SavedRun`. The
    state is a copy bound to ``model`` and ``optimizer`` (``fit`` donates its buffers, so
    ``initial`` stays usable); the history lists are copies too.

    Raises:
      ConfigError: ``initial`` does not fit (see :func:`check_state`) or already has more
        than ``epochs`` epochs.
    """
    if not isinstance(getattr(initial, "history", None), dict) or not hasattr(initial, "state"):
        raise fail("fit", "initial", initial, "a FitResult or a jaxdl.checkpoint.SavedRun to continue from")
    done = epochs_done(initial.history)
    if done > epochs:
        raise fail("fit", "epochs", epochs, f"at least the {done} epochs initial has run (epochs counts the whole run)")
    state = initial.state
    if isinstance(initial, SavedRun):
        state = initial.state(like=create_train_state(model, optimizer, sample_x, key=jax.random.key(0)))
    state = check_state(state, model, optimizer, sample_x)
    return state, {k: list(v) for k, v in initial.history.items()}, done + 1
