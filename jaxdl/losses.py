"""Losses with ``torch.nn`` semantics as pure functions.

Every loss takes ``reduction="mean" | "sum" | "none"`` like torch; ``"none"`` keeps one
value per example (the batch axis), which the training loop uses to mask padding.

``torch.nn``'s loss classes (``CrossEntropyLoss``, ``MSELoss``, ...) are not jaxdl names: each
raises a one-line ``ConfigError`` that names the function to call instead (``cross_entropy``,
``mse``, ...), with the same ``reduction`` and no object to build first.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.core import Tracer

from jaxdl import _checks
from jaxdl._torch_names import torch_class_getattr

__all__ = [
    "REDUCTIONS",
    "accuracy",
    "bce",
    "bce_with_logits",
    "cross_entropy",
    "l1",
    "mse",
    "nll",
    "squared_loss",
]

REDUCTIONS = ("mean", "sum", "none")


def _reduce(where: str, values: jax.Array, reduction: str) -> jax.Array:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    if reduction == "none":
        return values
    raise _checks.fail(where, "reduction", reduction, f"one of {', '.join(map(repr, REDUCTIONS))}")


def mse(pred: jax.Array, target: jax.Array, *, reduction: str = "mean") -> jax.Array:
    """``torch.nn.MSELoss``: (pred - target)², elementwise, then reduced.

    >>> float(mse(jnp.array([1.0, 2.0]), jnp.array([0.0, 0.0])))
    2.5
    """
    return _reduce("mse", jnp.square(pred - target), reduction)


def squared_loss(pred: jax.Array, target: jax.Array, *, reduction: str = "mean") -> jax.Array:
    """d2l's ``squared_loss``: ½ (pred - target)², elementwise, then reduced.

    >>> float(squared_loss(jnp.array([2.0]), jnp.array([0.0])))
    2.0
    """
    return _reduce("squared_loss", 0.5 * jnp.square(pred - target), reduction)


def l1(pred: jax.Array, target: jax.Array, *, reduction: str = "mean") -> jax.Array:
    """``torch.nn.L1Loss``: |pred - target|, elementwise, then reduced.

    >>> float(l1(jnp.array([1.0, -3.0]), jnp.zeros(2)))
    2.0
    """
    return _reduce("l1", jnp.abs(pred - target), reduction)


def cross_entropy(
    logits: jax.Array, labels: jax.Array, *, reduction: str = "mean", label_smoothing: float = 0.0
) -> jax.Array:
    """``torch.nn.CrossEntropyLoss`` on logits (N, C).

    Args:
      logits: (N, C) unnormalised scores.
      labels: (N,) integer class indices, or (N, C) class probabilities.
      label_smoothing: mixes the target with the uniform distribution, as torch does.

    Returns:
      a scalar, or (N,) with ``reduction="none"``.

    >>> round(float(cross_entropy(jnp.zeros((1, 4)), jnp.array([2]))), 4)
    1.3863
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise _checks.fail("cross_entropy", "label_smoothing", label_smoothing, "a number in [0, 1]")
    num_classes = logits.shape[-1]
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    if jnp.issubdtype(labels.dtype, jnp.integer):
        _check_classes("cross_entropy", labels, num_classes)
        target = jax.nn.one_hot(labels, num_classes, dtype=log_probs.dtype)
    else:
        target = labels.astype(log_probs.dtype)
    target = target * (1.0 - label_smoothing) + label_smoothing / num_classes
    return _reduce("cross_entropy", -(target * log_probs).sum(axis=-1), reduction)


def _known_range(values: jax.Array) -> tuple[float, float] | None:
    """(min, max) of concrete ``values`` (NaN where one is NaN); None under ``jit`` (not known until run: ``fit``
    checked its data before compiling) and for an empty array."""
    if isinstance(values, Tracer) or jnp.size(values) == 0:
        return None
    return float(jnp.min(values)), float(jnp.max(values))


