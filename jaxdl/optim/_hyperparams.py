"""Hyperparameters as arrays in the optimizer state, so one compiled program serves every value.

``fit_many`` sweeps them under ``vmap``; ``fit`` lifts the float arguments of a ``jaxdl.optim``
optimizer the same way, so a second ``fit`` with another ``lr`` or ``momentum`` reuses the
compiled epoch instead of compiling one with the new numbers baked in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, cast

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike

from jaxdl.optim._configured import Configured, config


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

    >>> tx = with_hyperparams(lambda lr: optax.sgd(lr), {"lr": 0.5})
    >>> float(tx.update({"w": jnp.ones(())}, tx.init({"w": jnp.zeros(())}))[0]["w"])
    -0.5
    """

    def init_fn(params):
        values = jax.tree.map(jnp.asarray, dict(hparams))
        return HyperparamState(values, factory(**values).init(params))

    def update_fn(updates, state, params=None):
        updates, inner = factory(**state.hparams).update(updates, state.inner, params)
        return updates, HyperparamState(state.hparams, inner)

    return optax.GradientTransformation(init_fn, update_fn)


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


_WORKS: dict[tuple, bool] = {}


def float_args_as_arrays(tx: optax.GradientTransformation) -> ArrayHyperparams | None:
    """``tx`` rebuilt with its float arguments in the state; None when it cannot be.

    Works for the optimizers of :mod:`jaxdl.optim` (they remember their arguments); the floats
    named in :data:`LIFTED` move, and so does a :class:`RateTable` learning rate. A float that
    is 0 stays a Python number (it switches a part off), as do ints, flags and other schedules.
    An optimizer that needs a Python number where a float was given is left as it is (tried
    once per kind, on a tiny problem, without running anything).

    >>> from jaxdl.optim import sgd
    >>> a, b = float_args_as_arrays(sgd(0.1, momentum=0.9)), float_args_as_arrays(sgd(0.5, momentum=0.8))
    >>> a.tx == b.tx, b.values
    (True, {'lr': 0.5, 'momentum': 0.8})
    """
    source, configured = getattr(tx, "source", None), getattr(tx, "_config", None)
    if source is None or configured is None:
        return None
    factory, args = source
    moved = {name: value for name, value in args.items() if _lifted(name, value)}
    if not moved:
        return None
    static = {name: value for name, value in args.items() if name not in moved}
    key = config(f"{configured[0]} with array arguments", {**static, **{n: _shape_of(v) for n, v in moved.items()}})
    if key is None:
        return None
    values = {name: _as_array(value) for name, value in moved.items()}
    tables = {name: value.every for name, value in moved.items() if isinstance(value, RateTable)}

    def build(**hparams):
        hparams.update({name: RateTable(hparams[name], every) for name, every in tables.items()})
        return factory(**static, **hparams)

    lifted = with_hyperparams(build, values)
    if key not in _WORKS:
        _WORKS[key] = _traces(lifted, values)
    if not _WORKS[key]:
        return None
    return ArrayHyperparams(Configured(lifted.init, lifted.update, key), values)


def _traces(tx: optax.GradientTransformation, values: dict[str, Any]) -> bool:
    """Whether ``tx`` initialises and updates with ``values`` traced (shapes only, nothing runs)."""
    params = jax.ShapeDtypeStruct((2,), jnp.float32)

    def step(hparams, params):
        state = cast(HyperparamState, tx.init(params))._replace(hparams=hparams)  # optax types init as any state
        return tx.update(params, state, params)

    try:
        jax.eval_shape(step, jax.tree.map(jnp.asarray, values), params)
    except (TypeError, ValueError):
        return False
    return True
