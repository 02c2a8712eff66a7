"""The checks of training: arguments before a run, inputs while tracing, the loss after each epoch.

Each raises one :class:`~jaxdl.errors.ConfigError` line naming the argument, its value and what
was expected, or a :class:`~jaxdl.errors.DivergenceError` when training went wrong.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flax.errors
import flax.linen as nn
import jax
import numpy as np
import optax

from jaxdl import _checks
from jaxdl.errors import ConfigError, DivergenceError
from jaxdl.train._objective import LOSSES, Objective, objective_for
from jaxdl.train._state import TrainState, init_with_output
from jaxdl.transforms import eval_transform_for

if TYPE_CHECKING:
    from jaxdl.data import Dataset


def check_run_length(where: str, epochs: Any, batch_size: Any) -> None:
    """Raise unless ``epochs`` and ``batch_size`` are positive integers (``where`` names the caller).

    >>> check_run_length("fit", 0, 64)
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: fit: epochs must be an integer >= 1, got 0
    """
    _checks.positive_int(where, "epochs", epochs)
    _checks.positive_int(where, "batch_size", batch_size)


SEED_RANGE = (0, 2**63 - 1)
"""Seeds ``jax.random.key`` accepts (a 64-bit integer); negative seeds are refused like torch's."""

_LOSS_TASKS = {
    "classification": ("cross_entropy", "nll"),
    "binary": ("bce", "bce_with_logits", "mse", "squared_loss", "l1"),
    "regression": ("mse", "squared_loss", "l1"),
}


def check_model_and_data(where: str, model: Any, data: Any) -> None:
    """Raise unless ``model`` is a ``flax.linen.Module`` instance and ``data`` a :class:`jaxdl.data.Dataset`.

    >>> from jaxdl import data, models
    >>> check_model_and_data("fit", models.MLP, data.load("digits"))
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: fit: model must be a model, e.g. model=MLP(...), got the class MLP
    """
    from jaxdl.data import Dataset

    if isinstance(model, type):
        raise _checks.fail(
            where, "model", model, f"a model, e.g. model={model.__name__}(...)", got=f"the class {model.__name__}"
        )
    if not isinstance(model, nn.Module):
        raise _checks.fail(
            where, "model", model, "a flax.linen.Module such as jaxdl.models.MLP()", got=type(model).__name__
        )
    if isinstance(data, str):
        raise _checks.fail(where, "data", data, f"a Dataset, e.g. jaxdl.data.load({data!r})", got=f"the name {data!r}")
    if not isinstance(data, Dataset):
        raise _checks.fail(
            where,
            "data",
            data,
            "a jaxdl.data.Dataset (wrap arrays with jaxdl.data.from_arrays(X_train, y_train, X_test, y_test) "
            "or load one with jaxdl.data.load(name))",
            got=type(data).__name__,
        )


def check_seed(where: str, seed: Any, arg: str = "seed") -> int:
    """``seed`` as an int, if it is an integer the PRNG accepts (0 <= seed < 2**63).

    >>> check_seed("fit", 1.5)
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: fit: seed must be an integer in [0, 2**63 - 1], got 1.5
    """
    low, high = SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not low <= int(seed) <= high:
        raise _checks.fail(where, arg, seed, "an integer in [0, 2**63 - 1]")
    return int(seed)


def check_loss_fits(where: str, model: nn.Module, objective: Objective) -> None:
    """Raise when ``objective``'s loss is a named loss of another task (``loss="mse"`` on a classifier)."""
    name = next((n for n, fn in LOSSES.items() if fn is objective.loss), None)
    if name is None or name in _LOSS_TASKS[objective.task]:
        return
    fitting = _LOSS_TASKS[objective.task]
    raise _checks.fail(
        where,
        "loss",
        name,
        f"one of {', '.join(fitting)} for {type(model).__name__}, a {objective.task} model "
        f"(or left out for {fitting[0]})",
    )


def check_optimizer(optimizer: Any, *, where: str = "fit") -> optax.GradientTransformation:
    """Return ``optimizer`` if it is an ``optax.GradientTransformation``, else raise."""
    if not isinstance(optimizer, optax.GradientTransformation):
        raise _checks.fail(where, "optimizer", optimizer, "an optax.GradientTransformation (e.g. jaxdl.optim.sgd(0.1))")
    return optimizer


