"""The training state: parameters, optimizer state, batch-norm statistics and a PRNG key."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax.training import train_state

from jaxdl.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class ModelApply:
    """``model.apply`` that equals the ``apply`` of any equal model.

    A bound ``model.apply`` equals only itself, so every new but equal model would compile
    the epoch again; this compares the models' fields instead.
    """

    model: nn.Module

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.model.apply(*args, **model_kwargs(type(self.model), kwargs))


@functools.cache
def _accepted(module_type: type) -> frozenset[str] | None:
    """The keyword names ``module_type.__call__`` accepts (None: it takes ``**kwargs``)."""
    params = inspect.signature(module_type.__call__).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def model_kwargs(module_type: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without ``train``/``mask`` when the module's ``__call__`` does not take them.

    So any ``flax.linen.Module`` trains, also one written as ``__call__(self, x)``; the
    signature is inspected once per class.

    >>> import flax.linen as nn
    >>> sorted(model_kwargs(nn.Dense, {"train": True, "rngs": None}))
    ['rngs']
    """
    accepted = _accepted(module_type)
    if accepted is None:
        return kwargs
    return {k: v for k, v in kwargs.items() if k not in ("train", "mask") or k in accepted}


class TrainState(train_state.TrainState):
    """A flax ``TrainState`` that also carries ``batch_stats`` and the key for dropout/shuffling.

    Changes only through ``state.replace(...)`` / ``apply_gradients``; nothing mutates in place.
    """

    batch_stats: Any = None
    key: jax.Array | None = None


def key_of(state: TrainState) -> jax.Array:
    """``state.key``, the key of shuffling and dropout; a state made without one cannot train."""
    if state.key is None:
        raise ConfigError("this TrainState has no key (shuffling and dropout need one): use create_train_state.")
    return state.key


def create_train_state(
    model: nn.Module, optimizer: optax.GradientTransformation, sample_x: jax.Array, *, key: jax.Array
) -> TrainState:
    """Initialise ``model`` on ``sample_x`` (1, ...) and pair it with ``optimizer``.

    ``key`` is split into the parameter-init key, the init-time dropout key and the key the
    state carries for training (shuffling and dropout). ``step`` is an int32 array from the
    start, so the first compiled epoch is reused by every later one. The model's
    initialisation runs as one compiled program, shared by equal models (``fit_many``'s runs).

    >>> from jaxdl.models import SoftmaxRegression
    >>> s = create_train_state(SoftmaxRegression(3), optax.sgd(0.1), jnp.ones((1, 4)), key=jax.random.key(0))
    >>> s.params["Linear_0"]["kernel"].shape
    (4, 3)
    """
    init_key, dropout_key, train_key = jax.random.split(key, 3)
    try:
        variables = _init_variables(model, init_key, dropout_key, sample_x)
    except TypeError:  # an unhashable module (e.g. a list field): initialise without the cached program
        variables = _init_uncompiled(model, init_key, dropout_key, sample_x)
    state = TrainState.create(
        apply_fn=ModelApply(model),
        params=variables["params"],
        tx=optimizer,
        batch_stats=variables.get("batch_stats", {}),
        key=train_key,
    )
    return state.replace(step=jnp.zeros((), jnp.int32))


def _init_uncompiled(model: nn.Module, init_key: jax.Array, dropout_key: jax.Array, sample_x: jax.Array) -> Any:
    """``model.init`` in evaluation mode with the parameter and dropout keys."""
    return model.init(
        {"params": init_key, "dropout": dropout_key}, sample_x, **model_kwargs(type(model), {"train": False})
    )


@functools.partial(jax.jit, static_argnums=0)
def _init_variables(model: nn.Module, init_key: jax.Array, dropout_key: jax.Array, sample_x: jax.Array) -> Any:
    """``model.init`` as one compiled program, reused by every equal model and input shape."""
    return _init_uncompiled(model, init_key, dropout_key, sample_x)
