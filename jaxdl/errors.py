"""The errors jaxdl raises for user mistakes and for diverged training, and the one form of each message.

Two forms, one line each: a bad argument is ``"<where>: <arg> must be <expected>, got <value>"``
(``jaxdl._checks`` builds it), and a name that is not known is :func:`unknown`'s
``"unknown <what> <name> (did you mean <x>?); expected one of <names>"``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DivergenceError",
    "suggest",
    "unknown",
]


class ConfigError(ValueError):
    """A user-facing mistake: the message names the argument, the value and what was expected."""


class DivergenceError(RuntimeError):
    """Training diverged: a NaN/inf loss (naming the epoch and first bad step) or one above ``max_loss``.

    Attributes:
      epoch: the epoch (from 1) that diverged; the state after epoch ``epoch - 1`` was good.
      step: the first step of that epoch (from 1) with a NaN/inf loss, or ``None``.
    """

    def __init__(self, message: str, *, epoch: int | None = None, step: int | None = None) -> None:
        super().__init__(message)
        self.epoch, self.step = epoch, step


def _typos(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    Among the close matches, the one fewest typos away wins (so ``adma`` is ``Adam``, not ``Adamax``).

    >>> suggest("adma", ["adam", "adamax", "sgd"])
    " (did you mean 'adam'?)"
    """
    lowered = {c.lower(): c for c in choices}
    typed = str(name).lower()
    matches = difflib.get_close_matches(typed, list(lowered), n=3, cutoff=0.6)
    if not matches:
        return ""
    best = min(matches, key=lambda m: _typos(typed, m))
    return f" (did you mean {lowered[best]!r}?)"


SHOWN = 20
"""How many choices an :func:`unknown` message lists before it says how many there are."""


def unknown(what: str, name: object, choices: Iterable[str], *, where: str = "") -> ConfigError:
    """The one-line error for a name that is not one of ``choices``, with the closest as "did you mean".

    Args:
      what: what the name names (``"dataset"``, ``"optimizer"``, ``"argument"``, ...).
      name: the name the user gave.
      choices: the names that are known, in the order to list them.
      where: the function or class that looked the name up, shown first when given.

    >>> print(unknown("dataset", "digist", ["digits", "mnist"]))
    unknown dataset 'digist' (did you mean 'digits'?); expected one of digits, mnist
    >>> print(unknown("argument", "gama", ["lr", "gamma"], where="StepLR"))
    StepLR: unknown argument 'gama' (did you mean 'gamma'?); expected one of lr, gamma
    """
    names = [str(c) for c in choices]
    shown = names if len(names) <= SHOWN else [*names[:SHOWN], f"... ({len(names)} in all)"]
    prefix = f"{where}: " if where else ""
    hint = suggest(str(name), names)
    return ConfigError(f"{prefix}unknown {what} {name!r}{hint}; expected one of {', '.join(shown)}")
