"""``LossLimit``: a loss that exploded but stayed finite ends training with a ``DivergenceError``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl import _checks
from jaxdl.callbacks._callback import Callback
from jaxdl.errors import DivergenceError


class _Above(NamedTuple):
    """The on-device check: the compiled call stops after the epoch whose training loss is above ``limit``."""

    limit: float

    def init(self, state: Any) -> None:
        del state

    def update(self, carry: None, epoch: jax.Array, state: Any, row: Mapping[str, jax.Array]) -> tuple[None, jax.Array]:
        del epoch, state
        return carry, ~(row["train_loss"] <= jnp.float32(self.limit))


class LossLimit(Callback):
    """Raise :class:`~jaxdl.errors.DivergenceError` after an epoch whose mean training loss is above ``max_loss``.

    A NaN/inf loss always stops training (it names the epoch and step); this also stops a
    loss that exploded but stayed finite. The check runs inside the compiled call too, so no
    epoch runs after the bad one.

    >>> try:
    ...     LossLimit(10.0).on_epoch_end(3, {"train_loss": 1e6}, None, {})
    ... except DivergenceError as err:
    ...     print(err.epoch, str(err)[:56])
    3 mean training loss 1e+06 in epoch 3 is above max_loss=10
    """

    can_stop = False

    def __init__(self, max_loss: float) -> None:
        value = _checks.number("LossLimit", "max_loss", max_loss, low=0.0, low_open=True)
        self.max_loss = float(np.float32(value)) if value < _checks.FLOAT32_MAX else math.inf

    def device_hook(self) -> _Above:
        """The same check inside the compiled call."""
        return _Above(self.max_loss)

    def on_epoch_end(self, epoch: int, row: Mapping[str, Any], state: Any, history: Mapping[str, list]) -> None:
        """Raise when this epoch's mean training loss is above the limit."""
        del state, history
        loss = float(np.nanmax(np.asarray(row["train_loss"], dtype=np.float64)))
        if not np.float32(loss) <= np.float32(self.max_loss):
            raise DivergenceError(
                f"mean training loss {loss:.4g} in epoch {epoch} is above max_loss={self.max_loss:.4g}: "
                "training diverged; lower the learning rate or check the data.",
                epoch=epoch,
            )