def check_compatible(where: str, model: nn.Module, data: Dataset, objective: Objective, batch_size: int) -> None:
    """Raise a :class:`ConfigError` when ``model``, ``data``, its loss and ``batch_size`` cannot train together."""
    check_loss_fits(where, model, objective)
    n = int(data.train[0].shape[0])
    if batch_size > n:
        val = getattr(data, "val", None)
        held = f" (a validation split holds out {int(val[0].shape[0])} more)" if val is not None else ""
        raise _checks.fail(where, "batch_size", batch_size, f"at most the {n} training examples{held}")
    name = type(model).__name__
    if objective.task == "regression" and data.num_classes is not None:
        raise _checks.fail(
            where,
            "model",
            model,
            f"a classifier for dataset {data.name!r} with {data.num_classes} classes "
            "(e.g. SoftmaxRegression or MLP(num_classes=...))",
            got=f"{name}, a regressor",
        )
    if objective.task != "regression" and data.num_classes is None:
        raise _checks.fail(
            where,
            "model",
            model,
            f"a regressor for dataset {data.name!r} with real-valued targets "
            "(e.g. LinearRegression or MLP(num_classes=None))",
            got=f"{name}, a classifier",
        )
    model_classes = getattr(model, "num_classes", None)
    if objective.task == "classification" and model_classes is not None and model_classes < data.num_classes:
        raise _checks.fail(
            where,
            "model",
            model,
            f"a model of the {data.num_classes} classes of {data.name!r} (num_classes={data.num_classes})",
            got=f"{name}(num_classes={model_classes})",
        )


def check_output_shape(
    where: str,
    out: tuple[int, ...],
    x: tuple[int, ...],
    y: tuple[int, ...],
    task: str,
    *,
    num_classes: int | None = None,
    data_name: str | None = None,
) -> None:
    """Raise unless outputs of shape ``out`` for inputs ``x`` fit targets of shape ``y`` for ``task``.

    A classifier returns one row of scores per example, (B, C) with ``C >= num_classes``; a
    binary model or a regressor returns exactly the targets' shape (an elementwise loss of (B, 1)
    against (B,) would broadcast to (B, B)). The message names both shapes.

    >>> check_output_shape("fit", (128, 8, 8, 10), (128, 8, 8, 1), (128,), "classification", num_classes=10)
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: fit: model must be a model returning outputs of shape (128, 10) for the 10 classes \
(one row of scores per example; labels have shape (128,)), got (128, 8, 8, 10) for inputs of shape (128, 8, 8, 1) \
(flatten the inputs first, e.g. x.reshape(x.shape[0], -1))
    """
    of = f" of {data_name!r}" if data_name else ""
    flatten = " (flatten the inputs first, e.g. x.reshape(x.shape[0], -1))" if len(out) > 2 and len(x) > 2 else ""
    got = f"{out} for inputs of shape {x}{flatten}"
    if task == "classification":
        if len(out) == 2 and len(y) == 1 and (num_classes is None or out[1] >= num_classes):
            return
        classes = "C" if num_classes is None else str(num_classes)
        expected = (
            f"a model returning outputs of shape ({y[0]}, {classes}) for the {classes} classes{of} "
            f"(one row of scores per example; labels have shape {y})"
        )
        raise _checks.fail(where, "model", None, expected, got=got)
    if out != y:
        what = "binary targets" if task == "binary" else "regression targets"
        expected = f"a model returning outputs of shape {y}, the shape of the {what}{of}"
        raise _checks.fail(where, "model", None, expected, got=got)


