"""jaxdl.schedules.chained_scheduler against torch's ChainedScheduler: its recursive per-step update, float64."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as T

from jaxdl import schedules as S

N = 1000  # steps per parity run
RTOL, ATOL = 1e-9, 1e-12


def torch_chain(make, lr, steps=N):
    """``get_last_lr()[0]`` of ``ChainedScheduler(make(opt))`` after 0..steps calls of ``step()``."""
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=lr, momentum=0.9)
    sched = T.ChainedScheduler(make(opt))
    lrs = [sched.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()  # no gradient: changes nothing, but steps in torch's order (optimizer, then scheduler)
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    return np.array(lrs, dtype=np.float64)


def jax_chain(make, lr, steps=N):
    """``chained_scheduler(make(lr))`` at counts 0..steps, vectorized and jitted."""
    return np.asarray(jax.jit(jax.vmap(S.chained_scheduler(make(lr))))(jnp.arange(steps + 1)))


# (id, optimizer lr, torch schedulers of an optimizer, the same jaxdl schedules of the lr)
CASES = [
    (
        "warmup-cosine",
        0.1,
        lambda o: [T.LinearLR(o, 0.01, total_iters=50), T.CosineAnnealingLR(o, T_max=1000)],
        lambda lr: [S.linear_lr(lr, 0.01, total_iters=50), S.cosine_annealing_lr(lr, T_max=1000)],
    ),
    (
        "step-cosine-eta-min-goes-negative",
        0.1,
        lambda o: [T.StepLR(o, 10, 0.5), T.CosineAnnealingLR(o, T_max=50, eta_min=0.05)],
        lambda lr: [S.step_lr(lr, 10, 0.5), S.cosine_annealing_lr(lr, T_max=50, eta_min=0.05)],
    ),
    (
        "cosine-then-exponential",
        0.5,
        lambda o: [T.CosineAnnealingLR(o, T_max=37, eta_min=0.01), T.ExponentialLR(o, 0.999)],
        lambda lr: [S.cosine_annealing_lr(lr, T_max=37, eta_min=0.01), S.exponential_lr(lr, 0.999)],
    ),
    (
        "two-cosines",
        0.1,
        lambda o: [T.CosineAnnealingLR(o, T_max=100, eta_min=0.001), T.CosineAnnealingLR(o, T_max=7)],
        lambda lr: [S.cosine_annealing_lr(lr, T_max=100, eta_min=0.001), S.cosine_annealing_lr(lr, T_max=7)],
    ),
    (
        "multistep-at-zero-cosine",
        0.1,
        lambda o: [T.MultiStepLR(o, [0, 300, 300], 0.5), T.CosineAnnealingLR(o, T_max=200, eta_min=0.002)],
        lambda lr: [S.multi_step_lr(lr, [0, 300, 300], 0.5), S.cosine_annealing_lr(lr, T_max=200, eta_min=0.002)],
    ),
    (
        "constant-poly-cosine",
        0.2,
        lambda o: [T.ConstantLR(o, 0.25, 30), T.PolynomialLR(o, 700, 0.5), T.CosineAnnealingLR(o, 90, 0.01)],
        lambda lr: [S.constant_lr(lr, 0.25, 30), S.polynomial_lr(lr, 700, 0.5), S.cosine_annealing_lr(lr, 90, 0.01)],
    ),
    (
        "multiplicative-cosine",
        0.1,
        lambda o: [T.MultiplicativeLR(o, lambda e: 0.998), T.CosineAnnealingLR(o, T_max=64, eta_min=0.003)],
        lambda lr: [S.multiplicative_lr(lr, lambda e: 0.998), S.cosine_annealing_lr(lr, T_max=64, eta_min=0.003)],
    ),
    (
        "lambda-then-cosine",
        0.1,
        lambda o: [T.LambdaLR(o, lambda e: 1.0 / (1 + e)), T.CosineAnnealingLR(o, T_max=25, eta_min=0.001)],
        lambda lr: [S.lambda_lr(lr, lambda e: 1.0 / (1 + e)), S.cosine_annealing_lr(lr, T_max=25, eta_min=0.001)],
    ),
    (
        "warm-restarts-step",
        0.1,
        lambda o: [T.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2, eta_min=0.001), T.StepLR(o, 7, 0.9)],
        lambda lr: [S.cosine_annealing_warm_restarts(lr, T_0=20, T_mult=2, eta_min=0.001), S.step_lr(lr, 7, 0.9)],
    ),
    (
        "step-warm-restarts",
        0.1,
        lambda o: [T.StepLR(o, 7, 0.9), T.CosineAnnealingWarmRestarts(o, T_0=30)],
        lambda lr: [S.step_lr(lr, 7, 0.9), S.cosine_annealing_warm_restarts(lr, T_0=30)],
    ),
    (
        "cyclic-exponential",
        0.1,
        lambda o: [T.CyclicLR(o, 0.01, 0.1, step_size_up=40, mode="triangular2"), T.ExponentialLR(o, 0.999)],
        lambda lr: [S.cyclic_lr(0.01, 0.1, step_size_up=40, mode="triangular2"), S.exponential_lr(0.01, 0.999)],
    ),
    (
        "one-cycle-linear",
        0.1,
        lambda o: [T.OneCycleLR(o, max_lr=0.5, total_steps=N), T.LinearLR(o, 0.5, total_iters=100)],
        lambda lr: [S.one_cycle_lr(0.5, total_steps=N), S.linear_lr(0.02, 0.5, total_iters=100)],
    ),
    (
        "poly-lambda-multiplicative",
        0.1,
        lambda o: [T.PolynomialLR(o, 500, 2.0), T.LambdaLR(o, lambda e: 0.99**e), T.MultiplicativeLR(o, lambda e: 0.9)],
        lambda lr: [
            S.polynomial_lr(lr, 500, 2.0),
            S.lambda_lr(lr, lambda e: 0.99**e),
            S.multiplicative_lr(lr, lambda e: 0.9),
        ],
    ),
    (
        "nested-chain",
        0.1,
        lambda o: [
            T.ChainedScheduler([T.LinearLR(o, 0.1, total_iters=20), T.StepLR(o, 100, 0.5)]),
            T.CosineAnnealingLR(o, T_max=300, eta_min=0.01),
        ],
        lambda lr: [
            S.chained_scheduler([S.linear_lr(lr, 0.1, total_iters=20), S.step_lr(lr, 100, 0.5)]),
            S.cosine_annealing_lr(lr, T_max=300, eta_min=0.01),
        ],
    ),
    (
        "sequential-in-chain",
        0.1,
        lambda o: [
            T.SequentialLR(o, [T.LinearLR(o, 0.1, total_iters=10), T.CosineAnnealingLR(o, 200, 0.01)], [10]),
            T.StepLR(o, 150, 0.5),
        ],
        lambda lr: [
            S.sequential_lr([S.linear_lr(lr, 0.1, total_iters=10), S.cosine_annealing_lr(lr, 200, 0.01)], [10]),
            S.step_lr(lr, 150, 0.5),
        ],
    ),
]


@pytest.mark.parametrize("name, lr, make_torch, make_jax", CASES, ids=[c[0] for c in CASES])
def test_chained_replays_torch_recursion(x64, name, lr, make_torch, make_jax):
    expected = torch_chain(make_torch, lr)
    np.testing.assert_allclose(jax_chain(make_jax, lr), expected, rtol=RTOL, atol=ATOL)


def test_eta_min_with_step_goes_negative_like_torch(x64):
    """Not a product of factors: the recursion takes the rate below zero, as PyTorch's does."""
    got = jax_chain(CASES[1][3], 0.1)
    assert got.min() < 0
    t = np.arange(N + 1)
    product = 0.1 * 0.5 ** (t // 10) * (0.5 + 0.5 * (1 + np.cos(np.pi * t / 50)) / 2)  # step factor x cosine factor
    assert np.abs(got - product).max() > 1e-3


def test_chained_is_jittable_at_a_traced_count_and_float32():
    s = S.chained_scheduler([S.linear_lr(0.1, 0.1, total_iters=5), S.cosine_annealing_lr(0.1, T_max=10)])
    values = jax.jit(s)(jnp.arange(12))
    expected = torch_chain(lambda o: [T.LinearLR(o, 0.1, total_iters=5), T.CosineAnnealingLR(o, T_max=10)], 0.1, 11)
    assert values.dtype == jnp.float32
    np.testing.assert_allclose(values, expected, rtol=1e-5)
    assert float(s(7)) == pytest.approx(expected[7], rel=1e-5)


def test_chained_drives_an_optax_optimizer():
    import optax

    s = S.chained_scheduler([S.linear_lr(0.1, 0.5, total_iters=2), S.cosine_annealing_lr(0.1, T_max=4, eta_min=0.01)])
    opt = optax.sgd(learning_rate=s)
    params = jnp.zeros(())
    state = opt.init(params)
    steps = []
    for _ in range(4):
        updates, state = opt.update(jnp.ones(()), state, params)
        steps.append(-float(updates))
    expected = torch_chain(lambda o: [T.LinearLR(o, 0.5, total_iters=2), T.CosineAnnealingLR(o, 4, 0.01)], 0.1, 3)
    np.testing.assert_allclose(steps, expected, rtol=1e-6)
