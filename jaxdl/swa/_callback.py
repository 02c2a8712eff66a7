"""A ``fit`` callback that keeps the SWA/EMA average of the weights after each epoch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax

from jaxdl import _checks
from jaxdl.callbacks import Callback
from jaxdl.errors import ConfigError
from jaxdl.swa._averaged import AveragedModel, AveragedState, averaged_model


class AveragedWeights(Callback):
    """Fold the weights after each epoch from ``start_epoch`` on into an :func:`averaged_model`.

    PyTorch's SWA loop calls ``swa_model.update_parameters(model)`` after each epoch from
    ``swa_start``; pass this callback to ``fit`` instead, then read :attr:`variables` (the
    averaged ``{"params", "batch_stats"}``) and, for batch-norm models, recompute their
    statistics with :func:`update_bn`. ``averaged`` picks the average (default: SWA, equal
    weights; ``averaged_model(multi_avg_fn=get_ema_multi_avg_fn(0.9))`` for an EMA over epochs).

    Attributes:
      state: the :class:`AveragedState` (None before ``start_epoch`` ends).

    >>> cb = AveragedWeights(start_epoch=3)
    >>> cb.wants_state(2), cb.wants_state(3)
    (False, True)
    """

    def __init__(self, start_epoch: int = 1, averaged: AveragedModel | None = None) -> None:
        self.start_epoch = _checks.positive_int("AveragedWeights", "start_epoch", start_epoch)
        if averaged is not None and not isinstance(averaged, AveragedModel):
            raise ConfigError(f"AveragedWeights: averaged must come from jaxdl.swa.averaged_model(), got {averaged!r}")
        self.averaged = averaged or averaged_model()
        self._update = jax.jit(self.averaged.update)
        self.state: AveragedState | None = None

    def wants_state(self, epoch: int) -> bool:
        """True from ``start_epoch`` on."""
        return epoch >= self.start_epoch

    def on_epoch_end(self, epoch: int, row: Mapping[str, float], state: Any, history: Mapping[str, list]) -> None:
        """Fold ``state``'s weights into the average."""
        del row, history
        if state is None or epoch < self.start_epoch:
            return
        if self.state is None:
            self.state = self.averaged.init(state)
        self.state = self._update(self.state, state)

    @property
    def variables(self) -> dict[str, Any]:
        """The averaged flax variables; ConfigError before any epoch was averaged."""
        if self.state is None:
            raise ConfigError(
                f"AveragedWeights: no epoch averaged yet (start_epoch={self.start_epoch}); "
                "train at least that many epochs"
            )
        return dict(self.state.variables)
