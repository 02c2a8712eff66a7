"""``torch.optim.swa_utils`` for jaxdl: SWA and EMA weight averages and ``update_bn``.

:func:`averaged_model` is ``AveragedModel`` as a pure ``(init, update)`` pair (SWA by default,
EMA with :func:`get_ema_multi_avg_fn`); :func:`update_bn` recomputes batch-norm statistics for
averaged weights; :class:`AveragedWeights` is the ``fit`` callback that averages the epochs'
weights. ``SWALR`` is a learning-rate schedule, so it lives with the others:
:func:`jaxdl.schedules.swalr`.

>>> import jax.numpy as jnp
>>> ema = averaged_model(multi_avg_fn=get_ema_multi_avg_fn(0.5))
>>> state = ema.init({"params": {"w": jnp.zeros(())}})
>>> for w in (4.0, 0.0):
...     state = ema.update(state, {"params": {"w": jnp.asarray(w)}})
>>> float(state.variables["params"]["w"])
2.0
"""

from jaxdl.swa._averaged import (
    AveragedModel,
    AveragedState,
    averaged_model,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
)
from jaxdl.swa._callback import AveragedWeights
from jaxdl.swa._update_bn import update_bn

__all__ = [
    "AveragedModel",
    "AveragedState",
    "AveragedWeights",
    "averaged_model",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]
