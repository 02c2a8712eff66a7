"""The parts every torch optimizer is assembled from: torch's gradient prelude, ``-lr``, the ``params`` check."""

from __future__ import annotations

from typing import Any, cast

import jax
import optax

from jaxdl._checks import fail
from jaxdl.optim._args import LearningRate, off


def grad_prelude(maximize: bool, weight_decay: Any) -> list[optax.GradientTransformation]:
    """torch's first two lines: flip the gradient for ``maximize``, then add ``weight_decay * p``."""
    parts = [optax.scale(-1.0)] if maximize else []
    if not off(weight_decay):
        parts.append(optax.add_decayed_weights(weight_decay))
    return parts


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
    decoupled: bool = False,
) -> optax.GradientTransformation:
    """torch's Adam-family step: the gradient prelude (L2 decay unless ``decoupled``), ``scaling``,
    the decoupled decay ``p *= 1 - lr * weight_decay`` when ``decoupled``, then ``-lr``."""
    parts = grad_prelude(maximize, 0 if decoupled else weight_decay)
    parts.append(scaling)
    if decoupled and not off(weight_decay):
        parts.append(optax.add_decayed_weights(weight_decay))
    parts.append(scale_by_lr(lr))
    return finish(owner, parts, not off(weight_decay))


def finish(owner: str, parts: list[optax.GradientTransformation], needs_params: bool) -> optax.GradientTransformation:
    """Chain the parts; when weight decay reads ``params``, insist on them."""
    chained = optax.chain(*parts)
    if not needs_params:
        return chained

    def update_fn(updates, state, params=None):
        if params is None:
            raise fail(f"{owner}.update", "params", None, "the parameters, which weight_decay reads")
        return chained.update(updates, state, params)

    return optax.GradientTransformation(chained.init, update_fn)
