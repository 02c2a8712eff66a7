"""``torch.optim.swa_utils.AveragedModel`` as a pure ``(init, update)`` pair over flax variables.

PyTorch's ``AveragedModel`` holds a copy of the model and ``update_parameters(model)`` folds
the model's current weights into it. Here the averaged weights are a :class:`AveragedState`
(a pytree of arrays: jit/scan/vmap friendly) and ``update(state, variables)`` returns the next
one. ``variables`` is a flax variables dict (``{"params": ..., "batch_stats": ...}``) or a
``TrainState`` (its ``params`` and ``batch_stats`` are used).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl import _checks

AvgFn = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]
MultiAvgFn = Callable[[list, list, jax.Array], list]


def _lerp(start: jax.Array, end: jax.Array, weight: ArrayLike) -> jax.Array:
    """``torch.lerp``: ``start + weight * (end - start)``, from the end when ``weight >= 0.5``."""
    weight = jnp.asarray(weight, start.dtype)
    return jnp.where(jnp.abs(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """PyTorch's EMA: ``ema = decay * ema + (1 - decay) * model`` (as ``torch.lerp`` with ``1 - decay``).

    >>> fn = get_ema_multi_avg_fn(0.9)
    >>> [round(float(v), 6) for v in fn([jnp.ones(())], [jnp.zeros(())], 1)]
    [0.9]
    """
    decay = _checks.number("get_ema_multi_avg_fn", "decay", decay, low=0.0, high=1.0)
    return lambda averaged, current, n: [_lerp(a, c, 1 - decay) for a, c in zip(averaged, current, strict=True)]


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """PyTorch's multi-tensor SWA: ``torch.lerp(avg, model, 1 / (n + 1))``, the weight in float32 as torch has it.

    >>> fn = get_swa_multi_avg_fn()
    >>> [float(v) for v in fn([jnp.zeros(())], [jnp.ones(())], 3)]
    [0.25]
    """

    def update(averaged: list, current: list, n: jax.Array) -> list:
        weight = 1 / (jnp.asarray(n, jnp.float32) + 1)  # torch: 1 / (n_averaged + 1), a float32 tensor
        return [_lerp(a, c, weight) for a, c in zip(averaged, current, strict=True)]

    return update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """PyTorch's per-tensor EMA: ``decay * ema + (1 - decay) * model``.

    >>> float(get_ema_avg_fn(0.5)(jnp.ones(()), jnp.zeros(()), 1))
    0.5
    """
    decay = _checks.number("get_ema_avg_fn", "decay", decay, low=0.0, high=1.0)
    return lambda averaged, current, n: decay * averaged + (1 - decay) * current


def get_swa_avg_fn() -> AvgFn:
    """PyTorch's per-tensor SWA (its default on CPU): ``avg + (model - avg) / (n + 1)``.

    >>> float(get_swa_avg_fn()(jnp.zeros(()), jnp.ones(()), 3))
    0.25
    """
    return lambda averaged, current, n: averaged + (current - averaged) / (jnp.asarray(n, averaged.dtype) + 1)


class AveragedState(NamedTuple):
    """The averaged model: flax variables and how many models went into them.

    Attributes:
        variables: ``{"params": ..., "batch_stats": ...}`` (the collections of the model);
            use them as ``model.apply(state.variables, x, train=False)``.
        n_averaged: int32 scalar, PyTorch's ``n_averaged``.
    """

    variables: Mapping[str, Any]
    n_averaged: jax.Array


class AveragedModel(NamedTuple):
    """A pure pair: ``init(variables) -> state`` and ``update(state, variables) -> state``."""

    init: Callable[[Any], AveragedState]
    update: Callable[[AveragedState, Any], AveragedState]


def _as_variables(variables: Any) -> dict[str, Any]:
    if hasattr(variables, "params") and hasattr(variables, "apply_fn"):  # a TrainState
        out = {"params": variables.params}
        if getattr(variables, "batch_stats", None):
            out["batch_stats"] = variables.batch_stats
        return out
    if not isinstance(variables, Mapping) or "params" not in variables:
        raise _checks.fail(
            "averaged_model",
            "variables",
            variables,
            "flax variables ({'params': ..., 'batch_stats': ...}) or a TrainState",
            got=type(variables).__name__,
        )
    return dict(variables)


def _each_array(avg_fn: AvgFn) -> MultiAvgFn:
    """``avg_fn`` applied to each pair of arrays of the two lists."""
    return lambda averaged, current, n: [avg_fn(a, c, n) for a, c in zip(averaged, current, strict=True)]


def averaged_model(
    avg_fn: AvgFn | None = None, multi_avg_fn: MultiAvgFn | None = None, use_buffers: bool = False
) -> AveragedModel:
    """``AveragedModel``: SWA (default) or EMA averages of a model's weights, PyTorch's numbers.

    The first ``update`` copies the model; later ones fold it in with ``avg_fn(avg, model, n)``
    per array, or ``multi_avg_fn(avgs, models, n) -> new avgs`` over the lists of arrays
    (e.g. :func:`get_ema_multi_avg_fn`), or by default the equal-weight average
    ``avg + (model - avg) / (n + 1)`` (PyTorch's formula on CPU). With ``use_buffers`` the
    batch-norm statistics (every collection but ``params``) are averaged too; without it they
    are copied from the model at each update (then run :func:`update_bn` at the end).

    >>> swa = averaged_model()
    >>> state = swa.init({"params": {"w": jnp.zeros(2)}})
    >>> for w in (1.0, 2.0, 6.0):
    ...     state = swa.update(state, {"params": {"w": jnp.full(2, w)}})
    >>> state.variables["params"]["w"].tolist(), int(state.n_averaged)
    ([3.0, 3.0], 3)
    """
    where = "averaged_model"
    if avg_fn is not None and multi_avg_fn is not None:
        raise _checks.fail(where, "multi_avg_fn", multi_avg_fn, "None when avg_fn is given (give one of them)")
    for arg, fn in (("avg_fn", avg_fn), ("multi_avg_fn", multi_avg_fn)):
        if fn is not None and not callable(fn):
            raise _checks.fail(where, arg, fn, "a function (averaged, current, n_averaged)")
    use_buffers = _checks.choice(where, "use_buffers", use_buffers, (True, False))
    fold = _each_array(avg_fn or get_swa_avg_fn()) if multi_avg_fn is None else multi_avg_fn

    def init(variables: Any) -> AveragedState:
        variables = jax.tree.map(jnp.zeros_like, _as_variables(variables))
        return AveragedState(variables, jnp.zeros((), jnp.int32))

    def update(state: AveragedState, variables: Any) -> AveragedState:
        current = _as_variables(variables)
        averaged = dict(state.variables)
        for name in current:
            if name != "params" and not use_buffers:
                averaged[name] = current[name]
                continue
            leaves, tree = jax.tree.flatten(averaged[name])
            model = [jnp.asarray(c, a.dtype) for a, c in zip(leaves, tree.flatten_up_to(current[name]), strict=True)]
            folded = fold(leaves, model, state.n_averaged)
            chosen = [
                jnp.where(state.n_averaged == 0, m, jnp.asarray(f, m.dtype)) for m, f in zip(model, folded, strict=True)
            ]
            averaged[name] = jax.tree.unflatten(tree, chosen)
        return AveragedState(averaged, state.n_averaged + 1)

    return AveragedModel(init, update)
