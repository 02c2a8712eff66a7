"""``fit_many``: N models in one compiled program — ``vmap`` over runs, ``scan`` over batches.

A run is one (seed, hyperparameter setting) pair. The states of all runs are stacked along
a leading axis and one jitted program trains them all for an epoch: ``jax.vmap`` of
:func:`~jaxdl.train.train_epoch_fn` and :func:`~jaxdl.train.evaluate_fn`. Hyperparameters
are arrays in the optimizer state (not constants baked into the program), so a sweep over
64 learning rates compiles once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding

from jaxdl import parallel
from jaxdl._checks import ceil_div
from jaxdl.callbacks import ProgressBar, TrainInfo
from jaxdl.data import Dataset
from jaxdl.errors import ConfigError, suggest
from jaxdl.optim import with_hyperparams
from jaxdl.train.chunks import chunk_sizes, split_padded
from jaxdl.train.epoch import evaluate_fn, train_epoch_fn
from jaxdl.train.hparams import OptimizerFn, check_seeds, sweep_grid
from jaxdl.train.objective import Objective, RegressionScale, epoch_row
from jaxdl.train.prepare import prepare_run
from jaxdl.train.state import TrainState, create_train_state, key_of
from jaxdl.transforms import Transform

ManyCallback = Callable[[int, dict[str, np.ndarray]], None]


@dataclasses.dataclass
class ManyResult:
    """The stacked final states and the per-run history of :func:`fit_many`.

    Attributes:
      state: one :class:`TrainState` whose leaves have a leading run axis (N, ...).
      history: the keys of ``FitResult.history`` but ``epoch_time``: ``train_loss``, ``test_loss``,
        and ``train_acc``, ``test_acc`` for classifiers or ``train_mse``, ``test_mse``, ``test_r2``
        for regressors, each a numpy array (N, epochs).
      runs: N dicts ``{"seed": s, **hyperparameters}`` in run order.
      epoch_time: (epochs,) seconds per epoch for all runs together (the first includes compiling).
      diverged: (N,) True where a run's training loss became NaN/inf (it keeps running, the
        others are unaffected).
    """

    state: TrainState
    history: dict[str, np.ndarray]
    runs: list[dict[str, Any]]
    epoch_time: np.ndarray
    diverged: np.ndarray

    def run_state(self, index: int) -> TrainState:
        """The :class:`TrainState` of run ``index`` alone (usable with ``evaluate``/``train_epoch``)."""
        return jax.tree.map(lambda leaf: leaf[index], self.state)

    def best(self, metric: str = "test_acc") -> dict[str, Any]:
        """The run with the best final ``metric``: highest for accuracies and R², lowest otherwise.

        Runs that diverged or end with a non-finite value are skipped. Returns the run's dict
        plus ``"index"`` and the final ``metric`` value, e.g.
        ``{"index": 5, "seed": 1, "lr": 0.1, "test_acc": 0.97}``.
        """
        if metric not in self.history:
            raise ConfigError(
                f"metric={metric!r}{suggest(metric, self.history)}: expected one of {', '.join(self.history)}."
            )
        final = self.history[metric][:, -1].astype(np.float64)
        usable = np.isfinite(final) & ~self.diverged
        if not usable.any():
            raise ConfigError(f"every run diverged or ended with a non-finite {metric}: no best run.")
        higher = metric.endswith(("acc", "r2"))
        scores = np.where(usable, final, -np.inf if higher else np.inf)
        index = int(np.argmax(scores) if higher else np.argmin(scores))
        return {"index": index, **self.runs[index], metric: float(final[index])}


def many_epoch_fn(
    states: TrainState,
    X: jax.Array,
    y: jax.Array,
    X_test: jax.Array,
    y_test: jax.Array,
    *,
    batch_size: int,
    objective: Objective,
    target_axis: int | None,
    transform: Transform | None,
    eval_transform: Transform | None,
    same_seed: bool = False,
    run_sharding: NamedSharding | None = None,
) -> tuple[TrainState, dict, dict]:
    """One epoch (train then evaluate) of every run in ``states``; targets shared or per run.

    With ``same_seed`` every run carries the same key (one seed, many hyperparameters), so
    the key is taken once, outside the ``vmap``: all runs then gather the same batch, and a
    layer's matmul becomes one wide ``(B, d) @ (d, N*k)`` product instead of N small ones.
    ``run_sharding`` keeps the returned states split along the run axis over its mesh and
    gathers the (small) metrics onto every device, so each process can read them.
    """

    def one(state, key, y, y_test):
        state, train = train_epoch_fn(
            state.replace(key=key), X, y, batch_size=batch_size, objective=objective, transform=transform
        )
        test = evaluate_fn(state, X_test, y_test, batch_size=batch_size, objective=objective, transform=eval_transform)
        return state.replace(key=None), state.key, train, test

    stacked_keys = key_of(states)
    key_axis = None if same_seed else 0
    keys = stacked_keys[0] if same_seed else stacked_keys
    runs = jax.tree.leaves(states.params)[0].shape[0]
    new, keys, train, test = _over_runs(
        one, runs, in_axes=(0, key_axis, target_axis, target_axis), out_axes=(0, key_axis, 0, 0)
    )(states.replace(key=None), keys, y, y_test)
    states = new.replace(key=jnp.broadcast_to(keys, stacked_keys.shape))
    if run_sharding is not None:
        states = parallel.constrain(states, run_sharding)
        train, test = parallel.constrain((train, test), parallel.replicated_like(run_sharding))
    return states, train, test


def _over_runs(fn: Callable, runs: int, *, in_axes: tuple, out_axes: tuple) -> Callable:
    """``jax.vmap(fn, in_axes, out_axes)`` over ``runs`` runs; for one run, ``fn`` on that run itself.

    XLA on CPU runs a size-1 run axis badly (batch norm's backward pass ~2x slower), so one
    run is taken out of its axis, trained as ``fit`` would, and put back.
    """
    if runs > 1:
        return jax.vmap(fn, in_axes=in_axes, out_axes=out_axes)

    def move(tree, axis, along):
        return tree if axis is None else jax.tree.map(lambda leaf: along(leaf, axis), tree)

    def single(*args):
        outs = fn(
            *(move(a, axis, lambda leaf, ax: jnp.take(leaf, 0, axis=ax)) for a, axis in zip(args, in_axes, strict=True))
        )
        return tuple(move(o, axis, jnp.expand_dims) for o, axis in zip(outs, out_axes, strict=True))

    return single


many_epoch = jax.jit(
    many_epoch_fn,
    donate_argnums=0,
    static_argnames=(
        "batch_size",
        "objective",
        "target_axis",
        "transform",
        "eval_transform",
        "same_seed",
        "run_sharding",
    ),
)
"""The compiled epoch of N runs: ``(states, X, y, X_test, y_test) -> (states, train, test)``."""


def init_many(
    model: nn.Module,
    tx: optax.GradientTransformation,
    sample_x: jax.Array,
    runs: list[tuple[jax.Array, dict[str, Any]]],
    factory: OptimizerFn | None,
) -> TrainState:
    """Stacked states (N, ...) of the runs ``[(key, hyperparameters), ...]``.

    Each run is initialised exactly as ``fit`` does, by :func:`create_train_state` from its
    key (eagerly: N small inits cost less than compiling a vmapped flax init). With a
    ``factory`` its optimizer is ``with_hyperparams(factory, hyperparameters)``. Every state
    carries ``tx`` (one object, so all chunks share one compiled epoch).
    """
    optimizers = [(key, tx if factory is None else with_hyperparams(factory, hp)) for key, hp in runs]
    states = [create_train_state(model, opt, sample_x, key=key).replace(tx=tx) for key, opt in optimizers]
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *states)


def run_epochs(
    chunks: list[TrainState],
    data: tuple,
    *,
    epochs: int,
    batch_size: int,
    objective: Objective,
    num_runs: int,
    targets_per_run: bool = False,
    callback: ManyCallback | None = None,
    transforms: tuple[Transform | None, Transform | None] = (None, None),
    regression: RegressionScale | None = None,
    same_seed: bool = False,
    run_sharding: NamedSharding | None = None,
) -> tuple[TrainState, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Train the chunks of stacked states for ``epochs``; every call of the epoch reuses one program.

    ``data`` is ``(X, y, X_test, y_test)``; with ``targets_per_run`` ``y`` and ``y_test`` are
    lists with one stacked (chunk, n, ...) target array per chunk. ``transforms`` are the
    training and test transforms; ``regression`` finishes each row as ``fit`` does; ``same_seed``
    says every run carries one key (see :func:`many_epoch_fn`); ``run_sharding``
    splits each chunk's runs over a mesh (chunks placed with :func:`jaxdl.parallel.shard_runs`). Returns the
    states of the first ``num_runs`` runs, the history (num_runs, epochs), epoch seconds and
    divergence flags.
    """
    X, y, X_test, y_test = data
    axis = 0 if targets_per_run else None
    columns: list[dict[str, np.ndarray]] = []
    times, diverged = [], np.zeros(num_runs, bool)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        outputs = []
        for i, states in enumerate(chunks):
            yi, yti = (y[i], y_test[i]) if targets_per_run else (y, y_test)
            chunks[i], train, test = many_epoch(
                states,
                X,
                yi,
                X_test,
                yti,
                batch_size=batch_size,
                objective=objective,
                target_axis=axis,
                transform=transforms[0],
                eval_transform=transforms[1],
                same_seed=same_seed,
                run_sharding=run_sharding,
            )
            outputs.append((train, test))
        train, test = jax.tree.map(lambda *parts: np.concatenate(parts)[:num_runs], *jax.device_get(outputs))
        seconds = time.perf_counter() - start
        times.append(seconds)
        diverged |= np.asarray(train["nonfinite_step"]) >= 0
        rows = [
            epoch_row({k: v[r] for k, v in train.items()}, {k: v[r] for k, v in test.items()}, seconds)
            for r in range(num_runs)
        ]
        if regression is not None:
            rows = [regression.finish(row) for row in rows]
        columns.append({k: np.array([row[k] for row in rows]) for k in rows[0] if k != "epoch_time"})
        if callback is not None:
            callback(epoch, columns[-1])
    history = {k: np.stack([c[k] for c in columns], axis=1) for k in columns[0]}
    state = jax.tree.map(lambda *parts: jnp.concatenate(parts)[:num_runs], *chunks)
    return state, history, np.array(times), diverged


def fit_many(
    model: nn.Module,
    data: Dataset,
    *,
    optimizer: optax.GradientTransformation | OptimizerFn,
    epochs: int,
    batch_size: int,
    seeds: Sequence[int] = (0,),
    hparams: Mapping[str, Sequence[float]] | None = None,
    loss: str | Callable[..., jax.Array] | None = None,
    max_parallel: int | None = None,
    callback: ManyCallback | None = None,
    transform: Transform | None = None,
    eval_transform: Transform | None = None,
    mesh: Mesh | None = None,
    progress: bool = True,
) -> ManyResult:
    """Train one model per (hyperparameter setting, seed) pair as N vmapped runs in one program.

    Runs are grid-major: for each setting of :func:`hyperparameter_grid` (``hparams`` in the
    order given, the last name varying fastest) every seed in order, so run ``i`` has setting
    ``i // len(seeds)`` and seed ``seeds[i % len(seeds)]``. Run ``i`` initialises, shuffles
    and drops out exactly like ``fit(..., seed=seeds[i % len(seeds)])``, so a single run
    reproduces ``fit``. A run whose loss becomes NaN/inf is flagged in ``diverged``; it does
    not stop the others.

    Args:
      model: a linen module as for :func:`~jaxdl.train.fit`.
      data: the dataset; all runs share it (it is not copied per run).
      optimizer: an ``optax.GradientTransformation`` (no ``hparams``) or a function of the
        hyperparameters returning one, e.g. ``lambda lr, momentum: optax.sgd(lr, momentum)``.
        The function is called with JAX scalars inside the compiled program, so it must not
        branch in Python on them: optax's optimizers qualify, :mod:`jaxdl.optim`'s take an array
        ``lr`` (other arguments must be numbers), and a :mod:`jaxdl.schedules` base rate may be
        swept, ``lambda lr: optim.sgd(lr=schedules.step_lr(lr, 30))`` (stepped per batch).
      epochs, batch_size, loss: as for ``fit``.
      seeds: seeds of the runs (each non-negative): a list, ``range`` or 1-D array.
      hparams: hyperparameter name -> list (or 1-D array) of numbers for the optimizer function.
      max_parallel: train at most this many runs at once; the runs are split into equal,
        padded chunks that share one compiled epoch. Results equal the unchunked ones.
      callback: ``callback(epoch, metrics)`` after each epoch; ``metrics[key]`` has shape (N,).
      progress: show a bar over the epochs (stderr, or a widget in Jupyter) with the
        metrics' means over the runs.
      transform, eval_transform: batch transforms, as for ``fit``.
      mesh: a device mesh (:func:`jaxdl.parallel.make_mesh`): the runs are split over its D
        devices, N / D per device, with the dataset replicated. When N (or ``max_parallel``) is
        not a multiple of D, each chunk is padded to the next multiple with copies of a run,
        trained and dropped. Results equal those without a mesh.

    Returns:
      a :class:`ManyResult` with history arrays of shape (N, epochs).

    Raises:
      ConfigError: empty seeds or value lists, names the optimizer function does not take,
        hyperparameters without an optimizer function, or the errors of ``fit``.

    >>> import optax
    >>> from jaxdl import data, models
    >>> r = fit_many(models.SoftmaxRegression(10), data.load("digits"), epochs=2, batch_size=64,
    ...              optimizer=lambda lr: optax.sgd(lr), hparams={"lr": [0.1, 0.5]}, seeds=[0, 1], progress=False)
    >>> r.history["test_acc"].shape, r.runs[1]
    ((4, 2), {'seed': 1, 'lr': 0.1})
    """
    objective, eval_transform, sample, regression = prepare_run(
        "fit_many",
        model,
        data,
        epochs=epochs,
        batch_size=batch_size,
        loss=loss,
        transform=transform,
        eval_transform=eval_transform,
    )
    seeds = check_seeds(seeds)
    factory, grid = sweep_grid(optimizer, hparams)
    runs = [{"seed": seed, **setting} for setting in grid for seed in seeds]
    tx = optimizer if isinstance(optimizer, optax.GradientTransformation) else with_hyperparams(optimizer, grid[0])
    (X, y), (X_test, y_test) = data.train, data.test
    settings = [(jax.random.key(run["seed"]), {name: run[name] for name in grid[0]}) for run in runs]
    size, count = chunk_sizes(len(runs), max_parallel, mesh)
    chunks = split_padded(init_many(model, tx, sample, settings, factory), size, count)
    arrays, run_sharding = (X, y, X_test, y_test), None
    if mesh is not None:
        chunks = [parallel.shard_runs(chunk, mesh) for chunk in chunks]
        arrays, run_sharding = parallel.replicate(arrays, mesh), parallel.data_sharding(mesh)
    bar = ProgressBar() if progress else None

    def report(epoch: int, metrics: dict[str, np.ndarray]) -> None:
        if bar is not None:
            bar.on_epoch_end(epoch, {k: float(np.nanmean(v)) for k, v in metrics.items()}, None, {})
        if callback is not None:
            callback(epoch, metrics)

    if bar is not None:
        bar.on_train_begin(
            TrainInfo(
                total_epochs=epochs,
                first_epoch=1,
                label=f"fit_many ({len(runs)} runs)",
                steps_per_epoch=ceil_div(int(X.shape[0]), batch_size),
            )
        )
    try:
        state, history, times, diverged = run_epochs(
            chunks,
            arrays,
            epochs=epochs,
            batch_size=batch_size,
            objective=objective,
            num_runs=len(runs),
            callback=report,
            transforms=(transform, eval_transform),
            regression=regression,
            same_seed=len(set(seeds)) == 1,
            run_sharding=run_sharding,
        )
    finally:
        if bar is not None:
            bar.close()
    return ManyResult(state=state, history=history, runs=runs, epoch_time=times, diverged=diverged)
