"""The jaxdl contestants (5–10): a Python loop over a jitted step, ``fit``, ``fit_many``, N sequential fits.

All train the workload's linen model (torch's default init) with ``optax.sgd(0.1)`` on the
same arrays as the PyTorch contestants, placed on the device once; the learning-rate sweeps
(9, 10) use the N rates of :func:`sweep_rates` instead.
"""

from __future__ import annotations

import functools
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxdl import data as jdata
from jaxdl import train
from jaxdl.bench._measure import Measurement, time_epochs
from jaxdl.bench._workloads import (  # noqa: F401 (WORKLOADS: the docstring example uses it)
    BATCH_SIZE,
    LR,
    NUM_CLASSES,
    WORKLOADS,
    BenchData,
    Workload,
)
from jaxdl.models import MLP, SoftmaxRegression


def to_dataset(bench: BenchData) -> jdata.Dataset:
    """The benchmark arrays as a jaxdl :class:`~jaxdl.data.Dataset` on the default device."""
    return jdata.from_arrays(
        bench.X_train, bench.y_train, bench.X_test, bench.y_test, num_classes=NUM_CLASSES, name=bench.source
    )


def jax_model(workload: Workload) -> nn.Module:
    """The linen model of ``workload``, twin of :func:`jaxdl.bench.torch_model` (torch's default init).

    >>> jax_model(WORKLOADS["mlp"]).hidden
    (256,)
    """
    if not workload.hidden:
        return SoftmaxRegression(NUM_CLASSES)
    return MLP(
        hidden=workload.hidden, num_classes=NUM_CLASSES, dropout=workload.dropout, batch_norm=workload.batch_norm
    )


def _steps(ds: jdata.Dataset) -> int:
    """Steps of jaxdl's compiled epoch: the rows of its batch plan."""
    return int(train.batch_plan(jnp.arange(ds.train[0].shape[0]), BATCH_SIZE)[0].shape[0])


def python_loop(workload: Workload, ds: jdata.Dataset, *, precision: str, epochs: int, seed: int) -> Measurement:
    """Contestant 5: jaxdl's ``train_step`` jitted alone, called once per batch from Python.

    The epoch is planned exactly as :func:`jaxdl.train.train_epoch_fn` plans it (same key
    split, permutation and padded last batch); each call gathers its batch on the device.
    """
    model = jax_model(workload)
    objective = train.objective_for(model)
    (X, y), (X_test, y_test) = ds.train, ds.test
    state = train.create_train_state(model, optax.sgd(LR), X[:1], key=jax.random.key(seed))
    n = X.shape[0]

    @jax.jit
    def plan(key):
        key, perm_key = jax.random.split(key)
        return (key, *train.batch_plan(jdata.permutation(perm_key, n), BATCH_SIZE))

    @functools.partial(jax.jit, donate_argnums=0)
    def step(state, X, y, idx, weight, i):
        return train.train_step(state, (X[idx[i]], y[idx[i]], weight[i]), objective=objective)[0]

    def epoch() -> tuple[float, int]:
        nonlocal state
        key, idx, weight = plan(state.key)
        state = state.replace(key=key)
        for i in range(idx.shape[0]):
            state = step(state, X, y, idx, weight, i)
        test = train.evaluate(state, X_test, y_test, batch_size=BATCH_SIZE, objective=objective)
        return float(test["acc"]), int(idx.shape[0])

    times, acc, steps = time_epochs(epoch, epochs)
    return Measurement(5, workload.name, precision, 1, n, times, acc, steps)


def _timed_fit(
    model: nn.Module,
    tx: optax.GradientTransformation,
    workload: Workload,
    ds: jdata.Dataset,
    *,
    precision: str,
    epochs: int,
    seed: int,
) -> Measurement:
    result = train.fit(model, ds, optimizer=tx, epochs=epochs, batch_size=BATCH_SIZE, seed=seed, verbose=0)
    return Measurement(
        6,
        workload.name,
        precision,
        1,
        int(ds.train[0].shape[0]),
        result.history["epoch_time"],
        result.history["test_acc"][-1],
        _steps(ds),
    )


def compiled_fit(workload: Workload, ds: jdata.Dataset, *, precision: str, epochs: int, seed: int) -> Measurement:
    """Contestant 6: :func:`jaxdl.train.fit`, timed from the call to each epoch's callback.

    The first epoch therefore includes creating the state and compiling; every epoch
    includes ``fit``'s test-set evaluation, as for the other contestants.
    """
    return _timed_fit(jax_model(workload), optax.sgd(LR), workload, ds, precision=precision, epochs=epochs, seed=seed)


