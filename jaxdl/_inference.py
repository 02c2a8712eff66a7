"""``predict``: a trained model's classes, probabilities or values for new inputs (``model.eval()`` + ``no_grad``)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxdl import _checks
from jaxdl.train import ModelApply, create_train_state
from jaxdl.transforms import Transform

OUTPUTS = ("classes", "probabilities", "values")


def variables_of(state_or_variables: Any) -> dict[str, Any]:
    """``{"params": ..., "batch_stats": ...}`` from a ``TrainState``, a ``LoadedModel``, variables or bare params.

    >>> sorted(variables_of({"Linear_0": {"kernel": 1}}))
    ['params']
    """
    if hasattr(state_or_variables, "params"):
        variables = {"params": state_or_variables.params}
        if getattr(state_or_variables, "batch_stats", None):
            variables["batch_stats"] = state_or_variables.batch_stats
        return variables
    if hasattr(state_or_variables, "variables"):
        return dict(state_or_variables.variables)
    if isinstance(state_or_variables, Mapping):
        if "params" in state_or_variables:
            return {k: v for k, v in state_or_variables.items() if k == "params" or v}
        return {"params": dict(state_or_variables)}
    raise _checks.fail(
        "predict",
        "state_or_variables",
        state_or_variables,
        'a TrainState (result.state), a dict {"params": ..., "batch_stats": ...} or a LoadedModel from '
        "jaxdl.checkpoint.load_model",
        got=f"a {type(state_or_variables).__name__}",
    )


@functools.partial(jax.jit, static_argnames=("apply_fn", "transform"))
def _forward(apply_fn: ModelApply, variables: dict, x: jax.Array, transform: Transform | None = None) -> Any:
    if transform is not None:
        x = transform(x, key=None)
    return apply_fn(variables, x, train=False)


def _as_batch(
    model: nn.Module, variables: dict, X: np.ndarray, input_shape, transform: Transform | None
) -> tuple[np.ndarray, bool]:
    """``(X as a batch, whether X was one example)``: by ``input_shape`` when known, else by trying shapes."""
    if input_shape is not None:
        input_shape = tuple(input_shape)
        if X.shape == input_shape:
            return X[None], True
        if X.shape[1:] == input_shape:
            return X, False
        raise _checks.fail(
            "predict", "X", X, f"one example {input_shape} or a batch (N, *{input_shape})", got=f"shape {X.shape}"
        )

    def works(batch: np.ndarray) -> bool:
        try:
            out = jax.eval_shape(
                lambda x: _forward(ModelApply(model), variables, x, transform),
                jax.ShapeDtypeStruct(batch.shape, jnp.float32),
            )
        except Exception:  # noqa: BLE001 - any shape mismatch means "not this interpretation"
            return False
        return out.ndim >= 1 and out.shape[0] == batch.shape[0]

    if X.ndim >= 1 and works(X):
        return X, False
    if works(X[None]):
        return X[None], True
    for candidate in (X, X[None]) if X.ndim >= 1 else (X[None],):
        _check_variables(model, variables, candidate.shape, X.shape)
    raise _checks.fail(
        "predict",
        "X",
        X,
        f"one example or a batch that {type(model).__name__} takes, shaped like the training data "
        "(pass input_shape= to be explicit)",
        got=f"shape {X.shape}",
    )


def _param_shapes(model: nn.Module, batch_shape: tuple[int, ...]) -> dict | None:
    """Path -> shape of the parameters ``model`` creates for inputs of ``batch_shape``; None if it cannot take them."""
    try:
        needed = jax.eval_shape(
            lambda x: create_train_state(model, optax.identity(), x, key=jax.random.key(0)).params,
            jax.ShapeDtypeStruct(batch_shape, jnp.float32),
        )
    except Exception:  # noqa: BLE001 - the model does not take these inputs
        return None
    return {path: tuple(leaf.shape) for path, leaf in jax.tree_util.tree_flatten_with_path(needed)[0]}


def _check_variables(model: nn.Module, variables: dict, batch_shape: tuple[int, ...], shown: tuple[int, ...]) -> None:
    """Raise when ``variables`` are not ``model``'s for inputs ``batch_shape``, naming the first differing array.

    ``shown`` is the shape of ``X`` as given, for the message.

    An array whose shape follows the inputs' (a first layer's kernel) blames the inputs; one that
    does not (a bias, a hidden layer, a missing name) blames the state: it belongs to another model.
    """
    needed = _param_shapes(model, batch_shape)
    if needed is None:
        return
    other = _param_shapes(model, (batch_shape[0], *(d + 1 for d in batch_shape[1:])))
    given = dict(jax.tree_util.tree_flatten_with_path(variables.get("params", {}))[0])
    for path, shape in needed.items():
        have = given.get(path)
        if have is not None and tuple(np.shape(have)) == shape:
            continue
        name = "params/" + "/".join(str(getattr(k, "key", k)) for k in path)
        held = "nothing" if have is None else f"shape {tuple(np.shape(have))}"
        if have is not None and other is not None and other.get(path) != shape:
            raise _checks.fail(
                "predict",
                "X",
                None,
                f"examples of the shape the state was trained on (on examples of shape {batch_shape[1:]} "
                f"{type(model).__name__} needs {name} of shape {shape}, the state holds {held})",
                got=f"shape {shown}",
            )
        raise _checks.fail(
            "predict",
            "state_or_variables",
            None,
            f"the variables of this {type(model).__name__}, which needs {name} of shape {shape} "
            "(was the state trained with another model?)",
            got=held,
        )


def light_background(images: np.ndarray) -> np.ndarray:
    """(N,) True where an image (H, W, C) of a batch (N, H, W, C) in [0, 1] has a light border (mean > 0.5).

    The course's datasets (digits, MNIST, FashionMNIST) draw light on a dark background.

    >>> light_background(np.stack([np.zeros((8, 8, 1)), np.ones((8, 8, 1))])).tolist()
    [False, True]
    """
    border = np.concatenate([images[:, 0], images[:, -1], images[:, 1:-1, 0], images[:, 1:-1, -1]], axis=1).reshape(
        len(images), -1
    )
    return border.mean(axis=1) > 0.5


def _warn_if_dark_on_light(batch: np.ndarray, data: Any) -> None:
    """Warn when images on a light background meet a model trained on dark ones (the course's datasets)."""
    if batch.ndim != 4 or batch.shape[-1] not in (1, 3) or min(batch.shape[1:3]) < 3:
        return
    if data is not None and (data.train[0].ndim != 4 or light_background(np.asarray(data.train[0][:100])).mean() > 0.5):
        return
    light = int(light_background(batch).sum())
    if light:
        warnings.warn(
            f"predict: {light} of {len(batch)} images are dark on a light background, but the model was trained "
            "on light drawings on a dark one (as the course's datasets): they are likely misread; pass 1 - X",
            UserWarning,
            stacklevel=3,
        )


def _is_run(state_or_variables: Any) -> bool:
    """Whether ``state_or_variables`` is a :class:`~jaxdl.checkpoint.LoadedModel` (a saved run with its config)."""
    return isinstance(getattr(state_or_variables, "config", None), Mapping) and hasattr(state_or_variables, "model")


def run_dataset(config: Mapping[str, Any]) -> Any:
    """The dataset of a saved run (its ``config``), for the feature and target standardizers it trained with."""
    from jaxdl import data

    return data.load(config["dataset"], data_dir=config.get("data_dir"), seed=int(config.get("seed", 0)))


def _task(model: nn.Module, data: Any, outputs: jax.Array) -> str:
    task = getattr(model, "task", None)
    if task in ("classification", "binary", "regression"):
        return task
    if data is not None:
        return "classification" if data.num_classes else "regression"
    return "classification" if outputs.shape[-1] >= 2 else "regression"


def predict(
    state_or_variables: Any,
    model: nn.Module,
    X: Any,
    *,
    batch_size: int = 256,
    output: str | None = None,
    data: Any = None,
    input_shape: tuple[int, ...] | None = None,
    transform: Transform | None = None,
) -> np.ndarray:
    """Predict with a trained model in test mode: batch-norm running statistics, no dropout.

    What PyTorch does with ``model.eval()`` and ``torch.no_grad()``. ``X`` is a batch (N, ...)
    shaped like the training inputs, or one example (no ``X[None]`` needed: the result then has
    no batch axis). uint8 images are scaled to [0, 1] as in training; other inputs must be
    preprocessed like ``data.test`` (e.g. ``data.standardizer.transform(X)`` for standardized
    features), except for a regression run loaded with :func:`~jaxdl.checkpoint.load_model`.

    A regressor's values come back in the targets' original units when ``predict`` knows the
    target standardizer: from ``data``, or for a loaded regression run from its dataset (then
    ``X`` is in original units too, as for ``jaxdl predict``, which calls this). Given only a
    state and no ``data``, values are in the units the model was trained on (standardized, if
    the dataset's targets were).

    Args:
      state_or_variables: ``result.state`` of ``fit``, ``{"params": ..., "batch_stats": ...}``,
        bare params, or a :class:`~jaxdl.checkpoint.LoadedModel`.
      model: the ``flax.linen`` module that was trained.
      X: (N, *input_shape) or (*input_shape) inputs (numpy, jax or nested lists).
      batch_size: examples per compiled forward pass.
      output: ``"classes"`` (class indices, int32 (N,)), ``"probabilities"`` (softmax, (N, C); the
        model's (N, 1) output for a binary model), or ``"values"`` (raw outputs: logits, or
        regression values (N, K) in the original units when ``data`` has a
        ``target_standardizer``). ``None``: classes for a classifier, values for a regressor.
      data: the :class:`~jaxdl.data.Dataset` trained on (optional): its ``target_standardizer``
        maps regression values back to original units, its ``num_classes`` names the task of a
        model without a ``task`` attribute, its ``input_shape`` tells one example from a batch.
      input_shape: the shape of one example, when ``data`` is not given and X is ambiguous.
      transform: applied to each batch before the model, as the eval transform of ``fit``
        (e.g. ``transforms.resize(28)`` for a LeNet trained on 8×8 digits); by default the
        ``transform`` of a :class:`~jaxdl.checkpoint.LoadedModel` passed as ``state_or_variables``.

    Returns:
      a numpy array, as described for ``output``.

    Raises:
      ConfigError: an unknown ``output``, ``"classes"`` of a regressor, inputs of a wrong shape, ragged,
        empty or with NaN/inf, or variables of another model (naming the first array that differs).

    >>> import optax
    >>> from jaxdl import data as datasets, models
    >>> from jaxdl.train import create_train_state
    >>> model = models.SoftmaxRegression(10)
    >>> state = create_train_state(model, optax.sgd(0.1), jnp.ones((1, 8, 8, 1)), key=jax.random.key(0))
    >>> X, _ = datasets.load("digits").test
    >>> predict(state, model, X[:5]).shape, predict(state, model, X[0]).shape
    ((5,), ())
    """
    _checks.positive_int("predict", "batch_size", batch_size)
    if output is not None:
        _checks.choice("predict", "output", output, OUTPUTS)
    variables = variables_of(state_or_variables)
    try:
        X = np.asarray(X)
    except (ValueError, TypeError) as err:
        reason = str(err).splitlines()[0]
        raise _checks.fail("predict", "X", X, "a rectangular array of numbers", got=f"{reason}") from None
    if X.dtype == np.uint8:
        X = X.astype(np.float32) / 255.0
    elif not (_checks.real_numbers(X.dtype) or X.dtype == bool):
        raise _checks.fail("predict", "X", X, "real numbers", got=f"dtype {X.dtype}")
    X = X.astype(np.float32)
    if data is None and getattr(model, "task", None) == "regression" and _is_run(state_or_variables):
        data = run_dataset(state_or_variables.config)
        if data.standardizer is not None:
            X = np.asarray(data.standardizer.transform(X), np.float32)
    if input_shape is None and data is not None:
        input_shape = data.input_shape
    if transform is None:
        transform = getattr(state_or_variables, "transform", None)
    elif not isinstance(transform, Transform):
        raise _checks.fail(
            "predict", "transform", transform, "a jaxdl.transforms transform, e.g. transforms.resize(28)"
        )
    if X.size == 0:
        raise _checks.fail("predict", "X", X, "at least one example", got=f"shape {X.shape}")
    batch, single = _as_batch(model, variables, X, input_shape, transform)
    bad = ~np.isfinite(batch.reshape(batch.shape[0], -1)).all(axis=1)
    if bad.any():
        raise _checks.fail(
            "predict",
            "X",
            X,
            "finite numbers",
            got=f"NaN/inf in {int(bad.sum())} example(s), first example {int(bad.argmax())}",
        )
    _check_variables(model, variables, batch.shape, X.shape)
    _warn_if_dark_on_light(batch, data)
    apply_fn = ModelApply(model)
    n, size = batch.shape[0], min(batch_size, batch.shape[0])
    padded = np.concatenate([batch, np.zeros(((-n) % size, *batch.shape[1:]), np.float32)])
    outputs = jnp.concatenate(
        [
            _forward(apply_fn, variables, jnp.asarray(padded[i : i + size]), transform)
            for i in range(0, padded.shape[0], size)
        ]
    )[:n]
    task = _task(model, data, outputs)
    output = output or ("values" if task == "regression" else "classes")
    if output != "values" and task == "regression":
        raise _checks.fail("predict", "output", output, f"'values' for {type(model).__name__}, a regressor")
    if output == "classes":
        result = outputs.argmax(axis=-1) if task == "classification" else (outputs[..., 0] >= 0.5)
        result = result.astype(jnp.int32)
    elif output == "probabilities":
        result = jax.nn.softmax(outputs, axis=-1) if task == "classification" else outputs
    else:
        standardizer = getattr(data, "target_standardizer", None)
        result = standardizer.inverse_transform(outputs) if task == "regression" and standardizer else outputs
    result = np.asarray(result)
    return result[0] if single else result
