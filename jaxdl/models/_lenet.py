"""LeNet-5 (d2l ch. 7.6) as a linen module on NHWC images, with torch's Conv2d init."""

from __future__ import annotations

from typing import ClassVar

import flax.linen as nn
import jax
import jax.numpy as jnp  # noqa: F401 (the docstring example uses jnp)

from jaxdl._checks import fail, looks_channels_first
from jaxdl.activations import ACTIVATIONS, get_activation
from jaxdl.models._layers import Conv2d, Linear
from jaxdl.models._linear import flatten

MIN_SIDE = 12
"""Smallest image side LeNet accepts: 5×5 conv (padding 2), pool, 5×5 conv, pool leaves ≥ 1 pixel."""


def _pool(x: jax.Array) -> jax.Array:
    return nn.avg_pool(x, (2, 2), strides=(2, 2))


class LeNet(nn.Module):
    """LeNet-5: Conv(6, 5×5, pad 2) → act → AvgPool 2 → Conv(16, 5×5) → act → AvgPool 2 →
    Flatten → Dense 120 → act → Dense 84 → act → Dense num_classes.

    The torch twin is d2l's ``nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
    nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))``
    (61,706 parameters for 28×28×1 inputs). Flatten runs over (H, W, C), torch's over (C, H, W).
    ``activation`` is ``"sigmoid"`` (d2l) or any :data:`jaxdl.activations.LAYER_ACTIVATIONS` name;
    ReLU trains much faster. Input (N, H, W, C) with H, W ≥ 12 (28×28 as in the course;
    smaller images: ``jaxdl.transforms.resize(28)``) → (N, num_classes) logits.

    >>> LeNet().apply(LeNet().init(jax.random.key(0), jnp.ones((1, 28, 28, 1))), jnp.ones((2, 28, 28, 1))).shape
    (2, 10)
    """

    num_classes: int = 10
    activation: str = "sigmoid"
    task: ClassVar[str] = "classification"

    def __post_init__(self) -> None:
        if isinstance(self.num_classes, bool) or not isinstance(self.num_classes, int) or self.num_classes < 2:
            raise fail("LeNet", "num_classes", self.num_classes, "an integer >= 2")
        get_activation(self.activation, layer=True)
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool = False, mask: jax.Array | None = None) -> jax.Array:
        del train, mask
        if looks_channels_first(x.shape):
            raise fail(
                "LeNet",
                "x",
                x,
                "channels-last images (N, H, W, C), Flax's layout; these look channels-first (N, C, H, W), "
                "PyTorch's: pass x.transpose(0, 2, 3, 1)",
                got=f"shape {tuple(x.shape)}",
            )
        if x.ndim != 4 or min(x.shape[1:3]) < MIN_SIDE:
            raise fail(
                "LeNet",
                "x",
                x,
                f"images (N, H, W, C) with H, W >= {MIN_SIDE} (resize small images, e.g. "
                "transform=jaxdl.transforms.resize(28))",
                got=f"shape {tuple(x.shape)}",
            )
        act = ACTIVATIONS[self.activation]
        x = _pool(act(Conv2d(6, 5, padding=2, name="conv1")(x)))
        x = _pool(act(Conv2d(16, 5, name="conv2")(x)))
        x = act(Linear(120, name="fc1")(flatten(x)))
        x = act(Linear(84, name="fc2")(x))
        return Linear(self.num_classes, name="fc3")(x)