def _check_classes(where: str, labels: jax.Array, num_classes: int) -> None:
    """Raise, as torch does, when concrete class indices fall outside ``[0, num_classes)``."""
    known = _known_range(labels)
    if known is not None and (known[0] < 0 or known[1] >= num_classes):
        low, high = map(int, known)
        raise _checks.fail(
            where, "labels", labels, f"class indices in [0, {num_classes})", got=f"labels in [{low}, {high}]"
        )


def nll(log_probs: jax.Array, labels: jax.Array, *, reduction: str = "mean") -> jax.Array:
    """``torch.nn.NLLLoss``: -log_probs[n, labels[n]] for log-probabilities (N, C), labels (N,).

    >>> float(nll(jnp.log(jnp.array([[0.5, 0.5]])), jnp.array([0])))  # doctest: +ELLIPSIS
    0.693...
    """
    _check_classes("nll", labels, log_probs.shape[-1])
    picked = jnp.take_along_axis(log_probs, labels[..., None].astype(jnp.int32), axis=-1)[..., 0]
    return _reduce("nll", -picked, reduction)


def bce(probs: jax.Array, targets: jax.Array, *, reduction: str = "mean") -> jax.Array:
    """``torch.nn.BCELoss`` on probabilities; logs are clamped at -100 as torch does.

    Concrete ``probs`` outside [0, 1] raise, as torch does (a sigmoid's output cannot be; for scores use
    :func:`bce_with_logits`).

    >>> round(float(bce(jnp.array([0.5]), jnp.array([1.0]))), 4)
    0.6931
    """
    known = _known_range(probs)
    if known is not None and not 0 <= known[0] <= known[1] <= 1:  # False for a NaN, as torch refuses one
        raise _checks.fail(
            "bce",
            "probs",
            probs,
            "probabilities in [0, 1] (for unbounded scores use losses.bce_with_logits)",
            got=f"values in [{known[0]:g}, {known[1]:g}]",
        )
    log_p = jnp.maximum(jnp.log(probs), -100.0)
    log_1mp = jnp.maximum(jnp.log1p(-probs), -100.0)
    return _reduce("bce", -(targets * log_p + (1.0 - targets) * log_1mp), reduction)


def bce_with_logits(
    logits: jax.Array, targets: jax.Array, *, reduction: str = "mean", pos_weight: float | jax.Array | None = None
) -> jax.Array:
    """``torch.nn.BCEWithLogitsLoss``: a numerically stable sigmoid + BCE.

    >>> round(float(bce_with_logits(jnp.array([0.0]), jnp.array([1.0]))), 4)
    0.6931
    """
    log_sig = jax.nn.log_sigmoid(logits)
    log_1msig = jax.nn.log_sigmoid(-logits)
    weight = 1.0 if pos_weight is None else pos_weight
    return _reduce("bce_with_logits", -(weight * targets * log_sig + (1.0 - targets) * log_1msig), reduction)


def accuracy(outputs: jax.Array, labels: jax.Array, *, reduction: str = "mean") -> jax.Array:
    """Fraction of correct predictions.

    Args:
      outputs: (N, C) scores (argmax decides), or (N, 1) / (N,) probabilities of class 1
        (a 0.5 threshold decides).
      labels: (N,) integer classes, or binary targets of the same shape as ``outputs``.

    >>> float(accuracy(jnp.array([[0.1, 0.9], [0.8, 0.2]]), jnp.array([1, 1])))
    0.5
    """
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        predicted = (outputs.reshape(outputs.shape[0]) > 0.5).astype(jnp.int32)
    else:
        predicted = outputs.argmax(axis=-1)
    correct = (predicted == labels.reshape(labels.shape[0]).astype(jnp.int32)).astype(jnp.float32)
    return _reduce("accuracy", correct, reduction)


__getattr__ = torch_class_getattr(
    "jaxdl.losses",
    "torch.nn",
    {
        "crossentropyloss": "cross_entropy",
        "mseloss": "mse",
        "l1loss": "l1",
        "nllloss": "nll",
        "bceloss": "bce",
        "bcewithlogitsloss": "bce_with_logits",
    },
    [name for name in __all__ if name != "REDUCTIONS"],
    'losses.{twin}(outputs, targets, reduction="mean"), or fit(..., loss="{twin}")',
)
