"""The training state: parameters, optimizer state, batch-norm statistics and a PRNG key."""

from __future__ import annotations

import dataclasses
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax.training import train_state


@dataclasses.dataclass(frozen=True)
class ModelApply:
    """``model.apply`` that equals the ``apply`` of any equal model.

    A bound ``model.apply`` equals only itself, so every new but equal model would compile
    the epoch again; this compares the models' fields instead.
    """

    model: nn.Module

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.model.apply(*args, **kwargs)


class TrainState(train_state.TrainState):
    """A flax ``TrainState`` that also carries ``batch_stats`` and the key for dropout/shuffling.

    Changes only through ``state.replace(...)`` / ``apply_gradients``; nothing mutates in place.
    """

    batch_stats: Any = None
    key: jax.Array | None = None


def create_train_state(
    model: nn.Module, optimizer: optax.GradientTransformation, sample_x: jax.Array, *, key: jax.Array
) -> TrainState:
    """Initialise ``model`` on ``sample_x`` (1, ...) and pair it with ``optimizer``.

    ``key`` is split into the parameter-init key, the init-time dropout key and the key the
    state carries for training (shuffling and dropout). ``step`` is an int32 array from the
    start, so the first compiled epoch is reused by every later one.

    >>> from jaxdl.models import SoftmaxRegression
    >>> s = create_train_state(SoftmaxRegression(3), optax.sgd(0.1), jnp.ones((1, 4)), key=jax.random.key(0))
    >>> s.params["Linear_0"]["kernel"].shape
    (4, 3)
    """
    init_key, dropout_key, train_key = jax.random.split(key, 3)
    variables = model.init({"params": init_key, "dropout": dropout_key}, sample_x, train=False)
    state = TrainState.create(
        apply_fn=ModelApply(model),
        params=variables["params"],
        tx=optimizer,
        batch_stats=variables.get("batch_stats", {}),
        key=train_key,
    )
    return state.replace(step=jnp.zeros((), jnp.int32))
