"""Every loss equals its torch.nn twin on the same inputs, for every reduction."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from jaxdl import losses
from jaxdl.errors import ConfigError

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(7, 5)).astype(np.float32)
LABELS = RNG.integers(0, 5, size=7)
PRED = RNG.normal(size=(7, 3)).astype(np.float32)
TARGET = RNG.normal(size=(7, 3)).astype(np.float32)
PROBS = RNG.uniform(0.01, 0.99, size=(7, 1)).astype(np.float32)
BINARY = RNG.integers(0, 2, size=(7, 1)).astype(np.float32)
REDUCTIONS = ["mean", "sum", "none"]


def close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(reduction):
    p, t = torch.tensor(PRED), torch.tensor(TARGET)
    close(
        losses.mse(jnp.array(PRED), jnp.array(TARGET), reduction=reduction), torch.nn.MSELoss(reduction=reduction)(p, t)
    )
    close(
        losses.l1(jnp.array(PRED), jnp.array(TARGET), reduction=reduction), torch.nn.L1Loss(reduction=reduction)(p, t)
    )
    close(
        losses.squared_loss(jnp.array(PRED), jnp.array(TARGET), reduction=reduction),
        0.5 * torch.nn.MSELoss(reduction=reduction)(p, t),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_matches_torch_with_index_labels(reduction, smoothing):
    ours = losses.cross_entropy(jnp.array(LOGITS), jnp.array(LABELS), reduction=reduction, label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)(
        torch.tensor(LOGITS), torch.tensor(LABELS)
    )
    close(ours, theirs)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_matches_torch_with_probability_targets(smoothing):
    probs = RNG.dirichlet(np.ones(5), size=7).astype(np.float32)
    ours = losses.cross_entropy(jnp.array(LOGITS), jnp.array(probs), label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(label_smoothing=smoothing)(torch.tensor(LOGITS), torch.tensor(probs))
    close(ours, theirs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_bce_and_bce_with_logits_match_torch(reduction):
    log_probs = torch.log_softmax(torch.tensor(LOGITS), dim=-1)
    close(
        losses.nll(jnp.array(log_probs.numpy()), jnp.array(LABELS), reduction=reduction),
        torch.nn.NLLLoss(reduction=reduction)(log_probs, torch.tensor(LABELS)),
    )
    close(
        losses.bce(jnp.array(PROBS), jnp.array(BINARY), reduction=reduction),
        torch.nn.BCELoss(reduction=reduction)(torch.tensor(PROBS), torch.tensor(BINARY)),
    )
    pos_weight = np.array([2.5], np.float32)
    close(
        losses.bce_with_logits(
            jnp.array(PRED[:, :1]), jnp.array(BINARY), reduction=reduction, pos_weight=jnp.array(pos_weight)
        ),
        torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=torch.tensor(pos_weight))(
            torch.tensor(PRED[:, :1]), torch.tensor(BINARY)
        ),
    )


def test_bce_clamps_log_at_minus_100_like_torch():
    probs, targets = np.array([0.0, 1.0], np.float32), np.array([1.0, 0.0], np.float32)
    close(
        losses.bce(jnp.array(probs), jnp.array(targets)), torch.nn.BCELoss()(torch.tensor(probs), torch.tensor(targets))
    )


@pytest.mark.parametrize("probs", [[0.5, 1.25], [-0.5, 0.5], [np.nan, 0.5]], ids=["above-1", "below-0", "nan"])
def test_bce_refuses_what_torch_refuses_outside_0_1_and_jit_leaves_it_alone(probs):
    probs, targets = np.array(probs, np.float32), np.array([1.0, 0.0], np.float32)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        torch.nn.BCELoss()(torch.tensor(probs), torch.tensor(targets))
    with pytest.raises(ConfigError, match=r"^bce: probs must be probabilities in \[0, 1\] .*bce_with_logits"):
        losses.bce(jnp.array(probs), jnp.array(targets))
    assert jax.jit(losses.bce)(jnp.array(probs), jnp.array(targets)).shape == ()  # traced: fit checks its data


def test_accuracy_for_scores_and_probabilities():
    assert float(losses.accuracy(jnp.array(LOGITS), jnp.array(LABELS))) == pytest.approx(
        float(np.mean(LOGITS.argmax(1) == LABELS))
    )
    assert float(losses.accuracy(jnp.array([[0.9], [0.2], [0.6]]), jnp.array([1, 1, 0]))) == pytest.approx(1 / 3)


def test_bad_reduction_is_a_clear_error():
    with pytest.raises(ConfigError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        losses.mse(jnp.zeros(2), jnp.zeros(2), reduction="avg")
