"""What a model is trained on: a per-example loss and the metrics its task reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxdl import losses
from jaxdl.errors import ConfigError, suggest

LOSSES = {
    "cross_entropy": losses.cross_entropy, "mse": losses.mse, "squared_loss": losses.squared_loss,
    "l1": losses.l1, "bce": losses.bce, "bce_with_logits": losses.bce_with_logits, "nll": losses.nll,
}
DEFAULT_LOSS = {"classification": losses.cross_entropy, "binary": losses.bce, "regression": losses.mse}
TASKS = tuple(DEFAULT_LOSS)


class Objective(NamedTuple):
    """``loss(outputs, targets, reduction="none")`` plus the model's task.

    ``task`` is ``"classification"`` (argmax accuracy), ``"binary"`` (0.5-threshold accuracy)
    or ``"regression"`` (no accuracy). Hashable, so it can be a static ``jit`` argument.
    """

    loss: Callable[..., jax.Array]
    task: str

    @property
    def classifier(self) -> bool:
        """Whether accuracy is reported."""
        return self.task != "regression"

    def per_example(self, outputs: jax.Array, targets: jax.Array) -> dict[str, jax.Array]:
        """Per-example metrics, each of shape (B,): ``loss`` and, for classifiers, ``acc``."""
        loss = self.loss(outputs, targets, reduction="none")
        metrics = {"loss": loss.reshape(loss.shape[0], -1).mean(axis=-1)}
        if self.classifier:
            metrics["acc"] = losses.accuracy(outputs, targets, reduction="none")
        return metrics


def objective_for(model: nn.Module, loss: str | Callable[..., jax.Array] | None = None) -> Objective:
    """Pick the objective of ``model``: its task from ``model.task``, the loss given or its default.

    ``loss`` is a name from :data:`LOSSES` or a function taking ``reduction="none"`` like
    :mod:`jaxdl.losses`; ``None`` picks cross-entropy for classifiers, BCE for the logistic
    model and MSE for regressors.
    """
    task = getattr(model, "task", None)
    if task not in TASKS:
        raise ConfigError(
            f"model {type(model).__name__} has task={task!r}: expected a `task` attribute in {TASKS}."
        )
    if loss is None:
        return Objective(DEFAULT_LOSS[task], task)
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ConfigError(f"loss={loss!r}{suggest(loss, LOSSES)}: expected one of {', '.join(LOSSES)}.")
        return Objective(LOSSES[loss], task)
    if not callable(loss):
        raise ConfigError(f"loss={loss!r}: expected a loss name or a function like jaxdl.losses.mse.")
    return Objective(loss, task)


def masked_mean(values: jax.Array, weight: jax.Array) -> jax.Array:
    """Mean of ``values`` (B,) over the rows where ``weight`` (B,) is 1."""
    return (values * weight).sum() / jnp.maximum(weight.sum(), 1.0)
