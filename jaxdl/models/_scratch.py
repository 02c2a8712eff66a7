"""d2l's from-scratch models as pure ``init(key, ...) -> params`` / ``apply(params, x)`` pairs.

Weights ~ N(0, sigma²) with sigma = 0.01 and zero biases, as in the course.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp


class Scratch(NamedTuple):
    """A model as two pure functions."""

    init: Callable[..., dict]
    apply: Callable[[dict, jax.Array], jax.Array]


def _linear_init(key: jax.Array, num_inputs: int, *, sigma: float = 0.01) -> dict:
    return {"w": sigma * jax.random.normal(key, (num_inputs, 1)), "b": jnp.zeros(1)}


def _linear_apply(params: dict, x: jax.Array) -> jax.Array:
    return x.reshape(x.shape[0], -1) @ params["w"] + params["b"]


def _softmax_init(key: jax.Array, num_inputs: int, num_outputs: int, *, sigma: float = 0.01) -> dict:
    return {"W": sigma * jax.random.normal(key, (num_inputs, num_outputs)), "b": jnp.zeros(num_outputs)}


def _softmax_apply(params: dict, x: jax.Array) -> jax.Array:
    return jax.nn.softmax(x.reshape(x.shape[0], -1) @ params["W"] + params["b"], axis=-1)


def _mlp_init(key: jax.Array, num_inputs: int, num_outputs: int, num_hiddens: int, *, sigma: float = 0.01) -> dict:
    k1, k2 = jax.random.split(key)
    return {
        "W1": sigma * jax.random.normal(k1, (num_inputs, num_hiddens)),
        "b1": jnp.zeros(num_hiddens),
        "W2": sigma * jax.random.normal(k2, (num_hiddens, num_outputs)),
        "b2": jnp.zeros(num_outputs),
    }


def _mlp_apply(params: dict, x: jax.Array) -> jax.Array:
    h = jax.nn.relu(x.reshape(x.shape[0], -1) @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


LinearRegressionScratch = Scratch(_linear_init, _linear_apply)
"""``init(key, num_inputs)``; ``apply(params, x)``: (N, D) → (N, 1)."""

SoftmaxRegressionScratch = Scratch(_softmax_init, _softmax_apply)
"""``init(key, num_inputs, num_outputs)``; ``apply(params, x)``: (N, ...) → (N, C) probabilities (d2l's softmax)."""

MLPScratch = Scratch(_mlp_init, _mlp_apply)
"""``init(key, num_inputs, num_outputs, num_hiddens)``; ``apply(params, x)``: (N, ...) → (N, C) logits."""
