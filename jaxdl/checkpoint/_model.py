"""``load_model(run_dir)``: the model and variables of a ``jaxdl train`` folder, for inference."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

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
    transform = input_transform(config["model"], ds.input_shape)
    _check_parameters(model, variables, ds.input_shape, transform, config, path)
    return LoadedModel(
        model=model,
        variables=variables,
        config=config,
        class_names=ds.class_names,
        input_shape=ds.input_shape,
        transform=transform,
    )


def _check_parameters(
    model: nn.Module, variables: dict, input_shape: tuple[int, ...], transform: Any, config: dict, path: str
) -> None:
    """Raise when the model the config builds needs other parameters than the file holds (names and shapes)."""

    def init(x: jax.Array) -> Any:
        x = x if transform is None else transform(x, key=None)
        return model.init({"params": jax.random.key(0), "dropout": jax.random.key(0)}, x, train=False)

    needed = jax.eval_shape(init, jax.ShapeDtypeStruct((1, *input_shape), jnp.float32))
    held = dict(jax.tree_util.tree_flatten_with_path({"params": variables["params"]})[0])
    wanted = dict(jax.tree_util.tree_flatten_with_path({"params": needed["params"]})[0])
    for key in sorted(set(held) | set(wanted), key=str):
        have, want = held.get(key), wanted.get(key)
        if have is None or want is None or tuple(np.shape(have)) != tuple(want.shape):
            name = "/".join(str(getattr(k, "key", k)) for k in key)
            settings = ", ".join(f"{k}={config[k]!r}" for k in ("model", "hidden", "batch_norm") if k in config)
            need = "no such array" if want is None else f"shape {tuple(want.shape)}"
            hold = "nothing" if have is None else f"shape {tuple(np.shape(have))}"
            raise ConfigError(
                f"checkpoint {path!r}: its config ({settings}) builds a model that needs {need} at {name}, "
                f"but the file holds {hold}: the config and the parameters disagree (was the file edited?)."
            )


def _to_jax(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _to_jax(v) for k, v in tree.items()}
    return jnp.asarray(tree)
