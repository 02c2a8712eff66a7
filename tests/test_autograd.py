"""jaxdl.autograd against torch.autograd: same inputs through both, same numbers out."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from jaxdl import autograd
from jaxdl.errors import ConfigError

TORCH_FORWARD_AD_NOISE = "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
RTOL = 1e-6
ATOL = 1e-6


def close(jax_value, torch_value, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(jax_value), torch_value.detach().numpy(), rtol=rtol, atol=atol)


def torch_leaf(values: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(values), dtype=torch.float32, requires_grad=True)


@pytest.fixture
def x() -> np.ndarray:
    return np.random.default_rng(0).normal(size=5).astype(np.float32)


def test_backward_scalar_output_matches_torch(x):
    tx = torch_leaf(x)
    (torch.sin(tx) * tx**2).sum().backward()
    grad = autograd.backward(lambda v: jnp.sum(jnp.sin(v) * v**2), jnp.asarray(x))
    close(grad, tx.grad)


def test_backward_chapter_example_is_4x():
    tx = torch.arange(4.0, requires_grad=True)
    (2 * torch.dot(tx, tx)).backward()
    grad = autograd.backward(lambda v: 2 * jnp.dot(v, v), jnp.arange(4.0))
    close(grad, tx.grad)
    np.testing.assert_array_equal(np.asarray(grad), [0.0, 4.0, 8.0, 12.0])


@pytest.mark.parametrize("gradient", ["ones", "random"])
def test_backward_non_scalar_output_with_gradient_matches_torch(x, gradient):
    v = np.ones(5, np.float32) if gradient == "ones" else np.random.default_rng(1).normal(size=5).astype(np.float32)
    tx = torch_leaf(x)
    (tx * tx * torch.exp(-tx)).backward(torch.tensor(v))
    grad = autograd.backward(lambda u: u * u * jnp.exp(-u), jnp.asarray(x), jnp.asarray(v))
    close(grad, tx.grad)


def test_backward_one_element_output_needs_no_gradient_like_torch(x):
    tx = torch_leaf(x)
    tx.sum().reshape(1).backward()
    close(autograd.backward(lambda u: jnp.sum(u).reshape(1), jnp.asarray(x)), tx.grad)


def test_backward_non_scalar_without_gradient_raises_torchs_message(x):
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs") as torch_err:
        (torch_leaf(x) * 2).backward()
    torch_message = str(torch_err.value)
    with pytest.raises(ConfigError, match=r"^backward: gradient must be an array of the output's shape \(5,\)") as err:
        autograd.backward(lambda u: u * 2, jnp.asarray(x))
    assert f"(torch: {torch_message})" in str(err.value)


def test_backward_wrong_gradient_shape_raises(x):
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (torch_leaf(x) * 2).backward(torch.ones(3))
    with pytest.raises(ConfigError, match=r"backward: gradient must be of the output's shape \(5,\), got shape \(3,\)"):
        autograd.backward(lambda u: u * 2, jnp.asarray(x), jnp.ones(3))


def test_backward_integer_input_raises():
    with pytest.raises(ConfigError, match="backward: x must be floating-point to be differentiated, got dtype int32"):
        autograd.backward(lambda u: jnp.sum(u * 2), jnp.arange(3))


def test_backward_on_a_pytree_of_parameters():
    params = {"w": jnp.array([1.0, -2.0]), "b": jnp.array(0.5)}
    grads = autograd.backward(lambda p: jnp.sum(p["w"] ** 2) + 3 * p["b"], params)
    np.testing.assert_array_equal(np.asarray(grads["w"]), [2.0, -4.0])
    assert float(grads["b"]) == 3.0


def test_detach_matches_torch_chapter_example(x):
    tx = torch_leaf(x)
    ty = tx * tx
    tu = ty.detach()
    (tu * tx).sum().backward()
    grad = autograd.backward(lambda v: jnp.sum(autograd.detach(v * v) * v), jnp.asarray(x))
    close(grad, tx.grad)
    np.testing.assert_array_equal(np.asarray(grad), x * x)
    tx.grad.zero_()
    ty.sum().backward()
    close(autograd.backward(lambda v: jnp.sum(v * v), jnp.asarray(x)), tx.grad)


def torch_f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("a", [1.5, -0.3, 0.0007, -2e-20, 7e5, 3e-36])
def test_control_flow_matches_torch_and_grad_is_f_over_a(a):
    ta = torch.tensor(a, requires_grad=True)
    d = torch_f(ta)
    d.backward()
    ja = jnp.float32(a)
    value = jax.jit(autograd.control_flow)(ja)
    grad = jax.jit(jax.grad(autograd.control_flow))(ja)
    assert float(value) == d.item()
    assert float(grad) == ta.grad.item()
    assert float(grad) == float(value / ja)


def test_control_flow_on_a_vector_matches_torch():
    a = np.random.default_rng(2).normal(size=(3,)).astype(np.float32) * 0.01
    ta = torch_leaf(a)
    d = torch_f(ta)
    d.backward(torch.ones(3))
    value = autograd.control_flow(jnp.asarray(a))
    grad = autograd.backward(autograd.control_flow, jnp.asarray(a), jnp.ones(3))
    close(value, d, rtol=0, atol=0)
    close(grad, ta.grad, rtol=0, atol=0)
    np.testing.assert_array_equal(np.asarray(grad), np.asarray(value / jnp.asarray(a)))


def test_accumulate_grads_equals_repeated_backward_without_zero_grad():
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=(4, 1)).astype(np.float32), np.float32(0.3)
    X = rng.normal(size=(3, 8, 4)).astype(np.float32)
    y = rng.normal(size=(3, 8, 1)).astype(np.float32)
    tw, tb = torch_leaf(w), torch_leaf(b)
    for Xb, yb in zip(X, y, strict=True):
        ((torch.tensor(Xb) @ tw + tb - torch.tensor(yb)) ** 2).mean().backward()

    def loss_fn(params, batch):
        Xb, yb = batch
        return jnp.mean((Xb @ params["w"] + params["b"] - yb) ** 2)

    grads = autograd.accumulate_grads(loss_fn, {"w": jnp.asarray(w), "b": jnp.asarray(b)}, (X, y))
    close(grads["w"], tw.grad)
    close(grads["b"], tb.grad)
    one_batch = jax.grad(loss_fn)({"w": jnp.asarray(w), "b": jnp.asarray(b)}, (X[0], y[0]))
    assert not np.allclose(np.asarray(one_batch["w"]), np.asarray(grads["w"]))


def test_accumulate_grads_rejects_batches_of_different_lengths():
    with pytest.raises(ConfigError, match=r"accumulate_grads: batches must be .*, got leading lengths \[3, 4\]"):
        autograd.accumulate_grads(lambda p, b: jnp.sum(p * b[0]), jnp.ones(2), (jnp.ones((3, 2)), jnp.ones((4, 2))))


def torch_g(v):
    return torch.stack([v[0] * v[1], torch.sin(v[2]), v.sum() ** 2])


def jax_g(v):
    return jnp.stack([v[0] * v[1], jnp.sin(v[2]), v.sum() ** 2])


@pytest.mark.filterwarnings(TORCH_FORWARD_AD_NOISE)
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_matches_torch(x, strategy):
    expected = torch.autograd.functional.jacobian(torch_g, torch.tensor(x[:3]), strategy=strategy, vectorize=True)
    close(autograd.jacobian(jax_g, jnp.asarray(x[:3]), strategy=strategy), expected)


def test_jacobian_unknown_strategy_suggests():
    with pytest.raises(ConfigError, match="did you mean 'forward-mode'"):
        autograd.jacobian(jax_g, jnp.ones(3), strategy="forward")


@pytest.mark.filterwarnings(TORCH_FORWARD_AD_NOISE)
def test_jvp_matches_torch(x):
    v = np.random.default_rng(4).normal(size=3).astype(np.float32)
    t_out, t_jvp = torch.autograd.functional.jvp(torch_g, torch.tensor(x[:3]), torch.tensor(v))
    out, tangent = autograd.jvp(jax_g, jnp.asarray(x[:3]), jnp.asarray(v))
    close(out, t_out)
    close(tangent, t_jvp)


def test_hvp_matches_torch(x):
    v = np.random.default_rng(5).normal(size=5).astype(np.float32)
    t_out, t_hvp = torch.autograd.functional.hvp(
        lambda u: (torch.sin(u) * u.sum() ** 2).sum(), torch.tensor(x), torch.tensor(v)
    )
    out, product = autograd.hvp(lambda u: jnp.sum(jnp.sin(u) * jnp.sum(u) ** 2), jnp.asarray(x), jnp.asarray(v))
    close(out, t_out)
    close(product, t_hvp, rtol=1e-5)


def test_jvp_and_hvp_reject_a_direction_of_the_wrong_shape():
    with pytest.raises(ConfigError, match=r"jvp: v must be of the input's shapes \(3,\), got shapes \(2,\)"):
        autograd.jvp(jax_g, jnp.ones(3), jnp.ones(2))
    with pytest.raises(ConfigError, match="hvp: v must be of the input's shapes"):
        autograd.hvp(lambda u: jnp.sum(u**3), jnp.ones(3), jnp.ones((3, 1)))


def mlp_problem(seed: int, n: int = 16, d: int = 5, h: int = 7, q: int = 3):
    k1, k2, k3, k4 = jax.random.split(jax.random.key(seed), 4)
    params = {"W1": jax.random.normal(k1, (h, d)), "W2": jax.random.normal(k2, (q, h)) * 0.5}
    X = jax.random.normal(k3, (n, d))
    y = jax.random.randint(k4, (n,), 0, q)
    return params, X, y


@pytest.mark.parametrize("seed, weight_decay", [(0, 0.0), (1, 0.01), (2, 0.5)])
def test_manual_backprop_equals_jax_grad(seed, weight_decay):
    params, X, y = mlp_problem(seed)
    manual = jax.jit(autograd.manual_backprop)(params, X, y, weight_decay)
    auto = jax.jit(jax.grad(autograd.regularized_loss))(params, X, y, weight_decay)
    assert jax.tree.structure(manual) == jax.tree.structure(auto)
    for key in ("W1", "W2"):
        np.testing.assert_allclose(np.asarray(manual[key]), np.asarray(auto[key]), rtol=1e-6, atol=1e-6)


def test_manual_backprop_relu_at_zero_and_torch_parity():
    params, X, y = mlp_problem(3)
    X = X.at[:4].set(0.0)
    weight_decay = 0.1
    manual = autograd.manual_backprop(params, X, y, weight_decay)
    W1, W2 = torch_leaf(params["W1"]), torch_leaf(params["W2"])
    o = torch.relu(torch.tensor(np.asarray(X)) @ W1.T) @ W2.T
    J = torch.nn.functional.cross_entropy(o, torch.tensor(np.asarray(y), dtype=torch.long))
    J = J + weight_decay / 2 * (W1.pow(2).sum() + W2.pow(2).sum())
    J.backward()
    close(autograd.regularized_loss(params, X, y, weight_decay), J)
    close(manual["W1"], W1.grad)
    close(manual["W2"], W2.grad)


def test_manual_backprop_rejects_mismatched_shapes():
    params, X, y = mlp_problem(0)
    with pytest.raises(ConfigError, match=r"X must be \(n, d\) with d=5 \(W1's columns\), got shape \(16, 4\)"):
        autograd.manual_backprop(params, X[:, :4], y, 0.0)
    with pytest.raises(ConfigError, match="y must be integer class indices"):
        autograd.regularized_loss(params, X, y.astype(jnp.float32), 0.0)
    with pytest.raises(ConfigError, match="params must be a dict with keys 'W1'"):
        autograd.manual_backprop({"W1": params["W1"]}, X, y, 0.0)
