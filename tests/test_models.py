"""Model shapes and parameter counts against torch, dropout modes, and torch-convention batch norm."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from jaxdl.errors import ConfigError
from jaxdl.models import (
    MLP,
    BatchNorm,
    Linear,
    LinearRegression,
    LinearRegressionScratch,
    LogisticRegression,
    MLPScratch,
    SoftmaxRegression,
    SoftmaxRegressionScratch,
)

X = jnp.ones((5, 8, 8, 1))


def count(params) -> int:
    return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(params))


def torch_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    "model, twin, out_shape",
    [
        (LinearRegression(), torch.nn.Linear(64, 1), (5, 1)),
        (SoftmaxRegression(10), torch.nn.Linear(64, 10), (5, 10)),
        (LogisticRegression(), torch.nn.Linear(64, 1), (5, 1)),
        (
            MLP(hidden=(256,), num_classes=10),
            torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)),
            (5, 10),
        ),
        (
            MLP(hidden=(32, 16), num_classes=3, batch_norm=True),
            torch.nn.Sequential(
                torch.nn.Linear(64, 32),
                torch.nn.BatchNorm1d(32),
                torch.nn.ReLU(),
                torch.nn.Linear(32, 16),
                torch.nn.BatchNorm1d(16),
                torch.nn.ReLU(),
                torch.nn.Linear(16, 3),
            ),
            (5, 3),
        ),
    ],
)
def test_output_shape_and_parameter_count_match_torch(model, twin, out_shape):
    variables = model.init(jax.random.key(0), X)
    assert model.apply(variables, X).shape == out_shape
    assert count(variables["params"]) == torch_count(twin)


def test_logistic_regression_outputs_probabilities():
    model = LogisticRegression()
    out = model.apply(model.init(jax.random.key(0), X), X * 3.0)
    assert bool(jnp.all((out > 0) & (out < 1)))


def test_linear_uses_torch_default_init_bounds():
    params = Linear(300).init(jax.random.key(1), jnp.ones((1, 400)))["params"]
    bound = 1 / np.sqrt(400)
    for p in (params["kernel"], params["bias"]):
        assert float(jnp.abs(p).max()) <= bound
        assert float(jnp.abs(p).max()) > 0.95 * bound


def test_dropout_differs_between_train_and_eval_and_is_reproducible():
    model = MLP(hidden=(64,), num_classes=10, dropout=0.5)
    variables = model.init(jax.random.key(0), X)
    eval_a = model.apply(variables, X, train=False)
    eval_b = model.apply(variables, X, train=False)
    train_a = model.apply(variables, X, train=True, rngs={"dropout": jax.random.key(7)})
    train_b = model.apply(variables, X, train=True, rngs={"dropout": jax.random.key(7)})
    train_c = model.apply(variables, X, train=True, rngs={"dropout": jax.random.key(8)})
    np.testing.assert_array_equal(eval_a, eval_b)
    np.testing.assert_array_equal(train_a, train_b)
    assert not np.allclose(train_a, eval_a)
    assert not np.allclose(train_a, train_c)


def _torch_bn_run(batches, momentum=0.1):
    bn = torch.nn.BatchNorm1d(batches[0].shape[1], momentum=momentum)
    bn.train()
    outs = [bn(torch.tensor(b)).detach().numpy() for b in batches]
    return outs, bn.running_mean.numpy(), bn.running_var.numpy()


def test_batch_norm_running_statistics_match_torch_batchnorm1d():
    rng = np.random.default_rng(0)
    batches = [rng.normal(2.0, 3.0, size=(16, 6)).astype(np.float32) for _ in range(5)]
    outs, mean, var = _torch_bn_run(batches)
    bn = BatchNorm()
    variables = bn.init(jax.random.key(0), jnp.asarray(batches[0]), train=True)
    for batch, torch_out in zip(batches, outs, strict=True):
        out, updates = bn.apply(variables, jnp.asarray(batch), train=True, mutable=["batch_stats"])
        variables = {"params": variables["params"], **updates}
        np.testing.assert_allclose(out, torch_out, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(variables["batch_stats"]["mean"], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(variables["batch_stats"]["var"], var, rtol=1e-5, atol=1e-6)


def test_batch_norm_mask_equals_torch_on_the_smaller_batch():
    rng = np.random.default_rng(1)
    full = rng.normal(size=(8, 4)).astype(np.float32)
    outs, mean, var = _torch_bn_run([full[:5]])
    bn = BatchNorm()
    variables = bn.init(jax.random.key(0), jnp.asarray(full), train=True)
    padded = full.copy()
    padded[5:] = 1e6
    mask = jnp.array([1, 1, 1, 1, 1, 0, 0, 0], jnp.float32)
    out, updates = bn.apply(variables, jnp.asarray(padded), train=True, mask=mask, mutable=["batch_stats"])
    np.testing.assert_allclose(out[:5], outs[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(updates["batch_stats"]["mean"], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(updates["batch_stats"]["var"], var, rtol=1e-5, atol=1e-6)


def test_batch_norm_eval_uses_running_statistics():
    bn = BatchNorm()
    x = jnp.arange(12.0).reshape(4, 3)
    variables = bn.init(jax.random.key(0), x, train=False)
    np.testing.assert_allclose(bn.apply(variables, x, train=False), x / np.sqrt(1 + 1e-5), rtol=1e-6)


def test_scratch_twins_shapes_and_init_scale():
    key = jax.random.key(0)
    lin = LinearRegressionScratch.init(key, 2)
    assert LinearRegressionScratch.apply(lin, jnp.ones((4, 2))).shape == (4, 1)
    soft = SoftmaxRegressionScratch.init(key, 64, 10)
    probs = SoftmaxRegressionScratch.apply(soft, X)
    np.testing.assert_allclose(probs.sum(axis=1), np.ones(5), rtol=1e-6)
    mlp = MLPScratch.init(key, 64, 10, 256)
    assert MLPScratch.apply(mlp, X).shape == (5, 10)
    assert 0.008 < float(jnp.std(mlp["W1"])) < 0.012
    assert float(jnp.abs(mlp["b1"]).max()) == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hidden": (0,)}, "hidden"),
        ({"dropout": 1.0}, "dropout"),
        ({"activation": "rleu"}, "did you mean 'relu'"),
        ({"num_classes": 1}, "num_classes"),
    ],
)
def test_bad_model_arguments_are_clear_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        MLP(**kwargs)
