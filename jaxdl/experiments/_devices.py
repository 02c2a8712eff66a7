"""The devices a run trains on: the hosts joined, a mesh of ``devices``, and the data placed on it.

One machine with several accelerators is one process: ``devices=N`` trains on a mesh of its first N
devices (default: all). Several machines run the same job once each with ``distributed``: the hosts are
joined (``jax.distributed.initialize``) before any device is touched, and the mesh spans the devices of
every host. Process 0 writes the run folder.
"""

from __future__ import annotations

import jax

from jaxdl import data, parallel
from jaxdl.errors import ConfigError
from jaxdl.experiments._config import TrainConfig


def mesh_for(config: TrainConfig) -> jax.sharding.Mesh | None:
    """Join the multi-host run (``distributed``), then return the mesh of the first ``devices`` devices
    (default all); None for one device, which trains exactly as without a mesh.

    Raises:
      ConfigError: a cluster option without ``distributed``, a failed join, or a bad ``devices``.
    """
    cluster = {
        "--coordinator-address": config.coordinator_address,
        "--num-processes": config.num_processes,
        "--process-id": config.process_id,
    }
    given = [flag for flag, value in cluster.items() if value is not None]
    if given and not config.distributed:
        raise ConfigError(f"{', '.join(given)} only apply to a multi-host run: add --distributed.")
    if config.distributed:
        parallel.initialize(config.coordinator_address, config.num_processes, config.process_id)
    n = parallel.check_devices(config.devices, name="--devices")
    return parallel.make_mesh(n) if n > 1 else None


def placed(
    ds: data.Dataset, mesh: jax.sharding.Mesh | None, shard: bool, *, batch_size: int | None = None
) -> data.Dataset:
    """``ds`` split by rows over ``mesh`` when ``shard``, else unchanged (``fit`` replicates it).

    With ``batch_size`` (training, which splits batches; a sweep splits runs), also check that it
    splits over the mesh before training starts.
    """
    if mesh is None:
        return ds
    if batch_size is not None:
        parallel.check_batch_split(batch_size, mesh)
    return parallel.place_dataset(ds, mesh, shard=True) if shard else ds
