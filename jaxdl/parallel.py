"""Many devices and many hosts: a 1-D device mesh and the shardings ``fit`` / ``fit_many`` use.

Data parallelism (``fit(..., mesh=mesh)``): every device holds the parameters and optimizer
state (replicated) and the whole dataset (replicated, so a shuffled batch is gathered on each
device without communication); each step's gathered batch is split along its first axis over
the mesh axis, so each of D devices runs the forward and backward pass on ``batch_size / D``
rows and XLA adds one all-reduce of the gradients. Sweep parallelism (``fit_many(..., mesh=mesh)``):
the stacked states of N runs are split along their run axis, N / D runs per device, with no
communication at all. Everything is JAX's own sharding (``Mesh``, ``NamedSharding``,
``PartitionSpec``, ``with_sharding_constraint``); the compiler writes the collectives.

Several hosts run the same program, one process each, after :func:`initialize`; a mesh then
spans the devices of all hosts, and :func:`shard_rows` puts on each host's devices only the
rows of a dataset they own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AbstractMesh, AxisType, Mesh, NamedSharding, PartitionSpec

from jaxdl._checks import ceil_div
from jaxdl.errors import ConfigError

__all__ = [
    "DATA_AXIS",
    "check_batch_split",
    "check_devices",
    "check_mesh",
    "constrain",
    "data_sharding",
    "initialize",
    "is_main_process",
    "make_mesh",
    "place_dataset",
    "replicate",
    "replicated",
    "replicated_like",
    "runs_per_chunk",
    "shard_rows",
    "shard_runs",
]

DATA_AXIS = "data"
"""The name of the mesh axis that batches (``fit``) or runs (``fit_many``) are split over."""


def check_devices(n_devices: Any, *, name: str = "n_devices") -> int:
    """The number of devices a mesh gets: ``n_devices``, or all visible devices when it is ``None``.

    Raises:
      ConfigError: naming ``name``, when ``n_devices`` is not an integer from 1 to the number
        of visible devices, or, with several processes, leaves out some process's devices.

    >>> check_devices(1)
    1
    """
    devices = jax.devices()
    if n_devices is None:
        return len(devices)
    if isinstance(n_devices, bool) or not isinstance(n_devices, int) or not 1 <= n_devices <= len(devices):
        fake = (
            " On CPU, XLA_FLAGS=--xla_force_host_platform_device_count=N (set before JAX starts) makes N devices."
            if devices[0].platform == "cpu"
            else ""
        )
        raise ConfigError(
            f"{name}={n_devices!r}: {len(devices)} {devices[0].platform} device(s) are visible; "
            f"expected an integer from 1 to {len(devices)}.{fake}"
        )
    if jax.process_count() > 1 and n_devices != len(devices):
        raise ConfigError(
            f"{name}={n_devices}: with {jax.process_count()} processes the mesh must span all {len(devices)} "
            "devices (every process needs devices in it); leave it out to use all."
        )
    return n_devices


def make_mesh(n_devices: int | None = None, *, axis: str = DATA_AXIS) -> Mesh:
    """A 1-D mesh over the first ``n_devices`` devices (default: all, of every host).

    The full set of devices is ordered by :func:`jax.make_mesh` (on TPU, a ring that makes
    all-reduces fast). Axis types are ``Auto``: shardings are hints for the compiler.

    Raises:
      ConfigError: see :func:`check_devices`.

    >>> mesh = make_mesh(1)
    >>> mesh.axis_names, mesh.size
    (('data',), 1)
    """
    n_devices, devices = check_devices(n_devices), jax.devices()
    if n_devices == len(devices):
        return jax.make_mesh((n_devices,), (axis,), axis_types=(AxisType.Auto,))
    return Mesh(np.array(devices[:n_devices]), (axis,), axis_types=(AxisType.Auto,))


def data_sharding(mesh: Mesh) -> NamedSharding:
    """Arrays split along their first axis over the mesh axis: batches (B, ...) or stacked runs (N, ...).

    >>> data_sharding(make_mesh(1)).spec
    P('data',)
    """
    return NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))


def replicated(mesh: Mesh | AbstractMesh) -> NamedSharding:
    """Arrays copied whole onto every device of the mesh (parameters, optimizer state, datasets).

    >>> replicated(make_mesh(1)).is_fully_replicated
    True
    """
    return NamedSharding(mesh, PartitionSpec())


def replicated_like(sharding: NamedSharding) -> NamedSharding:
    """The replicated sharding on ``sharding``'s mesh.

    >>> replicated_like(data_sharding(make_mesh(1))).spec
    P()
    """
    return replicated(sharding.mesh)


def constrain(tree: Any, sharding: NamedSharding | None) -> Any:
    """``jax.lax.with_sharding_constraint(tree, sharding)`` inside a jitted function; ``tree`` when ``None``.

    Lets a pure function (e.g. the epoch) be written once for one device and for a mesh.

    >>> constrain([1.0], None)
    [1.0]
    """
    return tree if sharding is None else jax.lax.with_sharding_constraint(tree, sharding)


def check_mesh(mesh: Any) -> Mesh:
    """Return ``mesh`` if it is a 1-D :class:`jax.sharding.Mesh`, else raise a :class:`ConfigError`.

    >>> check_mesh(make_mesh(1)).axis_names
    ('data',)
    """
    if not isinstance(mesh, Mesh) or len(mesh.axis_names) != 1:
        raise ConfigError(f"mesh={mesh!r}: expected a 1-D jax.sharding.Mesh, e.g. jaxdl.parallel.make_mesh().")
    return mesh


def check_batch_split(batch_size: int, mesh: Mesh) -> None:
    """Raise a :class:`ConfigError` unless ``mesh`` is a 1-D mesh and ``batch_size`` splits evenly over it.

    >>> check_batch_split(64, make_mesh(1))
    """
    d = check_mesh(mesh).size
    if batch_size % d:
        lower, upper = batch_size // d * d, ceil_div(batch_size, d) * d
        such = f"{lower} or {upper}" if lower else f"{upper}"
        raise ConfigError(
            f"batch_size={batch_size} does not split over {d} devices: use a multiple of {d} such as {such}."
        )


def runs_per_chunk(size: int, mesh: Mesh) -> int:
    """``size`` runs rounded up to a multiple of the mesh's device count (padding runs fill the rest).

    >>> runs_per_chunk(10, make_mesh(1))
    10
    """
    return ceil_div(size, mesh.size) * mesh.size


def _on_mesh(x: Any, mesh: Mesh) -> bool:
    sharding = getattr(x, "sharding", None)
    return (
        isinstance(sharding, NamedSharding)
        and isinstance(sharding.mesh, Mesh)
        and sharding.mesh.devices.tolist() == mesh.devices.tolist()
    )


def _put(x: Any, sharding: NamedSharding) -> Any:
    """``jax.device_put(x, sharding)``; across processes, a local device array goes through the host.

    JAX moves only host data (equal on every process) onto the devices of other processes, so a
    local array is fetched first; a PRNG key array travels as its raw ``key_data``.
    """
    if not isinstance(x, jax.Array) or sharding.is_fully_addressable or not x.is_fully_addressable:
        return jax.device_put(x, sharding)
    if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
        return jax.random.wrap_key_data(_put(jax.random.key_data(x), sharding), impl=jax.random.key_impl(x))
    return jax.device_put(np.asarray(x), sharding)


def replicate(tree: Any, mesh: Mesh) -> Any:
    """``tree`` copied onto every device of ``mesh`` (``jax.device_put`` with :func:`replicated`).

    Arrays already laid out on ``mesh`` (e.g. from :func:`shard_rows`) keep their layout. With
    several processes, the other arrays must be equal on every process (same seed, same data).

    >>> replicate({"w": np.ones(3)}, make_mesh(1))["w"].sharding.is_fully_replicated
    True
    """
    return jax.tree.map(lambda x: x if _on_mesh(x, mesh) else _put(x, replicated(mesh)), tree)


def shard_runs(tree: Any, mesh: Mesh) -> Any:
    """Stacked states (N, ...) split along the run axis (``jax.device_put`` with :func:`data_sharding`).

    >>> shard_runs(np.zeros((4, 3)), make_mesh(1)).sharding.spec
    P('data',)
    """
    return jax.tree.map(lambda x: _put(x, data_sharding(mesh)), tree)


def shard_rows(x: Any, mesh: Mesh, *, name: str = "x") -> jax.Array:
    """A global array of ``x`` (N, ...) split by rows over ``mesh``: each device holds N / D rows.

    ``x`` is this process's copy of the whole array (NumPy or JAX); each process puts only the
    rows of its own devices on them (``jax.make_array_from_callback``), so a dataset loaded on
    every host takes 1/D of the device memory. ``fit`` gathers its batches from such an array as
    from a replicated one (same results) at the cost of one all-reduce of each batch.

    Raises:
      ConfigError: N does not split evenly over the devices (the message names ``name``).

    >>> shard_rows(np.zeros((4, 2)), make_mesh(1)).shape
    (4, 2)
    """
    host = np.asarray(x)
    if host.shape[0] % mesh.size:
        raise ConfigError(
            f"{name} has {host.shape[0]} rows, which do not split over {mesh.size} devices: keep the data "
            f"replicated (the default), or use a number of rows divisible by {mesh.size}."
        )
    return jax.make_array_from_callback(host.shape, data_sharding(mesh), lambda index: host[index])


def place_dataset(ds: Any, mesh: Mesh, *, shard: bool = False) -> Any:
    """``ds`` (a :class:`jaxdl.data.Dataset`) with its four arrays on ``mesh``: replicated, or by rows.

    Replicated (the default) is fastest: every device gathers its batches locally. ``shard=True``
    divides the dataset's device memory by D (see :func:`shard_rows`).

    >>> from jaxdl import data
    >>> place_dataset(data.load("digits"), make_mesh(1)).train[0].sharding.is_fully_replicated
    True
    """
    (X, y), (X_test, y_test) = ds.train, ds.test
    if not shard:
        return dataclasses.replace(ds, train=replicate((X, y), mesh), test=replicate((X_test, y_test), mesh))
    return dataclasses.replace(
        ds,
        train=(shard_rows(X, mesh, name="the training set"), shard_rows(y, mesh, name="the training set")),
        test=(shard_rows(X_test, mesh, name="the test set"), shard_rows(y_test, mesh, name="the test set")),
    )


def initialize(
    coordinator_address: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Join a multi-host run: ``jax.distributed.initialize`` with these values or JAX's own detection.

    Call once per process, before anything else touches a device. Arguments left ``None``
    come from the environment as JAX documents: SLURM, Open MPI, Kubernetes and Cloud TPU
    pods are detected, and ``JAX_COORDINATOR_ADDRESS`` gives the coordinator.

    Raises:
      ConfigError: JAX could not set up the run (it says which value is missing), or it was
        already set up, or a device was used before.

    Example, in each of two processes (the second with ``process_id=1``)::

        initialize("10.0.0.1:1234", num_processes=2, process_id=0)
    """
    try:
        jax.distributed.initialize(
            coordinator_address=coordinator_address, num_processes=num_processes, process_id=process_id
        )
    except (ValueError, RuntimeError) as err:
        reason = str(err).splitlines()[0]
        raise ConfigError(
            f"cannot start the multi-host run ({reason}): give process 0's HOST:PORT, the number of processes and "
            "this process's id (coordinator_address, num_processes, process_id; in the CLI --coordinator-address, "
            "--num-processes, --process-id), or launch under SLURM, Open MPI or on a Cloud TPU pod."
        ) from None


def is_main_process() -> bool:
    """Whether this process writes files and prints summaries (process 0 of a multi-host run).

    >>> is_main_process()
    True
    """
    return jax.process_index() == 0
