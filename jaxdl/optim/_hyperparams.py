"""Hyperparameters as arrays in the optimizer state, so one compiled program serves every value.

``fit_many`` sweeps them under ``vmap``; ``fit`` lifts the float arguments of a ``jaxdl.optim``
optimizer the same way, so a second ``fit`` with another ``lr`` or ``momentum`` reuses the
compiled epoch instead of compiling one with the new numbers baked in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl.optim._recipe import Recipe, configured


class HyperparamState(NamedTuple):
    """Optimizer state of :func:`with_hyperparams`: the hyperparameters (scalars) and the inner state."""

    hparams: dict[str, Any]
    inner: optax.OptState


def with_hyperparams(
    factory: Callable[..., optax.GradientTransformation], hparams: Mapping[str, ArrayLike]
) -> optax.GradientTransformation:
    """``factory(**hparams)`` with the hyperparameters kept as arrays in the optimizer state.

    Each update rebuilds ``factory(**state.hparams)`` from the state, so under ``vmap`` every
    run uses its own values while the program is traced once. The factory must accept JAX
    scalars (e.g. ``optax.sgd``; a learning rate may also be passed on as a schedule).

    Two are equal when their factory and hyperparameter names are, whatever the values (those
    are in the state): a program compiled for one, keyed on the optimizer, serves the other.

    >>> f = lambda lr: optax.sgd(lr)
    >>> tx = with_hyperparams(f, {"lr": 0.5})
    >>> float(tx.update({"w": jnp.ones(())}, tx.init({"w": jnp.zeros(())}))[0]["w"])
    -0.5
    >>> tx == with_hyperparams(f, {"lr": 0.1}), tx == with_hyperparams(lambda lr: optax.sgd(lr), {"lr": 0.5})
    (True, False)
    """

    def init_fn(params):
        values = jax.tree.map(jnp.asarray, dict(hparams))
        return HyperparamState(values, factory(**values).init(params))

    def update_fn(updates, state, params=None):
        updates, inner = factory(**state.hparams).update(updates, state.inner, params)
        return updates, HyperparamState(state.hparams, inner)

    recipe = Recipe(factory, {}, tuple(sorted((name, "array") for name in hparams)))
    return configured(optax.GradientTransformation(init_fn, update_fn), recipe)


class ArrayHyperparams(NamedTuple):
    """An optimizer whose float arguments are read from its state (see :func:`float_args_as_arrays`).

    ``tx`` is equal for every value of those arguments (so a jitted epoch keyed on it is
    reused); ``values`` are the numbers of this one.
    """

    tx: optax.GradientTransformation
    values: dict[str, Any]

    def wrap(self, opt_state: optax.OptState) -> HyperparamState:
        """The state ``tx`` updates: ``values`` as arrays beside the original optimizer's state."""
        return HyperparamState(jax.tree.map(jnp.asarray, self.values), opt_state)


LIFTED = ("lr", "momentum", "dampening", "weight_decay", "lr_decay", "eps")
"""The arguments that travel as arrays: each enters the update as a float32 factor or term, so an
array gives the numbers a Python float does. Decay rates (``betas``, ``rho``, ``alpha``) stay
Python floats: the torch-exact bias corrections take their ``log`` in double precision."""


@dataclasses.dataclass(frozen=True, eq=False)
class RateTable:
    """A learning rate read from a table of rates: ``values[min(count // every, len(values) - 1)]``.

    How ``fit`` hands a schedule to the optimizer: the rates of every epoch (or step), computed
    once, travel as an array in the optimizer state, so a second ``fit`` with other schedule
    arguments reuses the compiled epoch.

    >>> print(RateTable(jnp.array([0.1, 0.01]), every=3)(jnp.arange(7)))
    [0.1  0.1  0.1  0.01 0.01 0.01 0.01]
    """

    values: jax.Array
    every: int = 1

    def __call__(self, count: ArrayLike) -> jax.Array:
        """The rate after ``count`` updates (any shape; the result has the same shape)."""
        return self.values[jnp.minimum(jnp.asarray(count) // self.every, self.values.shape[0] - 1)]


def _lifted(name: str, value: Any) -> bool:
    """An argument that can travel as an array: a :class:`RateTable`, or a float named in :data:`LIFTED`
    that is finite and non-zero (a 0 leaves a part out)."""
    if isinstance(value, RateTable):
        return True
    return name in LIFTED and type(value) is float and value != 0.0 and math.isfinite(value)


def _as_array(value: Any) -> Any:
    """What travels in the state for a lifted argument."""
    return value.values if isinstance(value, RateTable) else value


def _shape_of(value: Any) -> Any:
    """What the compiled program is keyed on for a lifted argument (not its numbers)."""
    return ("rate table", value.every) if isinstance(value, RateTable) else "float"


def float_args_as_arrays(tx: optax.GradientTransformation) -> ArrayHyperparams | None:
    """``tx`` rebuilt from its :class:`Recipe` with its float arguments in the state.

    Works for the optimizers of :mod:`jaxdl.optim` (they remember the call that built them); None
    for any other, or when no argument moves. The floats named in :data:`LIFTED` move, and so does
    a :class:`RateTable` learning rate. A float that is 0 stays a Python number (it switches a part
    off), as do ints, flags and other schedules. Every :mod:`jaxdl.optim` optimizer takes the
    moved arguments as arrays.

    >>> from jaxdl.optim import sgd
    >>> a, b = float_args_as_arrays(sgd(0.1, momentum=0.9)), float_args_as_arrays(sgd(0.5, momentum=0.8))
    >>> a.tx == b.tx, b.values
    (True, {'lr': 0.5, 'momentum': 0.8})
    """
    recipe = getattr(tx, "recipe", None)
    if recipe is None or recipe.key is None or recipe.arrays:
        return None
    moved = {name: value for name, value in recipe.args.items() if _lifted(name, value)}
    if not moved:
        return None
    static = {name: value for name, value in recipe.args.items() if name not in moved}
    lifted = Recipe(recipe.build, static, tuple(sorted((n, _shape_of(v)) for n, v in moved.items())))
    values = {name: _as_array(value) for name, value in moved.items()}
    tables = {name: value.every for name, value in moved.items() if isinstance(value, RateTable)}

    def build(**hparams):
        return lifted.rebuild(
            **{**hparams, **{name: RateTable(hparams[name], every) for name, every in tables.items()}}
        )

    inner = with_hyperparams(build, values)
    return ArrayHyperparams(configured(inner, lifted), values)
