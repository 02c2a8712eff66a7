"""PyTorch's optimizers as optax transforms: torch.optim names, arguments, defaults and numbers.

Each function takes the arguments of the ``torch.optim`` class of the same name and
returns an ``optax.GradientTransformation`` whose updates reproduce PyTorch's parameter
trajectory. They are built from optax pieces where optax agrees with PyTorch and from
small hand-written transforms in :mod:`jaxdl.optim_scratch` where it does not
(Adagrad's accumulator, Adam's float32 bias correction and AMSGrad's maximum,
SGD's dampening).

``lr`` is a float, a scalar array (so ``jax.vmap`` can sweep it), or a schedule
``count -> lr`` (any optax schedule, or :mod:`jaxdl.schedules`). Every other numeric argument
(momentum, betas, weight_decay, ...) may be a scalar array too, so ``fit_many`` can sweep it;
a part that a Python 0 switches off is always kept for an array, which gives the same numbers. A schedule is read at
the number of updates already applied (0 for the first), which is PyTorch's ``lr``
after as many ``scheduler.step()`` calls, and it enters where PyTorch's ``lr`` does
(after the momentum buffer, in Adagrad's ``lr_decay``, in AdamW's decoupled decay).

The course's from-scratch pieces (:func:`SGD`, :func:`golden_section`,
:func:`steepest_descent`) live there too and are re-exported here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp  # noqa: F401 (the docstring examples use jnp)
import optax

from jaxdl.errors import ConfigError, suggest
from jaxdl.optim_args import as_number, at_least_zero, check_betas, check_fraction, check_lr, off
from jaxdl.optim_scratch import (
    SGD,
    SteepestDescentResult,
    dampened_trace,
    golden_section,
    scale_by_torch_adagrad,
    scale_by_torch_adam,
    steepest_descent,
)

LearningRate = float | jax.Array | Callable[[jax.Array], jax.Array]

__all__ = [
    "SGD", "SteepestDescentResult", "adadelta", "adagrad", "adam", "adamw", "by_name",
    "golden_section", "rmsprop", "sgd", "steepest_descent",
]


def _grad_prelude(maximize: bool, weight_decay: Any) -> list[optax.GradientTransformation]:
    """torch's first two lines: flip the gradient for ``maximize``, then add ``weight_decay * p``."""
    parts = [optax.scale(-1.0)] if maximize else []
    if not off(weight_decay):
        parts.append(optax.add_decayed_weights(weight_decay))
    return parts


class _Configured(optax.GradientTransformation):
    """An optimizer equal to any other built by the same call with equal arguments.

    ``fit`` keys its compiled epoch on the optimizer, so ``fit(..., optimizer=optim.sgd(lr=0.1))``
    called twice compiles once. An argument that cannot be hashed (an array ``lr``, e.g. a
    traced one under ``vmap``) makes the optimizer equal only to itself.
    """

    def __new__(cls, init, update, config: tuple | None):
        self = super().__new__(cls, init, update)
        self._config = config
        return self

    def __eq__(self, other: object) -> bool:
        if self._config is None:
            return self is other
        return isinstance(other, _Configured) and self._config == other._config

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return id(self) if self._config is None else hash(self._config)