def sweep_rates(models: int) -> list[float]:
    """The N learning rates of contestants 9 and 10: geometric from LR / 4 up to LR (just LR for N = 1)."""
    return np.geomspace(LR / 4, LR, models).tolist() if models > 1 else [LR]


def _timed_fit_many(
    contestant: int, workload: Workload, ds: jdata.Dataset, *, precision: str, epochs: int, models: int, **kwargs
) -> Measurement:
    start = time.perf_counter()
    result = train.fit_many(jax_model(workload), ds, epochs=epochs, batch_size=BATCH_SIZE, verbose=0, **kwargs)
    wall = time.perf_counter() - start
    steady = [float(t) for t in np.asarray(result.epoch_time)[1:]]
    acc = float(np.mean(np.asarray(result.history["test_acc"])[:, -1]))
    return Measurement(
        contestant,
        workload.name,
        precision,
        models,
        int(ds.train[0].shape[0]),
        [wall - sum(steady)] + steady,
        acc,
        _steps(ds),
    )


def vmapped_fits(
    workload: Workload, ds: jdata.Dataset, *, precision: str, epochs: int, seed: int, models: int
) -> Measurement:
    """Contestant 7: :func:`jaxdl.train.fit_many` with seeds ``seed … seed + models - 1``.

    Every run shuffles with its own seed, so each model gathers its own batches. Steady
    epochs are ``fit_many``'s own ``epoch_time`` (train and test evaluation of all models);
    the warm-up is the rest of the call's wall time (init, compile, first epoch).
    """
    return _timed_fit_many(
        7,
        workload,
        ds,
        precision=precision,
        epochs=epochs,
        models=models,
        optimizer=optax.sgd(LR),
        seeds=tuple(range(seed, seed + models)),
    )


def vmapped_lr_sweep(
    workload: Workload, ds: jdata.Dataset, *, precision: str, epochs: int, seed: int, models: int
) -> Measurement:
    """Contestant 9: :func:`jaxdl.train.fit_many` over the N rates of :func:`sweep_rates`, one seed.

    All runs share the seed, hence the shuffling: each step gathers one batch for all N
    models, and a layer's N matmuls become one wide matmul. Timed as contestant 7.
    """
    return _timed_fit_many(
        9,
        workload,
        ds,
        precision=precision,
        epochs=epochs,
        models=models,
        optimizer=lambda lr: optax.sgd(lr),
        hparams={"lr": sweep_rates(models)},
        seeds=(seed,),
    )


def _summed(contestant: int, fits: list[Measurement], counts: tuple[int, ...]) -> list[Measurement]:
    """For each N in ``counts``, epoch k of "N fits" is the sum of epoch k of the first N fits."""
    rows = []
    for n in sorted(counts):
        times = np.sum([f.epoch_times for f in fits[:n]], axis=0).tolist()
        acc = float(np.mean([f.test_acc for f in fits[:n]]))
        rows.append(
            Measurement(
                contestant,
                fits[0].workload,
                fits[0].precision,
                n,
                fits[0].train_size,
                times,
                acc,
                fits[0].steps_per_epoch,
                note="measured",
            )
        )
    return rows


def sequential_fits(
    workload: Workload, ds: jdata.Dataset, *, precision: str, epochs: int, seed: int, counts: tuple[int, ...]
) -> list[Measurement]:
    """Contestant 8: ``max(counts)`` fits run one after another (seeds ``seed, seed + 1, …``).

    The fits share one model and one optimizer object, as a loop over seeds would, so the
    compiled epoch is reused (a new optimizer object per fit would recompile it each time).
    Every fit is measured; nothing is extrapolated.
    """
    model, tx = jax_model(workload), optax.sgd(LR)
    fits = [
        _timed_fit(model, tx, workload, ds, precision=precision, epochs=epochs, seed=seed + i)
        for i in range(max(counts))
    ]
    return _summed(8, fits, counts)


def sequential_lr_sweep(
    workload: Workload, ds: jdata.Dataset, *, precision: str, epochs: int, seed: int, counts: tuple[int, ...]
) -> list[Measurement]:
    """Contestant 10: one fit per rate of ``sweep_rates(max(counts))``, one after another, one seed.

    Each fit gets ``optax.sgd(lr)``, a new optimizer object, as a loop over rates would write
    it, so each fit compiles its epoch (in its warm-up). Summed as contestant 8.
    """
    model = jax_model(workload)
    fits = [
        _timed_fit(model, optax.sgd(lr), workload, ds, precision=precision, epochs=epochs, seed=seed)
        for lr in sweep_rates(max(counts))
    ]
    return _summed(10, fits, counts)
