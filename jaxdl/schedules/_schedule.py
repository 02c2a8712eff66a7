"""The :class:`Schedule` type every jaxdl schedule returns, and what the schedules share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

CountFn = Callable[[jax.Array], jax.Array]
RateFn = Callable[[jax.Array, jax.Array], jax.Array]


@dataclasses.dataclass(frozen=True, eq=False)
class Schedule:
    """An optax-compatible schedule ``count -> value`` that remembers its PyTorch name.

    Call it like any optax schedule (``optax.sgd(learning_rate=schedule)``); it is pure
    and jit/vmap/scan friendly. ``count`` is a scalar (or array) of step counts, int or float.

    Attributes:
        name: the ``torch.optim.lr_scheduler`` class it reproduces.
        fn: ``count -> lr``, same shape as ``count``.
        lr: the base learning rate (PyTorch's ``initial_lr``).
        factor: for chainable (multiplicative) schedules, ``count -> lr / base lr``; else None.
        momentum: for CyclicLR / OneCycleLR with ``cycle_momentum``, ``count -> momentum``
            (SGD ``momentum`` or Adam ``beta1``); else None.
        resume: for MultiplicativeLR, ``(previous lr, count) -> lr``: how PyTorch's
            SequentialLR continues it from the previous scheduler's last rate; else None.
        update: PyTorch's ``get_lr()`` as a pure function ``(current lr, count) -> lr``: what
            one ``step()`` to ``count`` does to the optimizer's running rate (count 0 is the step
            the constructor takes). None for schedules that set the rate regardless of the
            running one (LambdaLR, CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts): their
            update is ``fn(count)``. ``ChainedScheduler`` replays these updates.

    >>> from jaxdl.schedules import exponential_lr
    >>> float(exponential_lr(1.0, gamma=0.5)(2))
    0.25
    """

    name: str
    fn: CountFn
    lr: float | jax.Array
    factor: CountFn | None = None
    momentum: CountFn | None = None
    resume: RateFn | None = None
    update: RateFn | None = None

    def __call__(self, count: ArrayLike) -> jax.Array:
        """The value at step ``count`` (any shape; the result has the same shape)."""
        return self.fn(jnp.asarray(count))


def as_float(count: ArrayLike) -> jax.Array:
    """``count`` in the default float dtype (float32, or float64 under x64)."""
    return jnp.asarray(count, dtype=jnp.result_type(float))


def chainable(name: str, lr: float | jax.Array, factor: CountFn, *, update: RateFn | None) -> Schedule:
    """A multiplicative schedule ``lr * factor(count)``."""
    return Schedule(name, lambda count: lr * factor(count), lr, factor=factor, update=update)