def device_memory() -> int | None:
    """Bytes of memory of this process's first device: its allocator's limit on an accelerator, the RAM on a CPU.

    A local device: in a multi-host run only those report their memory.
    """
    stats = jax.local_devices()[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"])
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_model_size(where: str, model: nn.Module, variables: Any) -> None:
    """Raise when ``variables`` (arrays or shapes) alone exceed the device's memory: nothing could train.

    >>> big = {"params": {"w": jax.ShapeDtypeStruct((2**40,), np.float32)}}
    >>> check_model_size("fit", nn.Dense(1), big)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: fit: model must be a model whose variables fit in memory (...), \
got Dense with 1,099,511,627,776 numbers (4398 GB)
    """
    leaves = jax.tree.leaves(variables)
    size = sum(int(np.prod(leaf.shape)) * np.dtype(leaf.dtype).itemsize for leaf in leaves)
    memory = device_memory()
    if memory is not None and size > memory:
        count = sum(int(np.prod(leaf.shape)) for leaf in leaves)
        raise _checks.fail(
            where,
            "model",
            None,
            f"a model whose variables fit in memory ({memory / 1e9:.0f} GB on {jax.devices()[0].platform}; "
            "training needs them, their gradients and the optimizer's state)",
            got=f"{type(model).__name__} with {count:,} numbers ({size / 1e9:.0f} GB)",
        )


def check_outputs(where: str, model: nn.Module, data: Dataset, objective: Objective, sample: Any, batch: int) -> None:
    """Raise unless ``model``'s outputs for a batch of ``batch`` examples like ``sample`` fit ``data``'s targets,
    and its variables fit in memory (:func:`check_model_size`).

    Shapes only (``jax.eval_shape`` of the model's init), so nothing is allocated or compiled.
    """
    x = jax.ShapeDtypeStruct((batch, *sample.shape[1:]), sample.dtype)

    def init(x: Any) -> Any:
        key = jax.random.key(0)  # made inside eval_shape: nothing compiles
        return init_with_output(model, {"params": key, "dropout": key}, x)

    out, variables = jax.eval_shape(init, x)
    check_model_size(where, model, variables)
    if not hasattr(out, "shape"):
        raise _checks.fail(where, "model", None, "a model returning one array", got=type(out).__name__)
    y = data.train[1]
    check_output_shape(
        where,
        tuple(out.shape),
        tuple(x.shape),
        (batch, *y.shape[1:]),
        objective.task,
        num_classes=data.num_classes,
        data_name=data.name,
    )


def check_fit_args(
    model: nn.Module,
    data: Dataset,
    *,
    optimizer: optax.GradientTransformation,
    epochs: int,
    batch_size: int,
    loss: str | Callable[..., jax.Array] | None = None,
    seed: Any = 0,
    where: str = "fit",
    transform: Any = None,
) -> Objective:
    """Validate :func:`~jaxdl.train.fit`'s arguments before anything runs; return the model's objective.

    Checks the types first (a ``Dataset``, a model instance, an integer seed the PRNG
    accepts), then the run's length, the optimizer, the loss against the task, and the
    model against the data: its outputs on inputs as ``transform`` leaves them (its
    deterministic part) against the targets, and its size against the device's memory.

    Raises:
      ConfigError: naming the argument, its value and what was expected.
    """
    check_model_and_data(where, model, data)
    check_seed(where, seed)
    check_run_length(where, epochs, batch_size)
    check_optimizer(optimizer, where=where)
    default_task = "regression" if data.num_classes is None else "classification"
    objective = objective_for(model, loss, default_task=default_task, where=where)
    check_compatible(where, model, data, objective, batch_size)
    first = data.train[0][:1]
    eval_transform = eval_transform_for(transform, None, first, where=where)
    sample = first if eval_transform is None else jax.eval_shape(lambda x: eval_transform(x, key=None), first)
    check_outputs(where, model, data, objective, sample, batch_size)
    return objective


def nonfinite_error(epoch: int, bad_step: int) -> DivergenceError:
    """The error of an epoch whose loss became NaN/inf at step ``bad_step`` (from 0) of the epoch."""
    return DivergenceError(
        f"loss became NaN/inf in epoch {epoch} at step {bad_step + 1} of the epoch: "
        "lower the learning rate or check the data.",
        epoch=epoch,
        step=bad_step + 1,
    )


def check_inputs(
    where: str, state: TrainState, X: jax.Array, transform: Any = None, y: Any = None, task: str | None = None
) -> None:
    """Raise a :class:`ConfigError` when examples of ``X`` (N, ...) do not fit ``state``'s parameters.

    Works on shapes only (also while tracing), so it costs one abstract forward pass at
    compile time. ``transform`` is the deterministic one applied before the model. With
    targets ``y`` (N, ...), there must be one per example, and with the ``task`` the outputs
    must fit them (:func:`check_output_shape`). ``where`` names the caller in errors.

    >>> import jax.numpy as jnp
    >>> from jaxdl.models import SoftmaxRegression
    >>> from jaxdl.train import create_train_state
    >>> s = create_train_state(SoftmaxRegression(3), optax.sgd(0.1), jnp.ones((1, 4)), key=jax.random.key(0))
    >>> check_inputs("evaluate", s, jnp.ones((5, 4)), y=jnp.zeros(4))
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: evaluate: y must be one target per example of X (5 examples), got 4 targets
    """
    if y is not None and np.shape(y)[:1] != tuple(X.shape[:1]):
        got = f"{np.shape(y)[0]} targets" if np.ndim(y) else "a scalar"
        raise _checks.fail(where, "y", y, f"one target per example of X ({X.shape[0]} examples)", got=got)
    variables = {"params": state.params, "batch_stats": state.batch_stats}
    abstract = jax.tree.map(lambda a: jax.ShapeDtypeStruct(np.shape(a), a.dtype), variables)

    def forward(variables, x):
        x = x if transform is None else transform(x, key=None)
        return state.apply_fn(variables, x, train=False)

    try:
        out = jax.eval_shape(forward, abstract, jax.ShapeDtypeStruct((1, *X.shape[1:]), X.dtype))
    except (TypeError, ValueError, flax.errors.FlaxError) as err:
        reason = str(err).splitlines()[0].split(" (https://")[0]
        raise ConfigError(
            f"{where}: X has examples of shape {tuple(X.shape[1:])}, which the model's parameters do not fit "
            f"({reason}): "
            "was the state trained on other inputs?"
        ) from None
    if y is not None and task is not None:
        n = int(X.shape[0])
        check_output_shape(where, (n, *out.shape[1:]), tuple(X.shape), (n, *np.shape(y)[1:]), task)
