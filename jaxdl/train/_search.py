"""Search spaces of ``fit_many``: a grid crossed with random draws (uniform, log-uniform, choice)."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from jaxdl._checks import fail, integer
from jaxdl.errors import ConfigError
from jaxdl.train._hparams import check_values, hyperparameter_grid

DIGITS = 4
"""Drawn values are rounded to this many significant digits, so a run's config reads (and retypes) exactly."""


def _bound(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise fail(where, name, value, "a finite number")
    return float(value)


@dataclasses.dataclass(frozen=True)
class Uniform:
    """Values drawn uniformly from ``[low, high]``.

    >>> Uniform(0.5, 0.99).sample(np.random.default_rng(0), 2).tolist()
    [0.8121, 0.6322]
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _bound("Uniform", "low", self.low), _bound("Uniform", "high", self.high)
        if not low < high:
            raise fail("Uniform", "high", high, f"a number above low ({low:g})")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` values (float64), rounded to :data:`DIGITS` significant digits."""
        return _rounded(rng.uniform(self.low, self.high, n))


@dataclasses.dataclass(frozen=True)
class LogUniform:
    """Values whose logarithm is uniform on ``[log low, log high]`` (learning rates, weight decays).

    >>> LogUniform(1e-4, 1.0).sample(np.random.default_rng(0), 2).tolist()
    [0.03531, 0.0012]
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _bound("LogUniform", "low", self.low), _bound("LogUniform", "high", self.high)
        if not low > 0:
            raise fail("LogUniform", "low", low, "a number > 0 (a log-uniform range is positive)")
        if not low < high:
            raise fail("LogUniform", "high", high, f"a number above low ({low:g})")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` values (float64), rounded to :data:`DIGITS` significant digits."""
        return _rounded(np.exp(rng.uniform(math.log(self.low), math.log(self.high), n)))


@dataclasses.dataclass(frozen=True)
class Choice:
    """Values drawn with equal probability from ``values``.

    >>> Choice((0.0, 0.9)).sample(np.random.default_rng(1), 4).tolist()
    [0.0, 0.9, 0.9, 0.9]
    """

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", check_values("Choice", "values", self.values))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` of the values."""
        return np.asarray(self.values)[rng.integers(0, len(self.values), n)]


Distribution = Uniform | LogUniform | Choice


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.array([float(f"{v:.{DIGITS}g}") for v in values])


def search_space(
    grid: Mapping[str, Sequence[float]] | None = None,
    random: Mapping[str, Distribution] | None = None,
    *,
    samples: int = 0,
    seed: int = 0,
) -> list[dict[str, float]]:
    """The settings of a search: every point of ``grid`` with each of ``samples`` draws from ``random``.

    Grid-major (as :func:`hyperparameter_grid`, the last grid name fastest), and every grid point gets the
    same draws, so settings that differ only in a grid value are compared on equal terms. The draws come
    from ``numpy.random.default_rng(seed)``, one name after the other, rounded to :data:`DIGITS`
    significant digits. The list is what ``fit_many(hparams=...)`` takes.

    Args:
      grid: name -> the values to try, each with every other.
      random: name -> a :class:`Uniform`, :class:`LogUniform` or :class:`Choice`.
      samples: how many draws of ``random`` (>= 1 when ``random`` is given).
      seed: the seed of the draws.

    Raises:
      ConfigError: an empty search space, a name in both, ``random`` without ``samples`` (or the reverse).

    >>> space = search_space({"momentum": [0.0, 0.9]}, {"lr": LogUniform(1e-3, 1.0)}, samples=2)
    >>> [(s["momentum"], s["lr"]) for s in space]
    [(0.0, 0.08145), (0.0, 0.006447), (0.9, 0.08145), (0.9, 0.006447)]
    """
    grid, random = dict(grid or {}), dict(random or {})
    samples = integer("search_space", "samples", samples, low=0)
    if not grid and not random:
        raise ConfigError("search_space: the search space is empty: give a grid of values or random ranges to draw.")
    both = sorted(set(grid) & set(random))
    if both:
        raise fail("search_space", "random", both[0], "a name that is not also in grid", got=f"{both[0]!r} in both")
    if random and not samples:
        raise fail("search_space", "samples", samples, "at least 1 draw of the random ranges")
    if samples and not random:
        raise fail("search_space", "samples", samples, "0 without random ranges to draw from")
    for name, distribution in random.items():
        if not isinstance(distribution, Uniform | LogUniform | Choice):
            raise fail("search_space", f"random[{name!r}]", distribution, "a Uniform, LogUniform or Choice")
    points = hyperparameter_grid({name: check_values("search_space", f"grid[{name!r}]", v) for name, v in grid.items()})
    rng = np.random.default_rng(seed)
    columns = {name: distribution.sample(rng, samples) for name, distribution in random.items()}
    draws = [{name: float(column[i]) for name, column in columns.items()} for i in range(samples)] or [{}]
    return [{**point, **draw} for point in points for draw in draws]
