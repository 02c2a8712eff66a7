"""What every torch optimizer is assembled from: torch's gradient prelude, and equality by arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import jax
import optax

from jaxdl.errors import ConfigError
from jaxdl.optim._args import LearningRate, off

if TYPE_CHECKING:
    from typing_extensions import Self


def grad_prelude(maximize: bool, weight_decay: Any) -> list[optax.GradientTransformation]:
    """torch's first two lines: flip the gradient for ``maximize``, then add ``weight_decay * p``."""
    parts = [optax.scale(-1.0)] if maximize else []
    if not off(weight_decay):
        parts.append(optax.add_decayed_weights(weight_decay))
    return parts


class _EqualByArguments:
    """Equality and hash by ``_config`` (the call that built the optimizer), identity when it is None."""

    _config: tuple | None

    def __eq__(self, other: object) -> bool:
        if self._config is None:
            return self is other
        return isinstance(other, _EqualByArguments) and self._config == other._config

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return id(self) if self._config is None else hash(self._config)


class Configured(_EqualByArguments, optax.GradientTransformation):
    """An optimizer equal to any other built by the same call with equal arguments.

    ``fit`` keys its compiled epoch on the optimizer, so ``fit(..., optimizer=optim.sgd(lr=0.1))``
    called twice compiles once. An argument that cannot be hashed (an array ``lr``, e.g. a
    traced one under ``vmap``) makes the optimizer equal only to itself.
    """

    def __new__(cls, init: optax.TransformInitFn, update: optax.TransformUpdateFn, config: tuple | None) -> Self:
        self = super().__new__(cls, init, update)
        self._config = config
        return self


class ConfiguredExtraArgs(_EqualByArguments, optax.GradientTransformationExtraArgs):
    """A ``Configured`` whose ``update`` takes extra keyword arguments (``optax.chain`` passes them on)."""

    def __new__(
        cls, init: optax.TransformInitFn, update: optax.TransformUpdateExtraArgsFn, config: tuple | None
    ) -> Self:
        self = super().__new__(cls, init, update)
        self._config = config
        return self


def config(owner: str, args: dict[str, Any]) -> tuple | None:
    """``(owner, arguments)`` as a hashable key, or None when an argument is not hashable."""
    key = (owner, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def increment(count: jax.Array) -> jax.Array:
    """``count + 1``, held at the dtype's maximum (``optax.safe_increment``, which optax annotates ``ArrayLike``)."""
    return cast(jax.Array, optax.safe_increment(count))


def scale_by_lr(lr: LearningRate) -> optax.GradientTransformation:
    """``-lr * updates`` (``optax.scale_by_learning_rate``, which runs with any scalar array although it is
    annotated ``float | jax.Array``)."""
    return optax.scale_by_learning_rate(cast(optax.ScalarOrSchedule, lr))


def map_leaves(fn: Any, n: int, tree: Any, *rest: Any) -> tuple:
    """``fn`` on the leaves of ``tree`` and the matching leaves of ``rest``; its ``n`` outputs as ``n`` trees."""
    leaves, treedef = jax.tree.flatten(tree)
    others = [treedef.flatten_up_to(r) for r in rest]
    outs = [fn(*xs) for xs in zip(leaves, *others, strict=True)]
    return tuple(treedef.unflatten([o[i] for o in outs]) for i in range(n))


def scaled_step(
    owner: str,
    scaling: optax.GradientTransformation,
    *,
    lr: Any,
    weight_decay: Any,
    maximize: bool,
    key: tuple | None,
    decoupled: bool = False,
) -> Configured:
    """torch's Adam-family step: the gradient prelude (L2 decay unless ``decoupled``), ``scaling``,
    the decoupled decay ``p *= 1 - lr * weight_decay`` when ``decoupled``, then ``-lr``."""
    parts = grad_prelude(maximize, 0 if decoupled else weight_decay)
    parts.append(scaling)
    if decoupled and not off(weight_decay):
        parts.append(optax.add_decayed_weights(weight_decay))
    parts.append(scale_by_lr(lr))
    return finish(owner, parts, not off(weight_decay), key)


def finish(owner: str, parts: list[optax.GradientTransformation], needs_params: bool, key: tuple | None) -> Configured:
    """Chain the parts into a :class:`Configured`; when weight decay reads ``params``, insist on them."""
    chained = optax.chain(*parts)
    if not needs_params:
        return Configured(chained.init, chained.update, key)

    def update_fn(updates, state, params=None):
        if params is None:
            raise ConfigError(f"{owner} with weight_decay needs the parameters: call update(grads, state, params).")
        return chained.update(updates, state, params)

    return Configured(chained.init, update_fn, key)
