"""What ``fit`` and ``fit_many`` settle before their first epoch: checks, objective, transforms, sample input."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import flax.linen as nn
import jax

from jaxdl._checks import fail, number
from jaxdl.data import split
from jaxdl.train._objective import Objective, RegressionScale, objective_for
from jaxdl.train._validate import check_compatible, check_model_and_data, check_outputs, check_run_length, check_seed
from jaxdl.transforms import Transform, eval_transform_for

if TYPE_CHECKING:
    from jaxdl.data import Dataset


class RunSetup(NamedTuple):
    """The pieces of a run that do not depend on the optimizer.

    Attributes:
      objective: the model's loss and task.
      eval_transform: the deterministic transform of test batches (or ``None``).
      sample: one training example (1, ...) as the model sees it, to initialise the state.
      regression: how history rows of a regressor are finished (``None`` for classifiers).
    """

    objective: Objective
    eval_transform: Transform | None
    sample: jax.Array
    regression: RegressionScale | None


def with_validation_split(where: str, data: Dataset, validation_split: float | None, seed: int) -> Dataset:
    """``data`` with a stratified validation part of fraction ``validation_split`` (drawn with ``seed``).

    ``None`` leaves ``data`` as it is; a split asked of data that already has one is refused. Errors name
    ``where`` and its arguments; data that is not a Dataset is left for :func:`prepare_run` to refuse.
    """
    from jaxdl.data import Dataset

    if validation_split is None or not isinstance(data, Dataset):
        return data
    if data.val is not None:
        raise fail(where, "validation_split", validation_split, "None when data has a validation part (data.val)")
    number(where, "validation_split", validation_split, low=0.0, high=1.0, low_open=True, high_open=True)
    return split(data, val=validation_split, seed=check_seed(where, seed))


def prepare_run(
    where: str,
    model: nn.Module,
    data: Dataset,
    *,
    epochs: int,
    batch_size: int,
    loss: str | Callable[..., jax.Array] | None,
    transform: Transform | None,
    eval_transform: Transform | None,
) -> RunSetup:
    """Check the run's length, the model against the data, and build its :class:`RunSetup`.

    ``where`` names the caller in errors (``"fit"``, ``"fit_many"``); ``eval_transform``
    defaults to the deterministic part of ``transform`` (see :mod:`jaxdl.transforms`).

    Raises:
      ConfigError: bad ``epochs`` or ``batch_size``, or a model that does not fit the data (its output
        shape against the targets' shape and class count, before anything compiles).

    >>> from jaxdl import data, models
    >>> setup = prepare_run("fit", models.SoftmaxRegression(10), data.load("digits"), epochs=1, batch_size=64,
    ...                     loss=None, transform=None, eval_transform=None)
    >>> setup.objective.task, setup.sample.shape
    ('classification', (1, 8, 8, 1))
    """
    check_model_and_data(where, model, data)
    check_run_length(where, epochs, batch_size)
    default_task = "regression" if data.num_classes is None else "classification"
    objective = objective_for(model, loss, default_task=default_task, where=where)
    check_compatible(where, model, data, objective, batch_size)
    first = data.train[0][:1]
    eval_transform = eval_transform_for(transform, eval_transform, first, where=where)
    sample = first if eval_transform is None else eval_transform(first, key=None)
    check_outputs(where, model, data, objective, sample, batch_size)
    regression = RegressionScale.of(data.test[1], data.target_standardizer) if objective.task == "regression" else None
    return RunSetup(objective, eval_transform, sample, regression)
