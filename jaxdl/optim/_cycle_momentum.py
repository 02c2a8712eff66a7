"""The momentum that ``CyclicLR`` and ``OneCycleLR`` write into the optimizer (torch's ``cycle_momentum``).

PyTorch's two cycling schedulers set SGD's and RMSprop's ``momentum``, or the Adam family's
``betas[0]``, at every ``step()``, overriding the value the optimizer was built with, and refuse
an optimizer that has neither. :func:`cycle_momentum` does the same to a :mod:`jaxdl.optim`
optimizer, reading the value from the schedule's ``.momentum``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import optax

from jaxdl.errors import ConfigError

MOMENTUM_ARGS = {
    "sgd": "momentum",
    "rmsprop": "momentum",
    "adam": "betas",
    "adamw": "betas",
    "adamax": "betas",
    "nadam": "betas",
    "radam": "betas",
}
"""The :mod:`jaxdl.optim` optimizers a cycling scheduler drives, and the argument it sets: ``momentum``,
or the first of ``betas``. The others (``adagrad``, ``adadelta``, ``asgd``, ``rprop``, ``adafactor``,
``lbfgs``) have neither, and PyTorch refuses them with ``cycle_momentum=True``."""


def takes_cycled_momentum(optimizer: str) -> bool:
    """Whether a cycling scheduler can drive ``optimizer`` (a jaxdl or torch name, any case): it has a momentum
    or betas.

    >>> takes_cycled_momentum("Adam"), takes_cycled_momentum("adagrad")
    (True, False)
    """
    return optimizer.lower() in MOMENTUM_ARGS


def cycle_momentum(
    tx: optax.GradientTransformation, momentum: Callable[[jax.Array], jax.Array], *, scheduler: str
) -> optax.GradientTransformation:
    """``tx`` with its momentum (or ``beta1``) read from ``momentum(count)`` before each update, as PyTorch's
    ``CyclicLR`` and ``OneCycleLR`` set it after each ``scheduler.step()``.

    ``count`` is the number of updates already applied (0 for the first). The value ``tx`` was built
    with is replaced, as in PyTorch (an SGD built with ``momentum=0`` gains a momentum buffer).

    Args:
      tx: an optimizer of :mod:`jaxdl.optim` with a momentum or betas (see :data:`MOMENTUM_ARGS`).
      momentum: ``count -> momentum``, e.g. a cycling schedule's ``.momentum``.
      scheduler: the scheduler's torch name, for the error message.

    Raises:
      ConfigError: ``tx`` is not a :mod:`jaxdl.optim` optimizer with a momentum or betas.

    >>> import jax.numpy as jnp
    >>> from jaxdl import optim
    >>> tx = cycle_momentum(optim.sgd(lr=1.0), lambda count: jnp.where(count == 0, 0.9, 0.5), scheduler="CyclicLR")
    >>> params, state = {"w": jnp.zeros(())}, None
    >>> state = tx.init(params)
    >>> for _ in range(3):
    ...     updates, state = tx.update({"w": jnp.ones(())}, state, params)
    ...     print(float(updates["w"]))
    -1.0
    -1.5
    -1.75
    """
    recipe = getattr(tx, "recipe", None)
    if recipe is None:
        raise ConfigError(
            f"{scheduler} cycles the optimizer's momentum (cycle_momentum=True), which only a jaxdl.optim "
            "optimizer can take from it: give a jaxdl.optim one (e.g. functools.partial(jaxdl.optim.sgd, "
            "momentum=0.9)), or the scheduler cycle_momentum=False."
        )
    name = recipe.build.__name__
    if not takes_cycled_momentum(name):
        raise ConfigError(
            f"{scheduler} cycles the optimizer's momentum (cycle_momentum=True), which {name} does not have: give "
            "the scheduler cycle_momentum=False, or use sgd, rmsprop or an Adam-family optimizer (torch refuses "
            "this too)."
        )
    if MOMENTUM_ARGS[name] == "momentum":

        def build(momentum: Any) -> optax.GradientTransformation:
            return recipe.rebuild(momentum=momentum)
    else:
        beta2 = recipe.args["betas"][1]

        def build(momentum: Any) -> optax.GradientTransformation:
            return recipe.rebuild(betas=(momentum, beta2))

    return optax.inject_hyperparams(build)(momentum=momentum)
