"""The course's linear models as linen modules: regression, softmax and logistic regression.

Every model flattens its input (N, ...) to (N, D) and takes ``train`` (and ``mask``) like
the MLP so one training loop serves all; these layers behave the same in both modes.
"""

from __future__ import annotations

from typing import ClassVar

import flax.linen as nn
import jax

from jaxdl._checks import fail
from jaxdl.models._layers import Linear


def flatten(x: jax.Array) -> jax.Array:
    """(N, ...) → (N, D), like ``torch.nn.Flatten``."""
    return x.reshape(x.shape[0], -1)


class LinearRegression(nn.Module):
    """``nn.Linear(D, outputs)``: (N, ...) → (N, outputs) real predictions.

    >>> import jax.numpy as jnp
    >>> x = jnp.ones((2, 3))
    >>> LinearRegression().apply(LinearRegression().init(jax.random.key(0), x), x).shape
    (2, 1)
    """

    outputs: int = 1
    task: ClassVar[str] = "regression"

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool = False, mask: jax.Array | None = None) -> jax.Array:
        del train, mask
        return Linear(self.outputs)(flatten(x))


class SoftmaxRegression(nn.Module):
    """``nn.Sequential(nn.Flatten(), nn.Linear(D, num_classes))``: (N, ...) → (N, num_classes) logits."""

    num_classes: int = 10
    task: ClassVar[str] = "classification"

    def __post_init__(self) -> None:
        if not isinstance(self.num_classes, int) or self.num_classes < 2:
            raise fail(type(self).__name__, "num_classes", self.num_classes, "an integer >= 2")
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool = False, mask: jax.Array | None = None) -> jax.Array:
        del train, mask
        return Linear(self.num_classes)(flatten(x))


class LogisticRegression(nn.Module):
    """``nn.Sequential(nn.Linear(D, 1), nn.Sigmoid())``: (N, ...) → (N, 1) probabilities of class 1."""

    task: ClassVar[str] = "binary"

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool = False, mask: jax.Array | None = None) -> jax.Array:
        del train, mask
        return nn.sigmoid(Linear(1)(flatten(x)))
