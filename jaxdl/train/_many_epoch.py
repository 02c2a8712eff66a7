"""The compiled epochs of N runs: ``vmap`` over runs, ``scan`` over batches, and over epochs per call.

A run is one (seed, hyperparameter setting) pair, or one classifier of one-vs-rest. The states
of all runs are stacked along a leading axis and one jitted program trains them all: ``jax.vmap``
of :func:`~jaxdl.train.train_epoch_fn` and :func:`~jaxdl.train.evaluate_fn`, scanned over several
epochs per call like ``fit``'s. Hyperparameters are arrays in the optimizer state (not constants
baked into the program), so a sweep over 64 learning rates compiles once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding

from jaxdl import parallel
from jaxdl.optim import with_hyperparams
from jaxdl.train._epoch import evaluate_fn, train_epoch_fn
from jaxdl.train._hparams import OptimizerFn
from jaxdl.train._objective import Objective
from jaxdl.train._program import Scale, epoch_row, scan_epochs
from jaxdl.train._stacked import stack
from jaxdl.train._state import TrainState, create_train_state
from jaxdl.train._xla import TrainerJit
from jaxdl.transforms import Transform


def many_epoch_fn(
    states,
    X,
    y,
    X_test,
    y_test,
    *,
    batch_size: int,
    objective: Objective,
    target_axis: int | None,
    transform: Transform | None,
    eval_transform: Transform | None,
    same_seed: bool = False,
    run_sharding: NamedSharding | None = None,
    val: tuple | None = None,
):
    """One epoch (train then evaluate) of every run in ``states``; targets shared or per run.

    Returns the states and the metrics per split, ``{"train": ..., "test": ...}`` (and ``"val"``
    when ``val``, a shared ``(X_val, y_val)``, is given), each value of shape (N,).

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
        test = {
            "test": evaluate_fn(
                state, X_test, y_test, batch_size=batch_size, objective=objective, transform=eval_transform
            )
        }
        if val is not None:
            test["val"] = evaluate_fn(state, *val, batch_size=batch_size, objective=objective, transform=eval_transform)
        return state.replace(key=None), state.key, train, test

    key_axis = None if same_seed else 0
    keys = states.key[0] if same_seed else states.key
    runs = jax.tree.leaves(states.params)[0].shape[0]
    new, keys, train, test = _over_runs(
        one, runs, in_axes=(0, key_axis, target_axis, target_axis), out_axes=(0, key_axis, 0, 0)
    )(states.replace(key=None), keys, y, y_test)
    states = new.replace(key=jnp.broadcast_to(keys, states.key.shape))
    if run_sharding is not None:
        states = parallel.constrain(states, run_sharding)
        train, test = parallel.constrain((train, test), parallel.replicated_like(run_sharding))
    return states, {"train": train, **test}


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


def init_many(
    model: nn.Module,
    tx: optax.GradientTransformation,
    sample_x: jax.Array,
    runs: list[tuple[jax.Array, dict[str, Any]]],
    factory: OptimizerFn | None,
) -> TrainState:
    """Stacked states (N, ...) of the runs ``[(key, hyperparameters), ...]``.

    Each run is initialised exactly as ``fit`` does, by :func:`create_train_state` from its
    key (eagerly: a few small inits cost less than compiling a vmapped flax init; runs with equal
    keys share one). With a ``factory`` its optimizer is ``with_hyperparams(factory, hyperparameters)``,
    initialised on the run's parameters. Every state carries ``tx`` (one object, so all chunks share
    one compiled epoch).
    """
    inits: dict[bytes, TrainState] = {}
    states = []
    for key, hp in runs:
        seen = np.asarray(jax.random.key_data(key)).tobytes()
        if seen not in inits:
            inits[seen] = create_train_state(model, tx, sample_x, key=key)
        state = inits[seen]
        if factory is not None:
            state = state.replace(opt_state=with_hyperparams(factory, hp).init(state.params))
        states.append(state)
    return stack(states)


class ManySpec(NamedTuple):
    """What the compiled call of N runs is built from (hashable: a change compiles a new program).

    Attributes:
      batch_size, objective, transform, eval_transform: as for :func:`many_epoch_fn`.
      target_axis: 0 when each run has targets of its own (one-vs-rest), else None.
      same_seed: every run carries one key (see :func:`many_epoch_fn`).
      run_sharding: splits the runs over a mesh (see :func:`many_epoch_fn`).
      r2: the splits whose rows get ``*_r2``.
      stopping: early stopping of each run on its own (``EarlyStopping.runs_hook()``), or None.
    """

    batch_size: int
    objective: Objective
    target_axis: int | None = None
    transform: Transform | None = None
    eval_transform: Transform | None = None
    same_seed: bool = False
    run_sharding: NamedSharding | None = None
    r2: tuple[str, ...] = ()
    stopping: Any = None


def many_call_fn(
    states: TrainState, watch: Any, arrays: tuple, scale: Scale | None, n: jax.Array, *, spec: ManySpec
) -> tuple[TrainState, Any, dict]:
    """Up to ``n`` epochs of every run in ``states`` (N, ...); ``arrays`` is ``(X, y, X_test, y_test)``, then
    ``(X_val, y_val)`` when the runs are validated. ``watch`` is the carry of ``spec.stopping`` (None without).

    Returns the states, the watch and the stacked outputs: ``row`` (values of shape (N,)), ``nonfinite_step``
    (N,) and ``ran``, as :func:`~jaxdl.train._program.fit_call_fn` does for one run. With ``spec.stopping``
    the call ends once every run has stopped (at once when they all had).
    """
    X, y, X_test, y_test = arrays[:4]

    def epoch(carry):
        before, watch = carry
        states, metrics = many_epoch_fn(
            before,
            X,
            y,
            X_test,
            y_test,
            batch_size=spec.batch_size,
            objective=spec.objective,
            target_axis=spec.target_axis,
            transform=spec.transform,
            eval_transform=spec.eval_transform,
            same_seed=spec.same_seed,
            run_sharding=spec.run_sharding,
            val=arrays[4:] or None,
        )
        row, bad, stop = epoch_row(metrics, scale, spec.r2), metrics["train"]["nonfinite_step"], jnp.bool_(False)
        if spec.stopping is not None:
            watch, states, live, stop = spec.stopping.update(watch, before, states, row)
            row, bad = {key: jnp.where(live, value, jnp.nan) for key, value in row.items()}, jnp.where(live, bad, -1)
        return (states, watch), {"row": row, "nonfinite_step": bad}, stop

    if spec.stopping is not None:
        n = jnp.where(jnp.all(watch["stopped"] > 0), 0, n)
    (states, watch), outputs = scan_epochs(epoch, (states, watch), n)
    return states, watch, outputs


many_call = TrainerJit(many_call_fn, static_argnames=("spec",), donate_argnums=(0, 1))
