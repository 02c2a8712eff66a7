"""``fit_many``: N models (seeds x hyperparameter settings) trained at once, as vmapped runs.

The runs' compiled epochs are in :mod:`jaxdl.train._many_epoch`; this module sets the runs up,
splits them into chunks of at most ``max_parallel`` and drives them with the same loop and
callbacks as ``fit`` (rows hold one value per run).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import flax.linen as nn
import jax
import numpy as np
import optax
from jax.sharding import Mesh

from jaxdl import parallel
from jaxdl._checks import ceil_div, fail, one_run_only
from jaxdl.callbacks import Callback, CallbackList, TrainInfo
from jaxdl.data import Dataset
from jaxdl.errors import unknown
from jaxdl.optim import with_hyperparams
from jaxdl.train._ahead import CompileAhead
from jaxdl.train._chunks import chunk_sizes
from jaxdl.train._driver import Loop, Row
from jaxdl.train._halving import Rungs, SuccessiveHalving, resumed, train_rungs
from jaxdl.train._host_keys import seed_key
from jaxdl.train._hparams import Hparams, OptimizerFn, check_seeds, sweep_grid
from jaxdl.train._many_epoch import ManySpec, init_many, many_call
from jaxdl.train._many_result import ManyResult
from jaxdl.train._prepare import prepare_run, with_validation_split
from jaxdl.train._program import Scale, row_keys, scale_of
from jaxdl.train._stacked import joined, split_padded
from jaxdl.train._state import TrainState
from jaxdl.transforms import Transform


class ManyEngine:
    """The compiled calls of the chunks of N runs, and how to read them into rows of (N,) values.

    Args:
      spec: the call's :class:`ManySpec`.
      arrays: one ``(X, y, X_test, y_test)`` per chunk (targets differ per chunk in one-vs-rest).
      scale: a regressor's scale (None for classifiers).
      keys: the row's keys, in order.
      num_runs: the real runs (the last chunk may hold padding runs, dropped here).
      finish: applied to each row (one-vs-rest reports the mean loss per example).
      watches: the carry of ``spec.stopping`` per chunk (None without early stopping).

    ``carries`` holds the chunks' latest watches (the loop passes them from call to call).
    """

    def __init__(
        self,
        spec: ManySpec,
        arrays: list[tuple],
        scale: Scale | None,
        keys: tuple[str, ...],
        num_runs: int,
        finish: Callable[[Row], Row] | None = None,
        watches: list | None = None,
    ) -> None:
        self.spec, self.arrays, self.scale, self.keys = spec, arrays, scale, keys
        self.num_runs, self.finish = num_runs, finish
        self.diverged = np.zeros(num_runs, bool)
        self.carries: list = watches if watches is not None else [None] * len(arrays)

    def dispatch(self, state: list, carries: Any, first: int, n: int) -> tuple[list, Any, Any]:
        calls = [
            many_call(chunk, watch, arrays, self.scale, np.int32(n), spec=self.spec)
            for chunk, watch, arrays in zip(state, carries, self.arrays, strict=True)
        ]
        self.carries = [watch for _, watch, _ in calls]
        return [c for c, _, _ in calls], self.carries, [o for _, _, o in calls]

    def read(self, outputs: Any) -> tuple[list[Row], BaseException | None]:
        parts = jax.device_get(outputs)
        ran = max(int(np.sum(p["ran"])) for p in parts)  # a chunk whose runs all stopped early ends its call first

        def rows_of(part: dict) -> dict:
            missing = ~part["ran"][:, None]
            return {
                "row": {k: np.where(missing, np.nan, v) for k, v in part["row"].items()},
                "nonfinite_step": np.where(missing, -1, part["nonfinite_step"]),
            }

        host = jax.tree.map(
            lambda *leaves: np.concatenate(leaves, axis=1)[:, : self.num_runs], *[rows_of(p) for p in parts]
        )
        rows: list[Row] = []
        for i in range(ran):
            self.diverged |= host["nonfinite_step"][i] >= 0
            row = {k: np.asarray(host["row"][k][i]) for k in self.keys}
            rows.append(self.finish(row) if self.finish is not None else row)
        return rows, None

    def public(self, tree: Any) -> Any:
        """Chunks of stacked states become one state (N, ...); anything else is left as it is."""
        if isinstance(tree, list):
            return joined(tree, self.num_runs)
        return tree


def run_many(
    engine: ManyEngine, chunks: list, callbacks: CallbackList, info: TrainInfo
) -> tuple[TrainState, dict[str, np.ndarray], np.ndarray, int]:
    """Train the chunks for ``info.total_epochs``: the runs' state (N, ...), history (N, epochs), epoch times, calls.

    Callbacks with an on-device part are refused: they follow one run.
    """
    for cb in callbacks:
        if cb.device_hook() is not None:
            raise one_run_only(info.label, cb)
    callbacks.on_train_begin(info)
    loop = Loop(engine, callbacks, [], first=1, epochs=info.total_epochs, history={})

    def make_result(state: Any, history: dict, *, interrupted: bool) -> Any:
        times = np.asarray(history.get("epoch_time", []), dtype=np.float64)
        stacked = {k: np.stack(v, axis=1) for k, v in history.items() if k != "epoch_time"}
        return engine.public(state), stacked, times, interrupted

    state, history, times, _ = loop.run(chunks, engine.carries, make_result)
    return state, history, times, loop.calls


def fit_many(
    model: nn.Module,
    data: Dataset,
    *,
    optimizer: optax.GradientTransformation | OptimizerFn,
    epochs: int,
    batch_size: int,
    seeds: Sequence[int] = (0,),
    hparams: Hparams | None = None,
    loss: str | Callable[..., jax.Array] | None = None,
    max_parallel: int | None = None,
    transform: Transform | None = None,
    eval_transform: Transform | None = None,
    validation_split: float | None = None,
    halving: SuccessiveHalving | None = None,
    initial: ManyResult | None = None,
    on_rung: Callable[[ManyResult], None] | None = None,
    mesh: Mesh | None = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
) -> ManyResult:
    """Train one model per (hyperparameter setting, seed) pair as N vmapped runs in one program.

    Runs are grid-major: for each setting of :func:`hyperparameter_grid` (``hparams`` in the
    order given, the last name varying fastest) every seed in order, so run ``i`` has setting
    ``i // len(seeds)`` and seed ``seeds[i % len(seeds)]``. Run ``i`` initialises, shuffles
    and drops out exactly like ``fit(..., seed=seeds[i % len(seeds)])``, so a single run
    reproduces ``fit``. A run whose loss becomes NaN/inf is flagged in ``diverged``; it does
    not stop the others. Several epochs run per compiled call, as in ``fit``.

    Args:
      model: a linen module as for :func:`~jaxdl.train.fit`.
      data: the dataset; all runs share it (it is not copied per run). With a validation part
        (``data.val``) every epoch is also evaluated on it and the history gains ``val_*``.
      optimizer: an ``optax.GradientTransformation`` (no ``hparams``) or a function of the
        hyperparameters returning one, e.g. ``lambda lr, momentum: optax.sgd(lr, momentum)``.
        The function is called with JAX scalars inside the compiled program, so it must not
        branch in Python on them: optax's optimizers qualify, :mod:`jaxdl.optim`'s take an array
        ``lr`` (other arguments must be numbers), and a :mod:`jaxdl.schedules` base rate may be
        swept, ``lambda lr: optim.sgd(lr=schedules.step_lr(lr, 30))`` (stepped per batch).
      epochs, batch_size, loss: as for ``fit``.
      seeds: seeds of the runs (each non-negative): a list, ``range`` or 1-D array.
      hparams: hyperparameter name -> list (or 1-D array) of numbers for the optimizer function
        (a grid), or the list of settings itself, e.g. from :func:`search_space`.
      max_parallel: train at most this many runs at once; the runs are split into equal,
        padded chunks that share one compiled program. Results equal the unchunked ones.
      transform, eval_transform: batch transforms, as for ``fit``.
      validation_split: hold out this fraction of the training data as ``data.val`` (stratified,
        with the first seed, as ``fit`` does): the history gains ``val_*`` and
        :meth:`ManyResult.best` ranks on it.
      halving: a :class:`SuccessiveHalving`: train every run to the first rung, keep the best by
        its validation metric, and so on; pruned runs stop there (needs validation data).
      initial: the result of the same search (same arguments) stopped after some of its rungs, as
        ``on_rung`` got it: the search goes on from its next rung. Its ``state`` may be the nested
        dicts of arrays a checkpoint holds (``flax.serialization.to_state_dict`` of the states).
      on_rung: called with the search so far (a :class:`ManyResult`) after each rung but the last, e.g.
        to save it (``jaxdl sweep`` does, so a killed search resumes).
      mesh: a device mesh (:func:`jaxdl.parallel.make_mesh`): the runs are split over its D
        devices, N / D per device, with the dataset replicated. When N (or ``max_parallel``) is
        not a multiple of D, each chunk is padded to the next multiple with copies of a run,
        trained and dropped. Results equal those without a mesh.
      callbacks: :class:`jaxdl.callbacks.Callback` instances, as for ``fit``; each row holds
        arrays of shape (runs trained,) and :attr:`TrainInfo.runs <jaxdl.callbacks.TrainInfo>` the runs.
      verbose: as for ``fit`` (the bar shows the metrics' means over the runs).

    Returns:
      a :class:`ManyResult` with history arrays of shape (N, epochs).

    Raises:
      ConfigError: empty seeds or value lists, names the optimizer function does not take,
        hyperparameters without an optimizer function, halving without validation data, an
        ``initial`` of another search, or the errors of ``fit``.

    >>> import optax
    >>> from jaxdl import data, models
    >>> r = fit_many(models.SoftmaxRegression(10), data.load("digits"), epochs=2, batch_size=64,
    ...              optimizer=lambda lr: optax.sgd(lr), hparams={"lr": [0.1, 0.5]}, seeds=[0, 1], verbose=0)
    >>> r.history["test_acc"].shape, r.runs[1]
    ((4, 2), {'seed': 1, 'lr': 0.1})
    """
    seeds = check_seeds(seeds)
    data = with_validation_split("fit_many", data, validation_split, seeds[0])
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
    val = getattr(data, "val", None)
    if halving is not None and not isinstance(halving, SuccessiveHalving):
        raise fail("fit_many", "halving", halving, "a SuccessiveHalving or None")
    if halving is not None and val is None:
        raise fail(
            "fit_many", "halving", halving, "used with validation data (validation_split=0.1): it ranks runs on it"
        )
    factory, grid = sweep_grid(optimizer, hparams)
    cbs = CallbackList(callbacks, where="fit_many", verbose=verbose)
    runs = [{"seed": seed, **setting} for setting in grid for seed in seeds]
    chunk_sizes(len(runs), max_parallel, mesh)  # refuses a bad max_parallel or mesh before anything runs
    tx = cast(optax.GradientTransformation, optimizer) if factory is None else with_hyperparams(factory, grid[0])
    arrays = (*data.train, *data.test, *(tuple(val) if val is not None else ()))
    settings = [(seed_key(run["seed"]), {name: run[name] for name in grid[0]}) for run in runs]
    run_sharding = None
    if mesh is not None:
        arrays, run_sharding = parallel.replicate(arrays, mesh), parallel.data_sharding(mesh)
    scale, r2 = scale_of(regression, val)
    spec = ManySpec(
        batch_size=batch_size,
        objective=objective,
        transform=transform,
        eval_transform=eval_transform,
        same_seed=len(set(seeds)) == 1,
        run_sharding=run_sharding,
        r2=r2,
    )
    keys = row_keys(objective, has_val=val is not None, r2=r2)
    metric = None
    if halving is not None:
        metric = halving.metric or ("val_acc" if objective.classifier else "val_loss")
        if metric not in keys:
            raise unknown("metric", metric, [k for k in keys if k.startswith("val_")], where="SuccessiveHalving")
    spec = spec._replace(stopping=_stopping(cbs, halving, len(runs)))

    plan = [(epochs, len(runs))] if halving is None else halving.plan(len(runs), epochs)
    states = init_many(model, tx, sample, settings, factory)

    def engine_for(states: TrainState, n: int) -> tuple[ManyEngine, list, np.ndarray]:
        size, count = chunk_sizes(n, max_parallel, mesh)
        if ahead is not None:
            ahead.wait(size)
        chunks = split_padded(states, size, count)
        if mesh is not None:
            chunks = [parallel.shard_runs(chunk, mesh) for chunk in chunks]
        watches = None if spec.stopping is None else [spec.stopping.init(chunk) for chunk in chunks]
        engine = ManyEngine(spec, [arrays] * len(chunks), scale, keys, n, watches=watches)
        return engine, chunks, engine.diverged

    info = TrainInfo(
        total_epochs=epochs,
        first_epoch=1,
        steps_per_epoch=ceil_div(int(data.train[0].shape[0]), batch_size),
        label=f"fit_many ({len(runs)} runs)",
        metrics=(*keys, "epoch_time"),
        runs=tuple(runs),
    )
    start = None if initial is None else resumed(initial, states, runs, plan, keys)
    cbs.on_train_begin(dataclasses.replace(info, first_epoch=1 if start is None else start.ends[-1] + 1))

    def result_of(done: Rungs) -> ManyResult:
        result = ManyResult(
            done.state, done.history, runs, done.epoch_time, done.diverged, done.calls, done.rung, done.ends
        )
        return result if done.watch is None else _stopped(result, spec.stopping, done.watch)

    rung_end = None if on_rung is None else lambda done: on_rung(result_of(done))
    to_train = plan if start is None else plan[len(start.ends) :]
    ahead = None
    if len(to_train) > 1 and mesh is None:  # on a mesh the programs also depend on shardings: compiled as they come
        ahead = _rungs_ahead(to_train, states, arrays, scale, spec, max_parallel)
    try:
        done = train_rungs(states, plan, engine_for, cbs, metric=metric, keys=keys, start=start, on_rung=rung_end)
    finally:
        if ahead is not None:
            ahead.close()
    result = result_of(done)
    cbs.on_train_end(result)
    return result


def _rungs_ahead(
    plan: list[tuple[int, int]], states: TrainState, arrays: tuple, scale: Scale | None, spec: ManySpec, max_parallel
) -> CompileAhead:
    """The programs of the rungs after the first of ``plan`` (one per chunk size), compiled while the first runs."""
    first = chunk_sizes(plan[0][1], max_parallel)[0]
    sizes = [size for size in dict.fromkeys(chunk_sizes(n, max_parallel)[0] for _, n in plan[1:]) if size != first]

    def job(size: int) -> Callable[[], Any]:
        shaped = jax.tree.map(lambda leaf: _runs_like(leaf, size), states)
        return lambda: many_call.lower(shaped, None, arrays, scale, np.int32(1), spec=spec).compile()

    return CompileAhead([(size, job(size)) for size in sizes])


def _runs_like(leaf: jax.Array, size: int) -> jax.ShapeDtypeStruct:
    """The abstract leaf of ``size`` runs taken from ``leaf`` (N, ...): what a compiled program is keyed on."""
    aval = jax.typeof(leaf)
    return jax.ShapeDtypeStruct((size, *aval.shape[1:]), aval.dtype, weak_type=aval.weak_type)


def _stopping(callbacks: CallbackList, halving: SuccessiveHalving | None, runs: int) -> Any:
    """The rule that stops each run on its own (an ``EarlyStopping``'s), or None; refuse what cannot follow N runs."""
    label, rules = f"fit_many ({runs} runs)", []
    for cb in callbacks:
        rule = cb.runs_hook()
        if rule is None and cb.device_hook() is not None:
            raise one_run_only(label, cb)
        if rule is not None:
            rules.append(rule)
    if len(rules) > 1:
        raise fail(
            "fit_many", "callbacks", callbacks.callbacks, "at most one EarlyStopping", got=f"{len(rules)} of them"
        )
    if rules and halving is not None:
        raise fail(
            "fit_many",
            "callbacks",
            callbacks.callbacks,
            "no EarlyStopping together with halving (successive halving already stops the runs that fall "
            "behind; choose one)",
            got="an EarlyStopping",
        )
    return rules[0] if rules else None


def _stopped(result: ManyResult, rule: Any, watch: dict[str, Any]) -> ManyResult:
    """``result`` with each run's stopping and best epochs, and its best state where ``rule`` kept it."""
    return dataclasses.replace(
        result,
        state=rule.final_state(watch, result.state),
        stopped_epoch=np.asarray(watch["stopped"], np.int64),
        best_epoch=np.asarray(watch["best_epoch"], np.int64),
        restored=rule.keep_state,
    )
