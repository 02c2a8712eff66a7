"""The models by name: one table the CLI reads, each entry building its model for a dataset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import flax.linen as nn

from jaxdl._checks import fail
from jaxdl.errors import unknown
from jaxdl.models._lenet import LeNet
from jaxdl.models._linear import LinearRegression, SoftmaxRegression
from jaxdl.models._mlp import MLP
from jaxdl.transforms import Transform, resize

if TYPE_CHECKING:
    from jaxdl.data import Dataset

Builder = Callable[..., nn.Module]
"""``builder(dataset, *, hidden, dropout, batch_norm, activation) -> model``; a model takes the options it has."""


def _mlp(ds: Dataset, *, hidden: Sequence[int], dropout: float, batch_norm: bool, activation: str) -> nn.Module:
    return MLP(hidden=hidden, num_classes=ds.num_classes, dropout=dropout, batch_norm=batch_norm, activation=activation)


def _softmax(ds: Dataset, **options) -> nn.Module:
    del options
    if ds.num_classes is None:
        raise fail(
            "build_model", "ds", ds, "a classification dataset for model 'softmax'", got=f"{ds.name!r}, regression"
        )
    return SoftmaxRegression(ds.num_classes)


def _linear(ds: Dataset, **options) -> nn.Module:
    del ds, options
    return LinearRegression()


def _lenet(ds: Dataset, *, activation: str, **options) -> nn.Module:
    del options
    if ds.num_classes is None or len(ds.input_shape) != 3:
        raise fail("build_model", "ds", ds, "an image classification dataset for model 'lenet'", got=repr(ds.name))
    return LeNet(ds.num_classes, activation=activation)


LENET_SIDE = 28
"""LeNet's input side (the course's 28×28 images)."""


def input_transform(name: str, input_shape: Sequence[int]) -> Transform | None:
    """What the model called ``name`` needs done to inputs of ``input_shape`` (one example) first, or None.

    LeNet sees 28×28 images: smaller or larger ones (digits are 8×8) are resized on the device,
    in training, evaluation and prediction alike.

    >>> input_transform("lenet", (8, 8, 1))
    Resize(size=(28, 28))
    """
    if name == "lenet" and tuple(input_shape[:2]) != (LENET_SIDE, LENET_SIDE):
        return resize(LENET_SIDE)
    return None


MODELS: dict[str, Builder] = {"mlp": _mlp, "softmax": _softmax, "linear": _linear, "lenet": _lenet}
"""Model name -> builder; the names ``jaxdl train --model`` accepts, the default first."""


def build_model(
    name: str,
    ds: Dataset,
    *,
    hidden: Sequence[int] = (256,),
    dropout: float = 0.0,
    batch_norm: bool = False,
    activation: str = "relu",
) -> nn.Module:
    """The model called ``name`` (a key of :data:`MODELS`) sized for ``ds``: its classes, its images.

    ``hidden``, ``dropout``, ``batch_norm`` and ``activation`` go to the models that have them
    (the MLP all, LeNet ``activation``); the others ignore them.

    Raises:
      ConfigError: an unknown name, or a model that cannot fit ``ds`` (e.g. softmax on regression targets).

    >>> from jaxdl import data
    >>> build_model("mlp", data.load("digits"), hidden=(32,)).num_classes
    10
    """
    if name not in MODELS:
        raise unknown("model", name, MODELS)
    return MODELS[name](ds, hidden=hidden, dropout=dropout, batch_norm=batch_norm, activation=activation)