def _config(owner: str, args: dict[str, Any]) -> tuple | None:
    """``(owner, arguments)`` as a hashable key, or None when an argument is not hashable."""
    key = (owner, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _finish(owner: str, parts: list[optax.GradientTransformation], needs_params: bool, config: tuple | None):
    """Chain the parts; when weight decay reads ``params``, insist on them with a clear error."""
    chained = optax.chain(*parts)
    if not needs_params:
        return _Configured(chained.init, chained.update, config)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ConfigError(
                f"{owner} with weight_decay needs the parameters: call update(grads, state, params)."
            )
        return chained.update(updates, state, params)

    return _Configured(chained.init, update_fn, config)


def sgd(
    lr: LearningRate = 1e-3,
    momentum: float = 0,
    dampening: float = 0,
    weight_decay: float = 0,
    nesterov: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.SGD``: ``buf = momentum * buf + (1 - dampening) * g``; ``p -= lr * buf``.

    The buffer holds the un-scaled gradient (``buf = g`` on the first step) and ``lr``
    multiplies at the end, so a schedule changes the step, not the buffer. Nesterov
    uses ``g + momentum * buf``. ``weight_decay`` is L2 added to the gradient.

    Args:
      lr: learning rate or schedule (torch 2.13's default 1e-3).
      momentum, dampening, weight_decay, nesterov, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = sgd(0.1, momentum=0.9)
    >>> print(tx.update({"w": jnp.ones(2)}, tx.init({"w": jnp.zeros(2)}))[0]["w"])
    [-0.1 -0.1]
    """
    config = _config("SGD", locals())
    check_lr("SGD", lr)
    at_least_zero("SGD", momentum=momentum, weight_decay=weight_decay)
    as_number("SGD", "dampening", dampening)
    known_momentum = as_number("SGD", "momentum", momentum)
    if nesterov and (known_momentum is not None and known_momentum <= 0 or not off(dampening)):
        raise ConfigError(
            f"SGD got nesterov=True with momentum={momentum!r}, dampening={dampening!r}: "
            "Nesterov momentum requires momentum > 0 and dampening == 0 (the number 0: it cannot be swept)."
        )
    parts = _grad_prelude(maximize, weight_decay)
    if not off(momentum):
        parts.append(
            optax.trace(momentum, nesterov) if off(dampening) else dampened_trace(momentum, dampening)
        )
    parts.append(optax.scale_by_learning_rate(lr))
    return _finish("SGD", parts, not off(weight_decay), config)


def adagrad(
    lr: LearningRate = 1e-2,
    lr_decay: float = 0,
    weight_decay: float = 0,
    initial_accumulator_value: float = 0,
    eps: float = 1e-10,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Adagrad``: ``s += g**2``; ``p -= clr * g / (sqrt(s) + eps)``.

    ``clr = lr / (1 + (step - 1) * lr_decay)`` with ``lr`` the current (scheduled) rate.
    Unlike ``optax.adagrad``, eps sits outside the sqrt and the accumulator starts at
    ``initial_accumulator_value`` (default 0, optax 0.1).

    Args:
      lr: learning rate or schedule.
      lr_decay, weight_decay, initial_accumulator_value, eps, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adagrad(0.1)
    >>> print(tx.update({"w": jnp.full(2, 4.0)}, tx.init({"w": jnp.zeros(2)}))[0]["w"])
    [-0.1 -0.1]
    """
    config = _config("Adagrad", locals())
    check_lr("Adagrad", lr)
    at_least_zero(
        "Adagrad", lr_decay=lr_decay, weight_decay=weight_decay,
        initial_accumulator_value=initial_accumulator_value, eps=eps,
    )

    def decayed(count):  # count = step - 1
        return (lr(count) if callable(lr) else lr) / (1 + count * lr_decay)

    parts = _grad_prelude(maximize, weight_decay)
    parts += [
        scale_by_torch_adagrad(initial_accumulator_value, eps),
        optax.scale_by_learning_rate(lr if off(lr_decay) else decayed),
    ]
    return _finish("Adagrad", parts, not off(weight_decay), config)


def rmsprop(
    lr: LearningRate = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0,
    momentum: float = 0,
    centered: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.RMSprop``: ``v = alpha * v + (1 - alpha) * g**2``; ``avg = sqrt(v) + eps``.

    Without momentum ``p -= lr * g / avg``; with it ``buf = momentum * buf + g / avg`` and
    ``p -= lr * buf`` (the scheduled ``lr`` is applied after the buffer). ``centered``
    subtracts the squared running mean of ``g`` inside the sqrt. Unlike
    ``optax.rmsprop``, eps sits outside the sqrt and alpha defaults to 0.99 (optax 0.9).

    Args:
      lr: learning rate or schedule.
      alpha, eps, weight_decay, momentum, centered, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = rmsprop(0.01, eps=0.0)
    >>> print(tx.update({"w": jnp.ones(1)}, tx.init({"w": jnp.zeros(1)}))[0]["w"])
    [-0.09999999]
    """
    config = _config("RMSprop", locals())
    check_lr("RMSprop", lr)
    at_least_zero("RMSprop", alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
    scale = optax.scale_by_stddev if centered else optax.scale_by_rms
    parts = _grad_prelude(maximize, weight_decay)
    parts.append(scale(decay=alpha, eps=eps, initial_scale=0.0, eps_in_sqrt=False))
    if not off(momentum):
        parts.append(optax.trace(momentum))
    parts.append(optax.scale_by_learning_rate(lr))
    return _finish("RMSprop", parts, not off(weight_decay), config)


def adadelta(
    lr: LearningRate = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Adadelta``: ``delta = sqrt(u + eps) / sqrt(v + eps) * g``; ``p -= lr * delta``.

    ``v`` and ``u`` are running means (factor ``rho``) of ``g**2`` and ``delta**2``.
    ``optax.adadelta`` defaults to ``learning_rate=None``, which applies ``+delta`` and
    ascends; here ``lr`` defaults to PyTorch's 1.0 and the step descends.

    Args:
      lr: learning rate or schedule.
      rho, eps, weight_decay, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adadelta()
    >>> float(tx.update({"w": jnp.ones(1)}, tx.init({"w": jnp.zeros(1)}))[0]["w"][0]) < 0
    True
    """
    config = _config("Adadelta", locals())
    check_lr("Adadelta", lr)
    check_fraction("Adadelta", "rho", rho, one_allowed=True)
    at_least_zero("Adadelta", eps=eps, weight_decay=weight_decay)
    parts = _grad_prelude(maximize, weight_decay)
    parts += [optax.scale_by_adadelta(rho=rho, eps=eps), optax.scale_by_learning_rate(lr)]
    return _finish("Adadelta", parts, not off(weight_decay), config)


def adam(
    lr: LearningRate = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.Adam``: ``p -= lr * m_hat / (sqrt(v_hat) + eps)``.

    ``weight_decay`` is L2 added to the gradient, or with ``decoupled_weight_decay=True``
    AdamW's ``p *= 1 - lr * weight_decay`` using the current ``lr``. ``amsgrad`` keeps
    the running max of the raw second moment and bias-corrects it afterwards, as
    PyTorch does (``optax.amsgrad`` takes the max after bias correction). The bias
    corrections ``1 - beta**t`` are accurate in float32, as PyTorch's (optax's are off
    by ~1e-5 relative for beta2=0.999).

    Args:
      lr: learning rate or schedule.
      betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adam(0.1)
    >>> print(tx.update({"w": jnp.ones(1)}, tx.init({"w": jnp.zeros(1)}))[0]["w"])
    [-0.1]
    """
    owner = "AdamW" if decoupled_weight_decay else "Adam"
    config = _config(owner, {k: v for k, v in locals().items() if k != "owner"})
    check_lr(owner, lr)
    at_least_zero(owner, eps=eps)
    b1, b2 = check_betas(owner, betas)
    at_least_zero(owner, weight_decay=weight_decay)
    parts = _grad_prelude(maximize, 0 if decoupled_weight_decay else weight_decay)
    parts.append(scale_by_torch_adam(b1, b2, eps, amsgrad=amsgrad))
    if decoupled_weight_decay and not off(weight_decay):
        parts.append(optax.add_decayed_weights(weight_decay))
    parts.append(optax.scale_by_learning_rate(lr))
    return _finish(owner, parts, not off(weight_decay), config)


def adamw(
    lr: LearningRate = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    """``torch.optim.AdamW``: Adam plus decoupled decay ``p *= 1 - lr * weight_decay``.

    The decay uses the current (scheduled) ``lr``; ``weight_decay`` defaults to
    PyTorch's 1e-2 (``optax.adamw``: 1e-4).

    Args:
      lr: learning rate or schedule.
      betas, eps, weight_decay, amsgrad, maximize: as in PyTorch.

    Returns:
      An ``optax.GradientTransformation``; updates have the gradients' shapes.

    >>> tx = adamw(0.1, weight_decay=0.5)
    >>> p = {"w": jnp.ones(1)}
    >>> print(tx.update({"w": jnp.zeros(1)}, tx.init(p), p)[0]["w"])
    [-0.05]
    """
    return adam(
        lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True
    )


_OPTIMIZERS: dict[str, tuple[str, Callable[..., optax.GradientTransformation]]] = {
    "sgd": ("SGD", sgd),
    "adagrad": ("Adagrad", adagrad),
    "rmsprop": ("RMSprop", rmsprop),
    "adadelta": ("Adadelta", adadelta),
    "adam": ("Adam", adam),
    "adamw": ("AdamW", adamw),
}


def by_name(name: str, **kwargs: Any) -> optax.GradientTransformation:
    """Build an optimizer from its ``torch.optim`` class name (any case) and keyword arguments.

    Args:
      name: "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam" or "AdamW" in any case
        (so the function names "sgd", "adamw", ... work too).
      **kwargs: that optimizer's arguments, e.g. ``lr=0.1, momentum=0.9``.

    Returns:
      The ``optax.GradientTransformation`` of the matching function in this module.

    >>> tx = by_name("AdamW", lr=3e-4)
    >>> isinstance(tx, optax.GradientTransformation), tx == adamw(lr=3e-4), tx == adamw(lr=1e-3)
    (True, True, False)
    """
    torch_names = [torch_name for torch_name, _ in _OPTIMIZERS.values()]
    key = name.lower() if isinstance(name, str) else None
    if key not in _OPTIMIZERS:
        raise ConfigError(
            f"optimizer name={name!r} is unknown: expected one of {', '.join(torch_names)} "
            f"(any case){suggest(str(name), torch_names)}."
        )
    torch_name, fn = _OPTIMIZERS[key]
    valid = list(inspect.signature(fn).parameters)
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise ConfigError(
            f"{torch_name} got unknown argument(s) {', '.join(unknown)}{suggest(unknown[0], valid)}: "
            f"valid arguments are {', '.join(valid)}."
        )
    return fn(**kwargs)
