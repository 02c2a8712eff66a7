"""What a notebook cell shows for a dataset or a result: one short line, not the arrays; ``len`` of a Dataset."""

import numpy as np
import pytest

from jaxdl import data, optim
from jaxdl.models import MLP
from jaxdl.train import fit, fit_many


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def test_a_dataset_prints_its_name_shapes_dtypes_and_classes_and_its_len_is_the_training_examples(digits):
    text = repr(digits)
    assert (
        text
        == str(digits)
        == (
            "Dataset('digits', train X (1437, 8, 8, 1) float32 y (1437,) int32, test X (360, 8, 8, 1) float32 "
            "y (360,) int32, 10 classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)"
        )
    )
    assert len(digits) == 1437 and len(digits.train) == 2


def test_a_regression_dataset_and_many_classes_stay_short():
    regression = repr(data.load("diabetes"))
    assert regression.endswith("regression (targets standardized), features standardized)")
    X = np.zeros((40, 3))
    many = data.from_arrays(X, np.arange(40) % 30, X[:5], np.arange(5))
    assert repr(many).endswith("30 classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...)")
    assert len(many) == 40


def test_fit_and_fit_many_results_print_epochs_and_final_metrics(digits):
    result = fit(MLP(hidden=(16,)), digits, optimizer=optim.sgd(lr=0.1), epochs=2, batch_size=64, verbose=0)
    text = repr(result)
    assert text.startswith("FitResult(2 epochs: train_loss=") and "test_acc=" in text
    assert "\n" not in text and len(text) < 200
    many = fit_many(
        MLP(hidden=(16,)), digits, optimizer=optim.sgd(lr=0.1), epochs=2, batch_size=64, seeds=(0, 1), verbose=0
    )
    text = repr(many)
    assert text.startswith("ManyResult(2 runs, 2 epochs: final train_loss mean") and "0 diverged" in text
    assert "\n" not in text and len(text) < 250
