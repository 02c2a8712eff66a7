"""The multilayer perceptron of the course, with optional dropout and batch norm."""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax

from jaxdl._checks import fail
from jaxdl.activations import ACTIVATIONS, get_activation
from jaxdl.models._layers import BatchNorm, Linear
from jaxdl.models._linear import flatten


class MLP(nn.Module):
    """Flatten → [Linear → (BatchNorm) → activation → (Dropout)] per hidden width → Linear.

    ``dropout`` is one probability for every hidden layer, or one per hidden layer: d2l's
    ``dropout1, dropout2`` are ``MLP(hidden=(256, 256), dropout=(0.2, 0.5))``.

    The torch twin is ``nn.Sequential(nn.Flatten(), nn.Linear(D, h), nn.ReLU(), nn.Dropout(p), ...,
    nn.Linear(h, num_classes))``; with ``batch_norm`` a ``BatchNorm1d`` follows each hidden Linear.
    ``num_classes=None`` makes a regressor with one real output.
    Input (N, ...) → (N, num_classes) logits, or (N, 1) for a regressor.

    >>> import jax.numpy as jnp
    >>> params = MLP(hidden=(8,), num_classes=3).init(jax.random.key(0), jnp.ones((2, 4)))
    >>> MLP(hidden=(8,), num_classes=3).apply(params, jnp.ones((2, 4))).shape
    (2, 3)
    """

    hidden: Sequence[int] = (256,)
    num_classes: int | None = 10
    dropout: float | tuple[float, ...] = 0.0
    batch_norm: bool = False
    activation: str = "relu"

    def __post_init__(self) -> None:
        if isinstance(self.hidden, int):
            object.__setattr__(self, "hidden", (self.hidden,))
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for width in self.hidden:
            if not isinstance(width, int) or width < 1:
                raise fail("MLP", "hidden", self.hidden, "positive integer layer widths")
        if self.num_classes is not None and (not isinstance(self.num_classes, int) or self.num_classes < 2):
            raise fail("MLP", "num_classes", self.num_classes, "an integer >= 2 (or None to regress)")
        per_layer = isinstance(self.dropout, (tuple, list))
        rates = self.dropout if isinstance(self.dropout, (tuple, list)) else (self.dropout,)
        if any(isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0 for p in rates):
            expected = "probabilities in [0, 1), one per hidden layer" if per_layer else "a probability in [0, 1)"
            raise fail("MLP", "dropout", self.dropout, expected)
        if isinstance(self.dropout, (tuple, list)):
            if len(self.dropout) != len(self.hidden):
                expected = f"one probability per hidden layer ({len(self.hidden)}: hidden={self.hidden})"
                raise fail("MLP", "dropout", self.dropout, expected)
            object.__setattr__(self, "dropout", tuple(self.dropout))
        get_activation(self.activation, layer=True)
        super().__post_init__()

    @property
    def task(self) -> str:
        """``"classification"``, or ``"regression"`` when ``num_classes`` is None."""
        return "regression" if self.num_classes is None else "classification"

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool = False, mask: jax.Array | None = None) -> jax.Array:
        x = flatten(x)
        rates = self.dropout if isinstance(self.dropout, tuple) else (self.dropout,) * len(self.hidden)
        for width, rate in zip(self.hidden, rates, strict=True):
            x = Linear(width)(x)
            if self.batch_norm:
                x = BatchNorm()(x, train=train, mask=mask)
            x = ACTIVATIONS[self.activation](x)
            if rate > 0:
                x = nn.Dropout(rate, deterministic=not train)(x)
        return Linear(self.num_classes or 1)(x)
