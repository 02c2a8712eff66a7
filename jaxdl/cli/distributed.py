"""``--devices``, ``--shard-data`` and ``--distributed`` for ``jaxdl train`` and ``jaxdl sweep``.

One machine with several accelerators is one process: ``--devices N`` trains on a mesh of its
first N devices (default: all). Several machines run the same command once each with
``--distributed``: :func:`setup` joins them (``jax.distributed.initialize``) before any device
is touched, and the mesh spans the devices of every host. Process 0 writes the outputs.

These options say how to run, not what to train: they are not saved in a run's config, and
``jaxdl train --resume`` accepts them anew (a run may continue on another machine).
"""

from __future__ import annotations

import argparse

from jax.sharding import Mesh

from jaxdl import parallel
from jaxdl.cli import args as types
from jaxdl.data import Dataset
from jaxdl.errors import ConfigError

RUN_OPTIONS = {"devices", "shard_data", "distributed", "coordinator_address", "num_processes", "process_id"}
"""The ``dest`` names of the options added by :func:`add_arguments`."""


class _Store(argparse.Action):
    """argparse's ``store``, kept out of ``args.given`` (typing a run option never conflicts with ``--resume``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)


class _Flag(argparse.Action):
    """argparse's ``store_true``, kept out of ``args.given`` like :class:`_Store`."""

    def __init__(self, option_strings, dest, default=False, required=False, help=None):
        super().__init__(option_strings, dest, nargs=0, const=True, default=default, required=required, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, True)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the device and multi-host options to ``p``.

    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["--devices", "2"]).devices
    2
    """
    group = p.add_argument_group("devices and hosts (see docs/scale.md)")
    group.add_argument(
        "--devices",
        type=types.positive_int,
        default=None,
        action=_Store,
        metavar="N",
        help="train on a mesh of the first N devices (default: all visible; with 1 nothing changes)",
    )
    group.add_argument(
        "--shard-data",
        action=_Flag,
        help="split the dataset's rows over the devices instead of copying it to each "
        "(memory / N; sizes must divide by N; same results)",
    )
    group.add_argument(
        "--distributed",
        action=_Flag,
        help="one process per host: join the others with jax.distributed.initialize "
        "(SLURM, Open MPI and Cloud TPU pods are detected; else give the three options below)",
    )
    group.add_argument(
        "--coordinator-address",
        default=None,
        action=_Store,
        metavar="HOST:PORT",
        help="process 0's address and a free port (or JAX_COORDINATOR_ADDRESS)",
    )
    group.add_argument(
        "--num-processes",
        type=types.positive_int,
        default=None,
        action=_Store,
        metavar="P",
        help="number of processes in the run",
    )
    group.add_argument(
        "--process-id",
        type=types.nonnegative_int,
        default=None,
        action=_Store,
        metavar="I",
        help="this process's index, 0 to P - 1",
    )


def setup(args: argparse.Namespace) -> Mesh | None:
    """Join the multi-host run (``--distributed``), then return the mesh of ``--devices``.

    Call first, before anything touches a device. Returns ``None`` for a single device, so
    one-device training runs exactly as without a mesh.

    Raises:
      ConfigError: a cluster option without ``--distributed``, a failed join, or a bad ``--devices``.

    >>> setup(argparse.Namespace(devices=1, distributed=False, coordinator_address=None, num_processes=None,
    ...                          process_id=None)) is None
    True
    """
    cluster = {
        "--coordinator-address": args.coordinator_address,
        "--num-processes": args.num_processes,
        "--process-id": args.process_id,
    }
    given = [flag for flag, value in cluster.items() if value is not None]
    if given and not args.distributed:
        raise ConfigError(f"{', '.join(given)} only apply to a multi-host run: add --distributed.")
    if args.distributed:
        parallel.initialize(args.coordinator_address, args.num_processes, args.process_id)
    n = parallel.check_devices(args.devices, name="--devices")
    return parallel.make_mesh(n) if n > 1 else None


def place(ds: Dataset, mesh: Mesh | None, args: argparse.Namespace, *, batch_size: int | None = None) -> Dataset:
    """``ds`` split by rows over ``mesh`` with ``--shard-data``; else unchanged (``fit`` replicates it).

    With ``batch_size`` (``jaxdl train``, which splits batches; ``jaxdl sweep`` splits runs), also
    check before training starts that it splits over the mesh.

    >>> from jaxdl import data
    >>> ds = data.load("digits")
    >>> place(ds, None, argparse.Namespace(shard_data=True)) is ds
    True
    """
    if mesh is None:
        return ds
    if batch_size is not None:
        parallel.check_batch_split(batch_size, mesh)
    return parallel.place_dataset(ds, mesh, shard=True) if args.shard_data else ds
