"""Successive halving for ``fit_many``: train every run a little, keep the best 1/eta, train those longer.

Synchronous successive halving (Hyperband's inner loop, ASHA without the asynchrony): rung ``k``
trains the surviving runs up to epoch ``e_k`` and keeps the best ``1/eta`` of them by a validation
metric. The survivors' states are gathered into a smaller stack, so a rung's compiled call vmaps
over its survivors only: a pruned run costs nothing after its rung (one compile per rung size,
which the persistent compilation cache keeps for the next search). A search stopped after some
rungs resumes from its result (:func:`resumed`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl._checks import fail, positive_int
from jaxdl.callbacks import CallbackList, maximized
from jaxdl.checkpoint import SavedRun
from jaxdl.train._driver import Engine, Loop
from jaxdl.train._many_result import ManyResult
from jaxdl.train._stacked import put, take
from jaxdl.train._state import TrainState


class RungEngine(Engine, Protocol):
    """An :class:`Engine` of stacked runs whose ``carries`` (one per chunk) the loop starts from and returns."""

    carries: list


@dataclasses.dataclass(frozen=True)
class SuccessiveHalving:
    """Keep the best ``1/eta`` of the runs at every rung (``fit_many(..., halving=SuccessiveHalving())``).

    With N runs and E epochs there are ``K = min(floor(log_eta N), floor(log_eta(E / min_epochs)))``
    halvings: rung ``k`` ends at epoch ``round(E / eta**(K - k))`` (the last at E) and trains
    ``N // eta**k`` runs (at least 1). Runs are ranked on ``metric`` of the rung's last epoch
    (diverged and non-finite runs last, ties by run order).

    Args:
      eta: the reduction factor (>= 2): each rung keeps 1/eta of the runs and trains eta times longer.
      min_epochs: the epochs of the first rung, at least.
      metric: the validation metric that ranks the runs; default ``val_acc`` (classifiers) or
        ``val_loss``. It must be a ``val_*`` key: runs are never chosen on the test set.

    >>> SuccessiveHalving(eta=3).plan(runs=64, epochs=27)
    [(1, 64), (3, 21), (9, 7), (27, 2)]
    """

    eta: int = 3
    min_epochs: int = 1
    metric: str | None = None

    def __post_init__(self) -> None:
        if positive_int("SuccessiveHalving", "eta", self.eta) < 2:
            raise fail("SuccessiveHalving", "eta", self.eta, "an integer >= 2")
        positive_int("SuccessiveHalving", "min_epochs", self.min_epochs)
        if self.metric is not None and (not isinstance(self.metric, str) or not self.metric.startswith("val_")):
            raise fail("SuccessiveHalving", "metric", self.metric, "a validation metric such as 'val_acc'")

    def plan(self, runs: int, epochs: int) -> list[tuple[int, int]]:
        """``[(last epoch, runs trained), ...]`` per rung for ``runs`` runs of ``epochs`` epochs."""
        halvings = 0
        while self.eta ** (halvings + 1) <= runs and self.min_epochs * self.eta ** (halvings + 1) <= epochs:
            halvings += 1
        ends = [max(self.min_epochs, round(epochs / self.eta ** (halvings - k))) for k in range(halvings + 1)]
        counts = [max(1, runs // self.eta**k) for k in range(halvings + 1)]
        return list(zip(ends, counts, strict=True))


def survivors(scores: np.ndarray, alive: np.ndarray, keep: int, *, higher: bool, usable: np.ndarray) -> np.ndarray:
    """The ``keep`` best of the runs ``alive`` by ``scores`` (N,), in run order; unusable runs rank last.

    >>> survivors(np.array([0.5, 0.9, 0.7, 0.1]), np.arange(4), 2, higher=True, usable=np.ones(4, bool)).tolist()
    [1, 2]
    """
    values = scores[alive].astype(np.float64)
    ok = usable[alive] & np.isfinite(values)
    key = np.where(ok, -values if higher else values, np.inf)
    order = np.argsort(key, kind="stable")
    return np.sort(alive[order[:keep]])


@dataclasses.dataclass
class Rungs:
    """What a (halving) run of ``fit_many`` produced: the stacked states, history and each run's rung.

    ``history`` arrays are (N, epochs), NaN after a run's last epoch; ``rung`` (N,) is the last rung
    each run trained in; ``ends`` the last epoch of each rung; ``watch`` the runs' early-stopping carry
    (N, ...) of the last rung, or None.
    """

    state: Any
    history: dict[str, np.ndarray]
    epoch_time: np.ndarray
    diverged: np.ndarray
    rung: np.ndarray
    ends: tuple[int, ...]
    calls: int
    watch: Any = None


def train_rungs(
    states: Any,
    plan: list[tuple[int, int]],
    engine_for: Callable[[Any, int], tuple[RungEngine, list, np.ndarray]],
    callbacks: CallbackList,
    *,
    metric: str | None,
    keys: tuple[str, ...],
    start: Rungs | None = None,
    on_rung: Callable[[Rungs], None] | None = None,
) -> Rungs:
    """Train the stacked ``states`` (N, ...) rung by rung, keeping the best runs by ``metric`` between rungs.

    ``engine_for(states, n)`` returns the engine, the chunks of ``n`` runs' states and the engine's
    per-run diverged flags (updated as it runs). One :class:`Loop` runs each rung from the epoch after the
    previous rung's end; the callbacks see every epoch once, in order, with rows of the rung's runs.
    ``start`` (the rungs a search completed, as ``on_rung`` got them) continues that search at its next rung;
    ``on_rung`` gets the search after each rung but the last.
    """
    runs, epochs = len(jax.tree.leaves(states)[0]), plan[-1][0]
    history = {key: np.full((runs, epochs), np.nan, np.float32) for key in keys}
    rows: dict[str, list] = {}
    alive, rung = np.arange(runs), np.zeros(runs, np.int64)
    diverged = np.zeros(runs, bool)
    full, calls, first, done_rungs = states, 0, 1, 0
    if start is not None:
        full, calls, done_rungs, first = start.state, start.calls, len(start.ends), start.ends[-1] + 1
        history.update({key: np.array(start.history[key], np.float32) for key in keys})
        rung[:], diverged[:] = start.rung, start.diverged
        alive = np.flatnonzero(rung == done_rungs - 1)
        rows = {key: [None] * (first - 1) for key in keys} | {"epoch_time": list(start.epoch_time)}

    def merge(state: Any, rung_rows: dict[str, list], flags: np.ndarray) -> None:
        nonlocal full
        for key in keys:
            done = rung_rows.get(key, [])[first - 1 :]
            if done:
                history[key][alive, first - 1 : first - 1 + len(done)] = np.stack(done, axis=1)
        diverged[alive] |= flags
        full = state if len(alive) == runs else put(full, alive, state)

    def make_result(state: Any, rung_rows: dict, *, interrupted: bool) -> Rungs:
        nonlocal calls
        del interrupted
        merge(engine.public(state), rung_rows, flags)
        calls += loop.calls
        times = np.asarray(rows.get("epoch_time", []), np.float64)
        ends = tuple(end for end, _ in plan[: k + 1])
        return Rungs(full, history, times, diverged, rung, ends, calls, engine.public(engine.carries))

    done: list[Rungs] = []
    for k, (end, count) in enumerate(plan):
        if k < done_rungs:
            continue
        if k:
            higher = maximized(metric or "")
            scores = history[metric or ""][:, first - 2]
            alive = survivors(scores, alive, count, higher=higher, usable=~diverged)
            rung[alive] = k
        picked = full if len(alive) == runs else take(full, alive)
        engine, chunks, flags = engine_for(picked, len(alive))
        loop = Loop(engine, callbacks, [], first=first, epochs=end, history=rows)
        done.append(loop.run(chunks, engine.carries, make_result))
        first = end + 1
        if on_rung is not None and k < len(plan) - 1:
            on_rung(done[-1])
    return done[-1]


def resumed(
    initial: ManyResult, states: TrainState, runs: list[dict], plan: list[tuple[int, int]], keys: tuple[str, ...]
) -> Rungs:
    """The rungs ``initial`` completed, checked against this search (its runs, rungs and metrics)."""
    ends = tuple(end for end, _ in plan)
    done = tuple(int(e) for e in initial.rung_ends)
    if initial.runs != runs or not done or done != ends[: len(done)] or len(done) == len(ends):
        raise fail(
            "fit_many",
            "initial",
            initial,
            f"the unfinished result of this search ({len(runs)} runs, rungs ending at {list(ends)})",
            got=f"a search of {len(initial.runs)} runs stopped after rungs ending at {list(done)}",
        )
    if set(initial.history) != set(keys):
        raise fail(
            "fit_many",
            "initial",
            initial,
            f"a search with the metrics {', '.join(keys)}",
            got=", ".join(initial.history),
        )
    state = initial.state
    if not isinstance(state, TrainState):  # the nested dicts a checkpoint holds, filled as a resumed fit's are
        state = jax.tree.map(jnp.asarray, SavedRun("initial", {}, {}, state).state(like=states))
    return Rungs(state, initial.history, initial.epoch_time, initial.diverged, initial.rung, done, initial.calls)
