"""What a model is trained on: a per-example loss and the metrics its task reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxdl import _checks, losses
from jaxdl.errors import unknown

if TYPE_CHECKING:
    from jaxdl.data import Standardizer

LOSSES = {
    "cross_entropy": losses.cross_entropy,
    "mse": losses.mse,
    "squared_loss": losses.squared_loss,
    "l1": losses.l1,
    "bce": losses.bce,
    "bce_with_logits": losses.bce_with_logits,
    "nll": losses.nll,
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
        """Per-example metrics, each of shape (B,): ``loss``; ``acc`` for classifiers, the
        squared error ``mse`` (mean over outputs) for regressors whatever the loss."""
        loss = self.loss(outputs, targets, reduction="none")
        metrics = {"loss": loss.reshape(loss.shape[0], -1).mean(axis=-1)}
        if self.classifier:
            metrics["acc"] = losses.accuracy(outputs, targets, reduction="none")
        else:
            metrics["mse"] = jnp.square(outputs - targets).reshape(outputs.shape[0], -1).mean(axis=-1)
        return metrics


def objective_for(
    model: nn.Module | None,
    loss: str | Callable[..., jax.Array] | None = None,
    *,
    default_task: str | None = None,
    where: str = "fit",
) -> Objective:
    """Pick the objective of ``model``: its task from ``model.task``, the loss given or its default.

    ``loss`` is a name from :data:`LOSSES` or a function taking ``reduction="none"`` like
    :mod:`jaxdl.losses`; ``None`` picks cross-entropy for classifiers, BCE for the logistic
    model and MSE for regressors. A model without a ``task`` attribute (any
    ``flax.linen.Module``) gets ``default_task``, which ``fit`` takes from the data
    (``"classification"`` when it has classes, else ``"regression"``). ``where`` names the
    caller in errors.
    """
    task = getattr(model, "task", default_task)
    if task not in TASKS:
        raise _checks.fail(
            where,
            "model",
            model,
            f"a model whose task is one of {', '.join(TASKS)}",
            got=f"{type(model).__name__} with task={task!r}",
        )
    if loss is None:
        return Objective(DEFAULT_LOSS[task], task)
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise unknown("loss", loss, LOSSES, where=where)
        return Objective(LOSSES[loss], task)
    if not callable(loss):
        raise _checks.fail(where, "loss", loss, "a loss name or a function like jaxdl.losses.mse")
    return Objective(loss, task)


def objective_of(apply_fn: Any, targets: jax.Array, objective: Objective | None, *, where: str) -> Objective:
    """``objective``, or when it is None the one ``fit`` would pick for the state's model and ``targets``.

    The model comes from a state made by :func:`~jaxdl.train.create_train_state` (its ``task``
    attribute, when it has one); otherwise integer targets make a classifier (cross-entropy),
    floating ones a regressor (MSE).
    """
    if objective is not None:
        return objective
    task = "classification" if jnp.issubdtype(targets.dtype, jnp.integer) else "regression"
    return objective_for(getattr(apply_fn, "model", None), default_task=task, where=where)


def epoch_row(train: dict, test: dict, seconds: float) -> dict[str, float]:
    """One history row from an epoch's ``train`` and ``test`` metric dicts and its duration in seconds.

    >>> epoch_row({"loss": 0.5, "nonfinite_step": -1}, {"loss": 0.7}, 1.5)
    {'train_loss': 0.5, 'test_loss': 0.7, 'epoch_time': 1.5}
    """
    row = {f"train_{k}": float(v) for k, v in train.items() if k != "nonfinite_step"}
    row.update({f"test_{k}": float(v) for k, v in test.items()})
    row["epoch_time"] = seconds
    return row


def masked_mean(values: jax.Array, weight: jax.Array) -> jax.Array:
    """Mean of ``values`` (B,) over the rows where ``weight`` (B,) is 1."""
    return (values * weight).sum() / jnp.maximum(weight.sum(), 1.0)


class RegressionScale(NamedTuple):
    """Turns the ``mse`` of a history row into original target units and adds ``test_r2``.

    Attributes:
      mse_factor: std² of the target standardizer (1.0 when targets are not standardized).
      test_variance: mean squared deviation of the test targets from their own mean, in
        training units: R² = 1 - SSE/SST = 1 - test_mse / test_variance (sklearn's ``r2_score``).
    """

    mse_factor: float
    test_variance: float

    @classmethod
    def of(cls, test_targets: jax.Array, target_standardizer: Standardizer | None = None) -> RegressionScale:
        """The scale for test targets (N, K) and the dataset's ``target_standardizer`` (or ``None``).

        >>> RegressionScale.of(jnp.array([[1.0], [3.0]])).test_variance
        1.0
        """
        factor = 1.0
        if target_standardizer is not None:
            std = jnp.asarray(target_standardizer.std).ravel()
            if std.size != 1:
                raise _checks.fail(
                    "RegressionScale.of",
                    "target_standardizer",
                    target_standardizer,
                    "of one target column (MSE in original units needs one)",
                    got=f"{std.size} columns",
                )
            factor = float(std[0]) ** 2
        y = jnp.asarray(test_targets, jnp.float32).reshape(test_targets.shape[0], -1)
        return cls(factor, float(jnp.square(y - y.mean(axis=0)).mean()))

    def finish(self, row: dict) -> dict:
        """``row`` with ``train_mse``/``test_mse`` in original units and ``test_r2``.

        Values may be floats or arrays (one per run); ``test_r2`` is left out when the test
        targets are constant (R² is undefined).

        >>> RegressionScale(4.0, 2.0).finish({"test_mse": 0.5})
        {'test_mse': 2.0, 'test_r2': 0.75}
        """
        out = dict(row)
        for name in ("train_mse", "test_mse"):
            if name in out:
                out[name] = row[name] * self.mse_factor
        if "test_mse" in row and self.test_variance > 0:
            out["test_r2"] = 1.0 - row["test_mse"] / self.test_variance
        return out
