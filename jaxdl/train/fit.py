"""``fit``: create the state, run compiled epochs, evaluate, and keep the history."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import flax.linen as nn
import jax
import optax
from jax.sharding import Mesh

from jaxdl import parallel
from jaxdl._checks import ceil_div
from jaxdl.data import Dataset
from jaxdl.train import lr
from jaxdl.train.checks import check_divergence, check_max_loss, check_optimizer
from jaxdl.train.epoch import evaluate, train_epoch
from jaxdl.train.objective import epoch_row
from jaxdl.train.prepare import prepare_run
from jaxdl.train.resume import Progress, SavedRun, own_buffers, replay_plateau, resume_point
from jaxdl.train.state import TrainState, create_train_state
from jaxdl.transforms import Transform

EpochCallback = Callable[[int, dict[str, float]], None]


@dataclasses.dataclass
class FitResult:
    """The final state and one value per epoch for each metric.

    ``history`` keys: ``train_loss``, ``test_loss``, ``epoch_time`` (seconds of the compiled
    training epoch, the first one including compilation), and for classifiers ``train_acc``,
    ``test_acc``; for regressors ``train_mse``, ``test_mse`` (in the original target units when
    the dataset has a ``target_standardizer``) and ``test_r2`` (1 - SSE/SST over the test set).
    """

    state: TrainState
    history: dict[str, list[float]]


def fit(
    model: nn.Module,
    data: Dataset,
    *,
    optimizer: optax.GradientTransformation,
    epochs: int,
    batch_size: int,
    loss: str | Callable | None = None,
    seed: int = 0,
    callback: EpochCallback | None = None,
    transform: Transform | None = None,
    eval_transform: Transform | None = None,
    initial: Progress | SavedRun | None = None,
    max_loss: float | None = None,
    on_epoch_end: Callable[[FitResult], None] | None = None,
    schedule=None,
    schedule_unit: str = "epoch",
    mesh: Mesh | None = None,
) -> FitResult:
    """Train ``model`` on ``data.train`` for ``epochs`` shuffled epochs, evaluating on ``data.test``.

    Each epoch is one compiled program (see :func:`jaxdl.train.train_epoch`); the first
    epoch compiles it, the others reuse it. ``seed`` fixes the init, the shuffling and dropout.
    ``callback(epoch, row)`` is called after each epoch (epoch counts from 1).
    ``schedule`` (a :mod:`jaxdl.schedules` schedule, stepped per ``schedule_unit``, or
    ``reduce_lr_on_plateau``, stepped with the test loss after each epoch) then sets the
    rate, and ``optimizer`` is a function of it (``functools.partial(optim.sgd, momentum=0.9)``);
    the history gains ``lr``, the rate each epoch trained with.
    ``transform`` (see :mod:`jaxdl.transforms`) augments training batches inside the compiled
    epoch; test batches get ``eval_transform``, by default the deterministic part of
    ``transform`` (e.g. its resize and normalize, not its random flips).

    ``initial`` (a previous ``FitResult``, or the ``SavedRun`` of
    :func:`jaxdl.checkpoint.load_run`) continues that run: ``epochs`` counts the whole run,
    the epochs already in ``initial.history`` are skipped, the history is extended, and
    ``seed`` is not used (the state carries its key), so training k epochs, then
    ``epochs - k`` more from the result, gives bit-identical parameters and history.
    ``max_loss`` stops training when an epoch's mean training loss exceeds it (a loss
    that exploded but stayed finite); a NaN/inf loss always stops it.
    ``on_epoch_end(result)`` gets the run so far after each good epoch, e.g. to save it with
    :func:`jaxdl.checkpoint.save_run`; ``result.state`` is valid only during the call (the
    next epoch reuses its buffers) and ``result.history`` keeps growing.

    ``mesh`` (:func:`jaxdl.parallel.make_mesh`) trains data-parallel on its devices: each
    batch is split over them (``batch_size`` must divide by their number), the state and the
    dataset are replicated, and the numbers equal a one-device ``fit`` up to float rounding.

    Raises:
      ConfigError: bad arguments or a model that does not fit the data.
      DivergenceError: the loss became NaN/inf (the message names the epoch and step)
        or exceeded ``max_loss``.

    >>> from jaxdl import data, models
    >>> r = fit(models.SoftmaxRegression(10), data.load("digits"), optimizer=optax.sgd(0.5),
    ...         epochs=2, batch_size=64)
    >>> len(r.history["test_acc"])
    2
    """
    objective, eval_transform, sample, regression = prepare_run(
        "fit", model, data, epochs=epochs, batch_size=batch_size, loss=loss, transform=transform,
        eval_transform=eval_transform,
    )
    (X, y), (X_test, y_test) = data.train, data.test
    lr_plan = lr.plan(optimizer, schedule, unit=schedule_unit, steps_per_epoch=ceil_div(int(X.shape[0]), batch_size))
    optimizer = check_optimizer(lr_plan.optimizer)
    check_max_loss(max_loss)
    if mesh is not None:
        parallel.check_batch_split(batch_size, mesh)
    if initial is None:
        state = own_buffers(create_train_state(model, optimizer, sample, key=jax.random.key(seed)))
        history, first = {}, 1
    else:
        state, history, first = resume_point(initial, model, optimizer, sample, epochs=epochs)
    batch_sharding = None
    if mesh is not None:
        state, (X, y, X_test, y_test) = parallel.replicate((state, (X, y, X_test, y_test)), mesh)
        batch_sharding = parallel.data_sharding(mesh)
    plateau_state = replay_plateau(lr_plan.plateau, history) if lr_plan.plateau else None
    for epoch in range(first, epochs + 1):
        rate = lr.current_rate(state) if lr_plan.plateau else lr_plan.lr_at_epoch and lr_plan.lr_at_epoch(epoch - 1)
        start = time.perf_counter()
        state, train = train_epoch(state, X, y, batch_size=batch_size, objective=objective, transform=transform,
                                   batch_sharding=batch_sharding)
        train = jax.block_until_ready(train)
        seconds = time.perf_counter() - start
        check_divergence(train, epoch, max_loss)
        test = evaluate(state, X_test, y_test, batch_size=batch_size, objective=objective, transform=eval_transform,
                        batch_sharding=batch_sharding)
        row = epoch_row(train, test, seconds)
        if rate is not None:
            row["lr"] = rate
        if lr_plan.plateau:
            plateau_state, state = lr.plateau_step(lr_plan.plateau, plateau_state, state, test["loss"])
        if regression is not None:
            row = regression.finish(row)
        for key, value in row.items():
            history.setdefault(key, []).append(value)
        if callback is not None:
            callback(epoch, row)
        if on_epoch_end is not None:
            on_epoch_end(FitResult(state=state, history=history))
    return FitResult(state=state, history=history)
