"""``per_step``: a schedule that ``fit`` steps after every optimizer step instead of every epoch."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax

from jaxdl._checks import fail


@dataclasses.dataclass(frozen=True)
class PerStep:
    """A schedule stepped after every optimizer step (PyTorch: ``scheduler.step()`` after each batch).

    Made by :func:`per_step`; it is still a ``count -> lr`` function.

    Attributes:
      schedule: the wrapped ``count -> lr`` schedule.
    """

    schedule: Callable[[Any], Any]

    def __call__(self, count: Any) -> jax.Array:
        """The wrapped schedule's value at ``count``."""
        return self.schedule(count)


def per_step(schedule: Callable[[Any], Any]) -> PerStep:
    """Tell ``fit`` to step ``schedule`` after every optimizer step, not after every epoch.

    ``fit(schedule=s)`` steps ``s`` once per epoch, as PyTorch's usual loop calls
    ``scheduler.step()`` after each epoch; ``OneCycleLR`` and ``CyclicLR`` are usually stepped
    after each batch: ``fit(schedule=per_step(one_cycle_lr(...)))``.

    >>> from jaxdl.schedules import step_lr
    >>> s = per_step(step_lr(1.0, step_size=2, gamma=0.5))
    >>> float(s(3))
    0.5
    """
    if isinstance(schedule, PerStep):
        return schedule
    if not callable(schedule):
        raise fail("per_step", "schedule", schedule, "a schedule count -> lr (e.g. jaxdl.schedules.one_cycle_lr(...))")
    return PerStep(schedule)
