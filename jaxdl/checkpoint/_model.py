"""``load_model(run_dir)``: the model and variables of a ``jaxdl train`` folder, for inference."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import flax.linen as nn
import jax.numpy as jnp

from jaxdl.checkpoint._file import as_path
from jaxdl.checkpoint._run import load_run
from jaxdl.errors import ConfigError
from jaxdl.transforms import Transform

if TYPE_CHECKING:
    from jaxdl.data import Dataset

RUN_CHECKPOINT = "checkpoint"
"""The checkpoint file ``jaxdl train`` keeps in its ``--out`` folder."""

# name -> (input shape, num_classes); the data need not be loaded to rebuild a model for it
_SHAPES: dict[str, tuple[tuple[int, ...], int | None]] = {
    "digits": ((8, 8, 1), 10),
    "mnist": ((28, 28, 1), 10),
    "fashion_mnist": ((28, 28, 1), 10),
    "diabetes": ((10,), None),
    "synthetic_regression": ((2,), None),
}


@dataclasses.dataclass(frozen=True)
class LoadedModel:
    """A trained model ready for inference; ``model, variables = load_model(d)`` unpacks the first two.

    Attributes:
      model: the ``flax.linen`` module, rebuilt from the run's config.
      variables: ``{"params": ..., "batch_stats": ...}`` for ``model.apply(variables, x, train=False)``.
      config: the run's settings as saved.
      class_names: one name per class, or ``None`` for regression.
      input_shape: the shape of one example of the run's data, e.g. ``(8, 8, 1)``.
      transform: what the run did to such inputs before the model (LeNet on 8×8 digits: resize
        to 28×28), or None; :func:`jaxdl.predict` applies it when given this ``LoadedModel``.
    """

    model: nn.Module
    variables: dict[str, Any]
    config: dict[str, Any]
    class_names: tuple[str, ...] | None
    input_shape: tuple[int, ...]
    transform: Transform | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.model, self.variables))


def _dataset_stub(config: dict[str, Any], path: str) -> Dataset:
    from jaxdl import data

    name = str(config.get("dataset", "")).lower().replace("-", "_")
    if name in _SHAPES:
        shape, num_classes = _SHAPES[name]
        names = {
            "digits": data.DIGIT_CLASSES,
            "mnist": data.DIGIT_CLASSES,
            "fashion_mnist": data.FASHION_MNIST_CLASSES,
        }.get(name)
        x = jnp.zeros((1, *shape), jnp.float32)
        y = jnp.zeros((1,), jnp.int32) if num_classes else jnp.zeros((1, 1), jnp.float32)
        return data.Dataset(train=(x, y), test=(x, y), num_classes=num_classes, class_names=names, name=name)
    if not name:
        raise ConfigError(f"checkpoint {path!r} has no dataset in its config: it was not written by jaxdl train.")
    return data.load(name, data_dir=config.get("data_dir"), seed=int(config.get("seed", 0)))


def load_model(run_dir: str | os.PathLike) -> LoadedModel:
    """Rebuild the model of a ``jaxdl train`` folder and its trained variables (no optimizer needed).

    Args:
      run_dir: the ``--out`` folder of a ``jaxdl train`` run, or its ``checkpoint`` file.

    Returns:
      A :class:`LoadedModel`: ``model.apply(variables, x, train=False)`` maps inputs of shape
      ``(N, *input_shape)`` to logits (N, num_classes) or predictions (N, 1).

    Raises:
      ConfigError: no checkpoint there, a corrupt one, or a config that names no known model.
    """
    from jaxdl.models import build_model, input_transform

    run_dir = as_path("load_model", run_dir)
    path = os.path.join(run_dir, RUN_CHECKPOINT) if os.path.isdir(run_dir) else run_dir
    if not os.path.exists(path):
        raise ConfigError(
            f"load_model: no {RUN_CHECKPOINT} file in {run_dir!r}: expected the --out folder of a jaxdl train run."
        )
    run = load_run(path)
    config = run.config
    if "model" not in config:
        raise ConfigError(f"checkpoint {path!r} names no model in its config: it was not written by jaxdl train.")
    ds = _dataset_stub(config, path)
    model = build_model(
        config["model"],
        ds,
        hidden=tuple(config.get("hidden", (256,))),
        dropout=config.get("dropout", 0.0),
        batch_norm=bool(config.get("batch_norm", False)),
        activation=config.get("activation", "relu"),
    )
    state = run.saved_state
    if not isinstance(state, dict) or "params" not in state:
        raise ConfigError(f"checkpoint {path!r} holds no model parameters: it was not written by jaxdl train.")
    variables = {"params": state["params"], "batch_stats": state.get("batch_stats") or {}}
    variables = {k: _to_jax(v) for k, v in variables.items()}
    return LoadedModel(
        model=model,
        variables=variables,
        config=config,
        class_names=ds.class_names,
        input_shape=ds.input_shape,
        transform=input_transform(config["model"], ds.input_shape),
    )


def _to_jax(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _to_jax(v) for k, v in tree.items()}
    return jnp.asarray(tree)
