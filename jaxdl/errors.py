"""The errors jaxdl raises for user mistakes and for diverged training, and close-match suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    >>> suggest("adma", ["adam", "sgd"])
    " (did you mean 'adam'?)"
    """
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""
