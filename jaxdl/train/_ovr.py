"""One-vs-rest classification: one binary logistic regression per class, trained as N vmapped models."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxdl import losses
from jaxdl._checks import ceil_div, fail
from jaxdl.callbacks import Callback, CallbackList, TrainInfo
from jaxdl.data import Dataset
from jaxdl.models import LogisticRegression
from jaxdl.train._many import ManyEngine, run_many
from jaxdl.train._many_epoch import ManySpec, init_many
from jaxdl.train._objective import Objective
from jaxdl.train._program import row_keys
from jaxdl.train._state import TrainState
from jaxdl.train._validate import check_compatible, check_optimizer, check_run_length, check_seed


@dataclasses.dataclass(frozen=True)
class SummedBCE:
    """``BCELoss(reduction="sum")`` per batch, expressed per example for the masked training step.

    The step takes the mean of the per-example loss over the real rows of a batch; scaling
    each example's BCE by ``batch_size`` turns that mean into the batch sum for every full
    batch. The padded last batch (r < batch_size real rows) gets ``batch_size / r`` times its
    sum: it weighs like a full batch, where PyTorch's smaller last batch weighs r / batch_size.
    """

    batch_size: int

    def __call__(self, probs: jax.Array, targets: jax.Array, *, reduction: str = "mean") -> jax.Array:
        return self.batch_size * losses.bce(probs, targets, reduction=reduction)


@dataclasses.dataclass
class OneVsRestResult:
    """C binary classifiers (class c vs the rest) and how well their argmax classifies.

    Attributes:
      state: the C stacked states (leading axis C).
      history: each binary classifier's ``train_loss``, ``test_loss`` (mean BCE per example),
        ``train_acc``, ``test_acc`` (0.5 threshold on its own task), arrays (C, epochs).
      binary_acc: (C,) final test accuracy of classifier c on "is it class c?".
      class_acc: (C,) fraction of the test examples of class c that the argmax predicts as c.
      test_acc: accuracy of the argmax over the C scores on the whole test set.
      class_names: one name per class.
    """

    state: TrainState
    history: dict[str, np.ndarray]
    binary_acc: np.ndarray
    class_acc: np.ndarray
    test_acc: float
    class_names: tuple[str, ...]

    def __repr__(self) -> str:
        epochs = next(iter(self.history.values())).shape[-1] if self.history else 0
        return (
            f"OneVsRestResult({len(self.class_names)} classifiers, {epochs} epochs: test_acc={self.test_acc:.4g}, "
            f"binary_acc min {float(np.min(self.binary_acc)):.4g}, class_acc min {float(np.min(self.class_acc)):.4g})"
        )


def _per_example_loss(metrics: dict[str, np.ndarray], batch_size: int) -> dict[str, np.ndarray]:
    """Undo :class:`SummedBCE`'s scaling: report the mean BCE per example."""
    return {k: v / batch_size if k.endswith("loss") else v for k, v in metrics.items()}


def predict_one_vs_rest(state: TrainState, X: jax.Array) -> jax.Array:
    """Class predictions (N,) for X (N, ...): the argmax over the C stacked classifiers' scores.

    >>> from jaxdl import data, optim
    >>> ds = data.load("digits")
    >>> r = fit_one_vs_rest(ds, optimizer=optim.sgd(0.01), epochs=2, batch_size=64)
    >>> predict_one_vs_rest(r.state, ds.test[0]).shape
    (360,)
    """
    scores = jax.vmap(lambda params: state.apply_fn({"params": params}, X)[:, 0])(state.params)
    return scores.argmax(axis=0)


def fit_one_vs_rest(
    data: Dataset,
    *,
    optimizer: optax.GradientTransformation,
    epochs: int,
    batch_size: int,
    seed: int = 0,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
) -> OneVsRestResult:
    """Train one ``LogisticRegression`` per class on targets ``(y == c)`` as C vmapped models.

    Each classifier minimises ``BCELoss(reduction="sum")`` per batch (see :class:`SummedBCE`
    for the padded last batch) with its own init and shuffling keys, split from ``seed``.
    The prediction is the class whose classifier gives the highest probability.

    Args:
      data: a classification dataset with C >= 2 classes; X (N, ...), y (N,) int.
      optimizer: one optax transformation, used by every classifier.
      epochs, batch_size: as for :func:`~jaxdl.train.fit`.
      seed: seeds the C classifiers.
      callbacks, verbose: as for ``fit``; each row holds arrays of shape (C,) (losses are the
        mean BCE per example) and ``TrainInfo.runs`` names the classes.

    >>> from jaxdl import data, optim
    >>> r = fit_one_vs_rest(data.load("digits"), optimizer=optim.sgd(0.01), epochs=20, batch_size=64, verbose=0)
    >>> r.class_acc.shape
    (10,)
    """
    check_run_length("fit_one_vs_rest", epochs, batch_size)
    check_optimizer(optimizer, where="fit_one_vs_rest")
    check_seed("fit_one_vs_rest", seed)
    if data.num_classes is None or data.num_classes < 2:
        raise fail(
            "fit_one_vs_rest", "data", data, "a classification dataset", got=f"dataset {data.name!r} without classes"
        )
    model, objective = LogisticRegression(), Objective(SummedBCE(batch_size), "binary")
    check_compatible("fit_one_vs_rest", model, data, objective, batch_size)
    cbs = CallbackList(callbacks, where="fit_one_vs_rest", verbose=verbose)
    num_classes = data.num_classes
    names = tuple(data.class_names or tuple(str(c) for c in range(num_classes)))
    (X, y), (X_test, y_test) = data.train, data.test
    classes = jnp.arange(num_classes)[:, None]
    targets = (y[None, :] == classes).astype(jnp.float32)[..., None]
    test_targets = (y_test[None, :] == classes).astype(jnp.float32)[..., None]
    keys = jax.random.split(jax.random.key(seed), num_classes)
    states = init_many(model, optimizer, X[:1], [(key, {}) for key in keys], None)
    spec = ManySpec(batch_size=batch_size, objective=objective, target_axis=0)
    keys = row_keys(objective, has_val=False, r2=())
    engine = ManyEngine(
        spec,
        [(X, targets, X_test, test_targets)],
        None,
        keys,
        num_classes,
        finish=lambda row: _per_example_loss(row, batch_size),
    )
    info = TrainInfo(
        total_epochs=epochs,
        first_epoch=1,
        steps_per_epoch=ceil_div(int(X.shape[0]), batch_size),
        label=f"fit_one_vs_rest ({num_classes} classifiers)",
        metrics=(*keys, "epoch_time"),
        runs=tuple({"class": name} for name in names),
    )
    state, history, _, _ = run_many(engine, [states], cbs, info)
    predicted = np.asarray(predict_one_vs_rest(state, X_test))
    labels = np.asarray(y_test)
    class_acc = np.array(
        [(predicted[labels == c] == c).mean() if (labels == c).any() else np.nan for c in range(num_classes)]
    )
    result = OneVsRestResult(
        state=state,
        history=history,
        binary_acc=history["test_acc"][:, -1],
        class_acc=class_acc,
        test_acc=float((predicted == labels).mean()),
        class_names=names,
    )
    cbs.on_train_end(result)
    return result
