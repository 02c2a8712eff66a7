"""One-vs-rest: C logistic regressions trained as vmapped models, the summed BCE, the CLI."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from jaxdl import data, optim
from jaxdl.cli import main
from jaxdl.errors import ConfigError
from jaxdl.models import LogisticRegression
from jaxdl.train import SummedBCE, fit_one_vs_rest, predict_one_vs_rest


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def result(digits):
    return fit_one_vs_rest(digits, optimizer=optim.sgd(0.01), epochs=20, batch_size=64, seed=0)


def test_one_vs_rest_reaches_93_percent_on_digits(result):
    assert result.test_acc >= 0.93
    assert result.class_acc.shape == result.binary_acc.shape == (10,)
    assert (result.binary_acc > 0.9).all()
    assert all(v.shape == (10, 20) for v in result.history.values())
    assert (result.history["train_loss"][:, -1] < result.history["train_loss"][:, 0]).all()


def test_the_result_prints_as_one_short_line(result):
    text = repr(result)
    assert text.startswith("OneVsRestResult(10 classifiers, 20 epochs: test_acc=0.9")
    assert "\n" not in text and len(text) < 150


def test_overall_accuracy_is_the_class_weighted_per_class_accuracy(result, digits):
    counts = np.bincount(np.asarray(digits.test[1]), minlength=10)
    assert result.test_acc == pytest.approx(float((result.class_acc * counts).sum() / counts.sum()), abs=1e-12)


def test_prediction_is_the_argmax_of_the_ten_classifiers(result, digits):
    X = digits.test[0]
    model = LogisticRegression()
    params = [jax.tree.map(lambda p, c=c: p[c], result.state.params) for c in range(10)]
    scores = np.stack([np.asarray(model.apply({"params": p}, X))[:, 0] for p in params])
    np.testing.assert_array_equal(np.asarray(predict_one_vs_rest(result.state, X)), scores.argmax(axis=0))
    assert result.test_acc == pytest.approx(float((scores.argmax(axis=0) == np.asarray(digits.test[1])).mean()))


def test_summed_bce_matches_torch_sum_on_a_full_batch_and_scales_the_padded_one():
    rng = np.random.default_rng(0)
    probs, targets = rng.uniform(0.05, 0.95, (8, 1)).astype(np.float32), rng.integers(0, 2, (8, 1)).astype(np.float32)
    torch_sum = torch.nn.BCELoss(reduction="sum")(torch.from_numpy(probs), torch.from_numpy(targets)).item()
    per_example = SummedBCE(8)(jnp.asarray(probs), jnp.asarray(targets), reduction="none")[:, 0]
    assert float(per_example.mean()) == pytest.approx(torch_sum, rel=1e-6)  # the step's mean over a full batch
    torch_last = torch.nn.BCELoss(reduction="sum")(torch.from_numpy(probs[:5]), torch.from_numpy(targets[:5])).item()
    assert float(per_example[:5].mean()) == pytest.approx(torch_last * 8 / 5, rel=1e-6)  # 5 real rows padded to 8


def test_one_vs_rest_rejects_regression_data_and_bad_optimizers(digits):
    regression = data.load("synthetic_regression")
    with pytest.raises(ConfigError, match="fit_one_vs_rest: data must be a classification dataset, got dataset"):
        fit_one_vs_rest(regression, optimizer=optim.sgd(0.01), epochs=1, batch_size=64)
    with pytest.raises(ConfigError, match="fit_one_vs_rest: optimizer must be an optax.GradientTransformation"):
        fit_one_vs_rest(digits, optimizer="sgd", epochs=1, batch_size=64)
    with pytest.raises(ConfigError, match="fit_one_vs_rest: batch_size must be an integer >= 1, got 0"):
        fit_one_vs_rest(digits, optimizer=optim.sgd(0.01), epochs=1, batch_size=0)


def test_ovr_cli_writes_per_class_accuracy(tmp_path):
    out = tmp_path / "ovr"
    assert main(["ovr", "--epochs", "3", "--batch-size", "128", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["metrics.json"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert sorted(metrics["class_acc"]) == [str(c) for c in range(10)]
    assert all(0.0 <= v <= 1.0 for v in metrics["class_acc"].values())
    assert len(metrics["history"]["test_acc"]["7"]) == 3
    assert metrics["config"]["epochs"] == 3 and 0.0 < metrics["test_acc"] <= 1.0


@pytest.mark.parametrize(
    "argv, code",
    [
        (["--epochs", "0"], None),
        (["--lr", "fast"], None),
        (["--dataset", "synthetic_regression"], 2),
    ],
)
def test_ovr_cli_bad_arguments_exit_2_without_writing(tmp_path, capsys, argv, code):
    out = tmp_path / "ovr"
    if code is None:
        with pytest.raises(SystemExit) as exit_info:
            main(["ovr", *argv, "--out", str(out)])
        assert exit_info.value.code == 2
    else:
        assert main(["ovr", *argv, "--epochs", "1", "--out", str(out)]) == code
    assert not out.exists()
    assert "error" in capsys.readouterr().err
