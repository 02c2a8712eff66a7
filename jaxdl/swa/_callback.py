"""A ``fit`` callback that keeps the SWA/EMA average of the weights after each epoch, on the device."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import jax

from jaxdl import _checks
from jaxdl.callbacks import Callback, TrainInfo
from jaxdl.errors import ConfigError
from jaxdl.swa._averaged import AveragedModel, AveragedState, averaged_model


class _Fold(NamedTuple):
    """The on-device part: fold each epoch's weights from ``start_epoch`` on (a static argument of the call)."""

    averaged: AveragedModel
    start_epoch: int

    def init(self, state: Any) -> AveragedState:
        return self.averaged.init(state)

    def update(self, carry: AveragedState, epoch: jax.Array, state: Any, row: Mapping[str, jax.Array]) -> tuple:
        del row
        carry = jax.lax.cond(epoch >= self.start_epoch, lambda c: self.averaged.update(c, state), lambda c: c, carry)
        return carry, jax.numpy.bool_(False)


class AveragedWeights(Callback):
    """Fold the weights after each epoch from ``start_epoch`` on into an :func:`averaged_model`.

    PyTorch's SWA loop calls ``swa_model.update_parameters(model)`` after each epoch from
    ``swa_start``; pass this callback to ``fit`` instead, then read :attr:`variables` (the
    averaged ``{"params", "batch_stats"}``) and, for batch-norm models, recompute their
    statistics with :func:`update_bn`. ``averaged`` picks the average (default: SWA, equal
    weights; ``averaged_model(multi_avg_fn=get_ema_multi_avg_fn(0.9))`` for an EMA over epochs).
    The average is updated inside the compiled call, so several epochs still run per call.

    >>> AveragedWeights(start_epoch=3).start_epoch
    3
    """

    can_stop: bool = False

    def __init__(self, start_epoch: int = 1, averaged: AveragedModel | None = None) -> None:
        self.start_epoch = _checks.positive_int("AveragedWeights", "start_epoch", start_epoch)
        if averaged is not None and not isinstance(averaged, AveragedModel):
            raise _checks.fail(
                "AveragedWeights", "averaged", averaged, "an AveragedModel from jaxdl.swa.averaged_model()"
            )
        self.averaged = averaged or averaged_model()
        self._carry: AveragedState | None = None

    @property
    def state(self) -> AveragedState | None:
        """The :class:`AveragedState`, or None before ``start_epoch`` ended."""
        return None if self._carry is None or int(self._carry.n_averaged) == 0 else self._carry

    def on_train_begin(self, info: TrainInfo) -> None:
        """Start a new average; refuse trainers of many runs."""
        self._carry = None
        if info.runs:
            raise _checks.one_run_only(info.label, self)

    def device_hook(self) -> _Fold:
        """Fold each epoch's weights into the average inside the compiled call."""
        return _Fold(self.averaged, self.start_epoch)

    def on_carry(self, carry: AveragedState) -> None:
        """Keep the average the compiled call returned."""
        self._carry = carry

    @property
    def variables(self) -> dict[str, Any]:
        """The averaged flax variables; ConfigError before any epoch was averaged."""
        if self.state is None:
            raise ConfigError(
                f"AveragedWeights: no epoch averaged yet (start_epoch={self.start_epoch}): "
                "train at least that many epochs"
            )
        return dict(self.state.variables)
