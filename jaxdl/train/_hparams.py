"""Hyperparameters of a sweep: validated value lists and the grid of runs."""

from __future__ import annotations

import inspect
import itertools
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxdl._checks import fail
from jaxdl.errors import ConfigError, unknown

OptimizerFn = Callable[..., optax.GradientTransformation]


def as_list(values: Any) -> list | None:
    """A list of the items of a sequence or a 1-D numpy array; ``None`` for anything else."""
    if isinstance(values, np.ndarray):
        return values.tolist() if values.ndim == 1 else None
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        return None
    return list(values)


def check_values(where: str, arg: str, given: Any) -> tuple:
    """The values of argument ``arg`` of ``where`` (e.g. ``hparams['lr']``) as a tuple of finite numbers."""
    values = as_list(given)
    if values is None:
        shown = f"an array of shape {given.shape}" if isinstance(given, np.ndarray) else repr(given)
        raise fail(where, arg, given, "a list of numbers, e.g. [0.01, 0.1]", got=shown)
    if len(values) == 0:
        raise fail(where, arg, given, "a list of at least one value")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise fail(
                where,
                arg,
                value,
                "finite numbers (flags cannot be swept)",
                got=f"{value!r} in it",
            )
    return tuple(int(v) if isinstance(v, numbers.Integral) else float(v) for v in values)


def check_factory(factory: Callable, hparams: Mapping[str, Sequence]) -> None:
    """Names must match the factory's parameters; it must work on the first values and on JAX scalars."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        parameters = None
    if parameters is not None and not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        accepted = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        for name in hparams:
            if name not in accepted:
                raise unknown("hyperparameter of the optimizer function", name, accepted, where="fit_many")
        missing = [n for n in accepted if parameters[n].default is parameters[n].empty and n not in hparams]
        if missing:
            raise fail(
                "fit_many",
                "hparams",
                dict(hparams),
                f"a dict with {', '.join(missing)} (the optimizer function requires a value for each)",
            )

    first = {name: values[0] for name, values in hparams.items()}
    try:
        tx = factory(**first)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"the optimizer function failed on hyperparameters {first}: {err}") from None
    if not isinstance(tx, optax.GradientTransformation):
        raise ConfigError(
            f"the optimizer function returned {type(tx).__name__}: expected an optax.GradientTransformation."
        )

    def step(hp):
        tx, params = factory(**hp), {"w": jnp.zeros((2,))}
        return tx.update(params, tx.init(params), params)[0]

    try:
        jax.eval_shape(step, {name: jnp.asarray(value) for name, value in first.items()})
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"the optimizer function rejected array-valued hyperparameters {', '.join(hparams)} ({err}). "
            "fit_many passes each hyperparameter as a JAX scalar so one program serves every value: use a "
            "function that accepts arrays (optax's and jaxdl.optim's optimizers do; jaxdl.schedules accept "
            "an array base lr, their other arguments must be Python numbers)."
        ) from None


def check_seeds(given: Any) -> tuple[int, ...]:
    """``given`` as a tuple of non-negative integer seeds."""
    seeds = as_list(given)
    if seeds is None:
        raise fail("fit_many", "seeds", given, "a list of seeds, e.g. range(4)")
    if len(seeds) == 0:
        raise fail("fit_many", "seeds", given, "a list of at least one seed")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) < 2**63:
            raise fail(
                "fit_many", "seeds", seed, "integers in [0, 2**63 - 1] (what the PRNG accepts)", got=f"{seed!r} in it"
            )
    return tuple(int(s) for s in seeds)


def hyperparameter_grid(hparams: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """Every combination of the listed values, the last name varying fastest.

    >>> hyperparameter_grid({"lr": [0.1, 0.3], "momentum": [0.0, 0.9]})[1]
    {'lr': 0.1, 'momentum': 0.9}
    """
    names = list(hparams)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(hparams[n] for n in names))]


Hparams = Mapping[str, Sequence[float]] | Sequence[Mapping[str, float]]
"""What ``fit_many`` sweeps: name -> values (a grid), or a list of settings (e.g. from ``search_space``)."""


def check_settings(given: Sequence[Any]) -> list[dict[str, float]]:
    """A list of settings (dicts of the same names to finite numbers) as plain dicts of Python numbers."""
    settings = []
    for i, setting in enumerate(given):
        if not isinstance(setting, Mapping) or not setting:
            raise fail("fit_many", f"hparams[{i}]", setting, "a dict of hyperparameter name -> number")
        if i and set(setting) != set(settings[0]):
            raise fail(
                "fit_many",
                f"hparams[{i}]",
                dict(setting),
                f"a dict of the names of hparams[0] ({', '.join(settings[0])})",
            )
        values = check_values("fit_many", f"hparams[{i}]", list(setting.values()))
        settings.append(dict(zip(setting, values, strict=True)))
    return settings


def sweep_grid(
    optimizer: optax.GradientTransformation | OptimizerFn, hparams: Hparams | None
) -> tuple[OptimizerFn | None, list[dict]]:
    """``(optimizer function, settings)`` of a sweep; ``(None, [{}])`` for one fixed optimizer.

    ``hparams`` is a grid (name -> values, see :func:`hyperparameter_grid`) or the list of settings itself.

    Raises:
      ConfigError: hyperparameters without an optimizer function (or the reverse), bad value
        lists, or an optimizer function that does not take them (see :func:`check_factory`).

    >>> sweep_grid(lambda lr: optax.sgd(lr), {"lr": [0.1, 0.3]})[1]
    [{'lr': 0.1}, {'lr': 0.3}]
    """
    if isinstance(optimizer, optax.GradientTransformation):
        if hparams:
            raise fail(
                "fit_many",
                "optimizer",
                optimizer,
                "a function of the hyperparameters when hparams is given, e.g. lambda lr: jaxdl.optim.sgd(lr=lr)",
                got="an optax.GradientTransformation",
            )
        return None, [{}]
    if not callable(optimizer):
        raise fail(
            "fit_many", "optimizer", optimizer, "an optax.GradientTransformation or a function of hyperparameters"
        )
    if not hparams:
        raise fail(
            "fit_many",
            "hparams",
            hparams,
            "the values to sweep when optimizer is a function of them, e.g. hparams={'lr': [0.01, 0.1]}",
        )
    if not isinstance(hparams, Mapping):
        if isinstance(hparams, (str, bytes)) or not isinstance(hparams, Sequence):
            raise fail("fit_many", "hparams", hparams, "a dict of name -> list of values, or a list of settings")
        settings = check_settings(hparams)
        check_factory(optimizer, {name: [value] for name, value in settings[0].items()})
        return optimizer, settings
    hparams = {name: check_values("fit_many", f"hparams[{name!r}]", values) for name, values in hparams.items()}
    check_factory(optimizer, hparams)
    return optimizer, hyperparameter_grid(hparams)
