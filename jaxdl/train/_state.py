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

from jaxdl import _checks
from jaxdl.errors import ConfigError
from jaxdl.train._host_keys import host_key, threefry_keys
from jaxdl.train._xla import TrainerJit


@dataclasses.dataclass(frozen=True, eq=False)
class ModelApply:
    """``model.apply`` that equals the ``apply`` of any equal model, and is hashable.

    A bound ``model.apply`` equals only itself, so every new but equal model would compile
    the epoch again; this compares the models' fields instead. A model with unhashable fields
    (``nn.Sequential([...])`` holds a list) hashes by its type, so it can still be a static
    ``jit`` argument. Calls go through :func:`apply_model`.
    """

    model: nn.Module

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelApply) and type(other.model) is type(self.model) and other.model == self.model

    def __hash__(self) -> int:
        try:
            return hash(self.model)
        except TypeError:
            return hash(type(self.model))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return apply_model(self.model, *args, **kwargs)


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
    signature is inspected once per class. ``nn.Sequential`` forwards keywords to its first
    layer only, so :func:`apply_model` runs its layers itself.

    >>> import flax.linen as nn
    >>> sorted(model_kwargs(nn.Dense, {"train": True, "rngs": None}))
    ['rngs']
    """
    accepted = _accepted(module_type)
    if accepted is None:
        return kwargs
    return {k: v for k, v in kwargs.items() if k not in ("train", "mask") or k in accepted}


def apply_model(model: nn.Module, variables: Any, x: Any, *, train: bool = False, **kwargs: Any) -> Any:
    """``model.apply(variables, x, ...)`` in training or evaluation mode, for any linen module.

    A module whose ``__call__`` takes ``train`` (and ``mask``, the (B,) 0/1 weights of a padded
    batch) gets them; one without them is called with ``x`` alone. ``flax.linen.Sequential``
    (PyTorch's ``nn.Sequential``) runs layer by layer: ``nn.Dropout`` drops only in training,
    ``nn.BatchNorm`` uses batch statistics of the real rows in training and its running ones
    in evaluation, and plain functions (``nn.relu``, a ``lambda`` that flattens) get ``x``.
    Other keywords (``rngs``, ``mutable``, ``mask``) go to ``apply``.

    >>> import flax.linen as nn
    >>> model = nn.Sequential([nn.Dense(3), nn.relu, nn.Dropout(0.5), nn.Dense(2)])
    >>> state = create_train_state(model, optax.sgd(0.1), jnp.ones((1, 5)), key=jax.random.key(0))
    >>> apply_model(model, {"params": state.params}, jnp.ones((4, 5)), train=False).shape
    (4, 2)
    """
    if isinstance(model, nn.Sequential):
        mask = kwargs.pop("mask", None)
        return model.apply(variables, x, train, mask, method=_run_layers, **kwargs)
    return model.apply(variables, x, **model_kwargs(type(model), {"train": train, **kwargs}))


def _run_layers(module: nn.Sequential, x: Any, train: bool, mask: jax.Array | None) -> Any:
    """The layers of a bound ``nn.Sequential`` in order, each in ``train``'s mode (see :func:`apply_model`)."""
    if not module.layers:
        raise ConfigError("an empty nn.Sequential has no layers to train: give it a list of layers.")
    outputs = x
    for layer in module.layers:
        if isinstance(outputs, tuple):
            outputs = _call_layer(layer, outputs, {}, train, mask)
        elif isinstance(outputs, dict):
            outputs = _call_layer(layer, (), outputs, train, mask)
        else:
            outputs = _call_layer(layer, (outputs,), {}, train, mask)
    return outputs


def _call_layer(layer: Any, args: tuple, kwargs: dict, train: bool, mask: jax.Array | None) -> Any:
    """One layer of an ``nn.Sequential``: its mode keyword when it has one, else a plain call."""
    if isinstance(layer, nn.Sequential):
        return _run_layers(layer, kwargs or (args[0] if len(args) == 1 else args), train, mask)
    if isinstance(layer, nn.Dropout) and layer.deterministic is None:
        return layer(*args, deterministic=not train, **kwargs)
    if isinstance(layer, nn.BatchNorm) and layer.use_running_average is None:
        if train and mask is not None:
            kwargs = {**kwargs, "mask": mask.reshape(mask.shape + (1,) * (args[0].ndim - 1)) > 0}
        return layer(*args, use_running_average=not train, **kwargs)
    if isinstance(layer, nn.Module):
        return layer(*args, **model_kwargs(type(layer), {"train": train, "mask": mask, **kwargs}))
    return layer(*args, **kwargs)


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
    apply_fn = ModelApply(model)
    variables, train_key, step = _init_variables(
        apply_fn, _checks.random_key("create_train_state", "key", key), sample_x
    )
    state = TrainState.create(
        apply_fn=apply_fn,
        params=variables["params"],
        tx=optimizer,
        batch_stats=variables.get("batch_stats", {}),
        key=train_key,
    )
    return state.replace(step=step)


@functools.partial(TrainerJit, static_argnums=0)
def _init_variables(apply_fn: ModelApply, key: jax.Array, sample_x: jax.Array) -> tuple[Any, jax.Array, jax.Array]:
    """``(variables, train_key, step)``: ``model.init`` in evaluation mode, the key the state trains with and
    step 0 (int32), as one compiled program reused by every equal model and input shape.

    Its random numbers are drawn on the host (:func:`~jaxdl.train._host_keys.host_key`): the same
    parameters as ``model.init``, without the seconds LLVM spends compiling threefry per parameter shape.
    """
    init_key, dropout_key, train_key = jax.random.split(host_key(key), 3)
    variables = init_with_output(apply_fn.model, {"params": init_key, "dropout": dropout_key}, sample_x)[1]
    variables, train_key = threefry_keys((variables, train_key))
    return variables, train_key, jnp.zeros((), jnp.int32)


def init_with_output(model: nn.Module, rngs: dict[str, jax.Array], x: Any) -> tuple[Any, Any]:
    """``(outputs, variables)`` of ``model.init_with_output`` in evaluation mode, for any linen module.

    Called as :func:`apply_model` calls a module (``train`` only where ``__call__`` takes it,
    ``nn.Sequential`` layer by layer).
    """
    if isinstance(model, nn.Sequential):
        return model.init_with_output(rngs, x, False, None, method=_run_layers)
    return model.init_with_output(rngs, x, **model_kwargs(type(model), {"train": False}))
