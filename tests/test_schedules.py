"""jaxdl.schedules against torch.optim.lr_scheduler: same arguments, same learning rates (float64)."""

from __future__ import annotations

import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from matplotlib.figure import Figure
from torch.optim import lr_scheduler as T
from torch.optim import swa_utils

from jaxdl import schedules as S
from jaxdl.cli import main
from jaxdl.errors import ConfigError
from jaxdl.plots import plot_schedules

N = 1000  # steps per parity run
RTOL, ATOL = 1e-9, 1e-12


def torch_run(make, steps=N, lr=0.1, optimizer="sgd"):
    """``make(opt)``'s lr (and momentum / beta1) after 0..steps calls of ``step()``."""
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=lr, momentum=0.9) if optimizer == "sgd" else torch.optim.Adam([param], lr=lr)
    key = "momentum" if optimizer == "sgd" else "betas"
    momentum = lambda: (lambda m: m[0] if isinstance(m, tuple) else m)(opt.param_groups[0][key])  # noqa: E731
    sched = make(opt)
    lrs, moms = [sched.get_last_lr()[0]], [momentum()]
    for _ in range(steps):
        opt.step()  # no gradient: changes nothing, but steps in torch's order (optimizer, then scheduler)
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(momentum())
    return np.array(lrs, dtype=np.float64), np.array(moms, dtype=np.float64)


def jax_run(fn, steps=N):
    """``fn`` at counts 0..steps, vectorized and jitted."""
    return np.asarray(jax.jit(jax.vmap(fn))(jnp.arange(steps + 1)))


# (torch class, optimizer lr, keyword arguments given to both torch and jaxdl.schedules.by_name)
SAME_ARGS = [
    ("StepLR", 0.1, dict(step_size=30)),
    ("StepLR", 0.1, dict(step_size=1, gamma=0.99)),
    ("StepLR", 1.0, dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", 0.1, dict(milestones=[30, 80])),
    ("MultiStepLR", 0.1, dict(milestones=[500, 100, 100], gamma=0.5)),
    ("MultiStepLR", 1.0, dict(milestones=[0, 10, 999], gamma=0.3)),
    ("ConstantLR", 0.1, dict()),
    ("ConstantLR", 0.1, dict(factor=0.5, total_iters=100)),
    ("ConstantLR", 0.3, dict(factor=0.1, total_iters=1)),
    ("LinearLR", 0.1, dict()),
    ("LinearLR", 0.1, dict(start_factor=0.1, end_factor=1.0, total_iters=100)),
    ("LinearLR", 1.0, dict(start_factor=1.0, end_factor=0.0, total_iters=999)),
    ("LinearLR", 0.1, dict(start_factor=0.25, end_factor=0.75, total_iters=1000)),
    ("ExponentialLR", 0.1, dict(gamma=0.99)),
    ("ExponentialLR", 1.0, dict(gamma=0.5)),
    ("ExponentialLR", 0.01, dict(gamma=1.001)),
    ("PolynomialLR", 0.1, dict()),
    ("PolynomialLR", 0.1, dict(total_iters=500, power=2.0)),
    ("PolynomialLR", 1.0, dict(total_iters=1000, power=0.5)),
    ("CosineAnnealingLR", 0.1, dict(T_max=10)),
    ("CosineAnnealingLR", 0.1, dict(T_max=100, eta_min=0.001)),
    ("CosineAnnealingLR", 1.0, dict(T_max=300, eta_min=0.05)),
    ("CosineAnnealingLR", 0.1, dict(T_max=7)),
    ("CosineAnnealingWarmRestarts", 0.1, dict(T_0=10)),
    ("CosineAnnealingWarmRestarts", 0.1, dict(T_0=10, T_mult=2, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", 1.0, dict(T_0=3, T_mult=3, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", 0.1, dict(T_0=1)),
    ("CyclicLR", 0.1, dict(base_lr=0.001, max_lr=0.1, step_size_up=20)),
    ("CyclicLR", 0.1, dict(base_lr=0.001, max_lr=0.1, step_size_up=50, step_size_down=30, mode="triangular2")),
    ("CyclicLR", 0.1, dict(base_lr=0.01, max_lr=0.5, step_size_up=37, mode="exp_range", gamma=0.995)),
    ("OneCycleLR", 0.1, dict(max_lr=0.1, total_steps=N)),
    (
        "OneCycleLR",
        0.1,
        dict(max_lr=1.0, epochs=10, steps_per_epoch=100, pct_start=0.25, anneal_strategy="linear", three_phase=True),
    ),
    ("OneCycleLR", 0.1, dict(max_lr=0.5, total_steps=N, div_factor=10.0, final_div_factor=100.0, three_phase=True)),
]


@pytest.mark.parametrize("cls, lr, kwargs", SAME_ARGS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(SAME_ARGS)])
def test_parity_with_torch(x64, cls, lr, kwargs):
    expected, _ = torch_run(lambda opt: getattr(T, cls)(opt, **kwargs), lr=lr)
    ours = S.by_name(cls, **kwargs) if cls in ("CyclicLR", "OneCycleLR") else S.by_name(cls, lr=lr, **kwargs)
    np.testing.assert_allclose(jax_run(ours), expected, rtol=RTOL, atol=ATOL)


def _scale(x):
    return 1 / (1 + x / 100)


# (id, optimizer lr, torch factory, jaxdl factory): lambdas come in pairs, Python for torch, jnp for jaxdl.
PAIRED = [
    ("lambda-exp", 0.1, lambda o: T.LambdaLR(o, lambda e: 0.95**e), lambda lr: S.lambda_lr(lr, lambda e: 0.95**e)),
    (
        "lambda-warmup",
        0.1,
        lambda o: T.LambdaLR(o, lambda e: min(1.0, (e + 1) / 10)),
        lambda lr: S.lambda_lr(lr, lambda e: jnp.minimum(1.0, (e + 1) / 10)),
    ),
    (
        "lambda-inv",
        1.0,
        lambda o: T.LambdaLR(o, lambda e: 1 / (1 + 0.01 * e)),
        lambda lr: S.lambda_lr(lr, lambda e: 1 / (1 + 0.01 * e)),
    ),
    (
        "mult-const",
        0.1,
        lambda o: T.MultiplicativeLR(o, lambda e: 0.999),
        lambda lr: S.multiplicative_lr(lr, lambda e: 0.999),
    ),
    (
        "mult-piecewise",
        0.1,
        lambda o: T.MultiplicativeLR(o, lambda e: 0.95 if e % 100 < 50 else 1.04),
        lambda lr: S.multiplicative_lr(lr, lambda e: jnp.where(e % 100 < 50, 0.95, 1.04)),
    ),
    (
        "mult-harmonic",
        1.0,
        lambda o: T.MultiplicativeLR(o, lambda e: 1 - 1 / (e + 10)),
        lambda lr: S.multiplicative_lr(lr, lambda e: 1 - 1 / (e + 10)),
    ),
    (
        "cyclic-scale-fn",
        0.1,
        lambda o: T.CyclicLR(o, 0.01, 0.1, 10, 5, scale_fn=_scale, scale_mode="iterations"),
        lambda lr: S.cyclic_lr(0.01, 0.1, 10, 5, scale_fn=_scale, scale_mode="iterations"),
    ),
    (
        "seq-warmup-cos",
        0.1,
        lambda o: T.SequentialLR(o, [T.LinearLR(o, 0.1, total_iters=10), T.CosineAnnealingLR(o, 990)], [10]),
        lambda lr: S.sequential_lr([S.linear_lr(lr, 0.1, total_iters=10), S.cosine_annealing_lr(lr, 990)], [10]),
    ),
    (
        "seq-three",
        0.1,
        lambda o: T.SequentialLR(o, [T.ConstantLR(o, 0.5, 20), T.ExponentialLR(o, 0.99), T.StepLR(o, 100)], [50, 400]),
        lambda lr: S.sequential_lr(
            [S.constant_lr(lr, 0.5, 20), S.exponential_lr(lr, 0.99), S.step_lr(lr, 100)], [50, 400]
        ),
    ),
    (
        "seq-mult-sgdr",
        0.1,
        lambda o: T.SequentialLR(
            o,
            [T.StepLR(o, 10, 0.5), T.MultiplicativeLR(o, lambda e: 0.99), T.CosineAnnealingWarmRestarts(o, 50, 2)],
            [100, 300],
        ),
        lambda lr: S.sequential_lr(
            [
                S.step_lr(lr, 10, 0.5),
                S.multiplicative_lr(lr, lambda e: 0.99),
                S.cosine_annealing_warm_restarts(lr, 50, 2),
            ],
            [100, 300],
        ),
    ),
    (
        "seq-zero",
        0.1,
        lambda o: T.SequentialLR(o, [T.StepLR(o, 10), T.ExponentialLR(o, 0.995)], [0]),
        lambda lr: S.sequential_lr([S.step_lr(lr, 10), S.exponential_lr(lr, 0.995)], [0]),
    ),
    (
        "chain-doc",
        1.0,
        lambda o: T.ChainedScheduler([T.ConstantLR(o, 0.1, 2), T.ExponentialLR(o, 0.9)]),
        lambda lr: S.chained_scheduler([S.constant_lr(lr, 0.1, 2), S.exponential_lr(lr, 0.9)]),
    ),
    (
        "chain-warmup-step",
        0.1,
        lambda o: T.ChainedScheduler([T.LinearLR(o, 0.01, total_iters=50), T.StepLR(o, 200, 0.5)]),
        lambda lr: S.chained_scheduler([S.linear_lr(lr, 0.01, total_iters=50), S.step_lr(lr, 200, 0.5)]),
    ),
    (
        "chain-three",
        0.1,
        lambda o: T.ChainedScheduler(
            [T.MultiplicativeLR(o, lambda e: 0.999), T.PolynomialLR(o, 800, 1.5), T.MultiStepLR(o, [100, 600])]
        ),
        lambda lr: S.chained_scheduler(
            [S.multiplicative_lr(lr, lambda e: 0.999), S.polynomial_lr(lr, 800, 1.5), S.multi_step_lr(lr, [100, 600])]
        ),
    ),
]


@pytest.mark.parametrize("name, lr, make_torch, make_jax", PAIRED, ids=[c[0] for c in PAIRED])
def test_parity_with_torch_functions_and_compositions(x64, name, lr, make_torch, make_jax):
    expected, _ = torch_run(make_torch, lr=lr)
    np.testing.assert_allclose(jax_run(make_jax(lr)), expected, rtol=RTOL, atol=ATOL)


def test_every_torch_scheduler_is_covered_three_times():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    paired = [type(c[2](opt)).__name__ for c in PAIRED]
    counts = {name: paired.count(name) + sum(c == name for c, _, _ in SAME_ARGS) for name in T.__all__}
    assert counts.pop("LRScheduler") == 0 and counts.pop("ReduceLROnPlateau") == 0  # plateau: test_plateau.py
    assert min(counts.values()) >= 3, counts
    assert set(S.SCHEDULERS) == set(counts) | {"ReduceLROnPlateau", "SWALR"}  # SWALR: test_swa.py


JAXDL_ONLY = {"ReduceLROnPlateau": ["warmup", "warmup_epochs"]}
"""Arguments a jaxdl scheduler adds after PyTorch's: the plateau's own warm-up (SequentialLR refuses a plateau)."""


@pytest.mark.parametrize("name", sorted(S.SCHEDULERS))
def test_every_scheduler_takes_torchs_arguments_in_torchs_order(name):
    torch_cls = getattr(T, name, None) or getattr(swa_utils, name)
    theirs = [p for p in inspect.signature(torch_cls).parameters if p not in ("optimizer", "last_epoch", "verbose")]
    mine = [p for p in inspect.signature(S.resolve(name)[1]).parameters if p != "lr" or "lr" in theirs]
    assert mine == theirs + JAXDL_ONLY.get(name, [])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize(
    "make_torch, schedule",
    [
        (
            lambda o: T.CyclicLR(o, 0.001, 0.1, 30, 20, "triangular2", base_momentum=0.85, max_momentum=0.95),
            lambda: S.cyclic_lr(0.001, 0.1, 30, 20, "triangular2", base_momentum=0.85, max_momentum=0.95),
        ),
        (lambda o: T.OneCycleLR(o, 0.1, N, pct_start=0.4), lambda: S.one_cycle_lr(0.1, N, pct_start=0.4)),
        (
            lambda o: T.OneCycleLR(o, 0.1, N, three_phase=True, anneal_strategy="linear", base_momentum=0.8),
            lambda: S.one_cycle_lr(0.1, N, three_phase=True, anneal_strategy="linear", base_momentum=0.8),
        ),
    ],
    ids=["cyclic", "onecycle", "onecycle-3"],
)
def test_momentum_cycles_like_torch(x64, optimizer, make_torch, schedule):
    _, expected = torch_run(make_torch, optimizer=optimizer)
    assert np.ptp(expected) > 0.05
    np.testing.assert_allclose(jax_run(schedule().momentum), expected, rtol=RTOL, atol=ATOL)


def test_no_momentum_when_not_cycled():
    assert S.cyclic_lr(0.01, 0.1, cycle_momentum=False).momentum is None
    assert S.one_cycle_lr(0.1, 100, cycle_momentum=False).momentum is None


@pytest.mark.parametrize("T_0, T_mult, eta_min", [(10, 1, 0.001), (10, 2, 0.0), (3, 3, 0.01)])
def test_sgdr_fractional_epochs_like_torch_step_epoch(x64, T_0, T_mult, eta_min):
    epochs, iters = 130, 8
    counts = np.array([e + i / iters for e in range(epochs) for i in range(iters)])
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=0.1)
    sched = T.CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min)
    expected = []
    for count in counts:
        sched.step(count)
        expected.append(sched.get_last_lr()[0])
    got = jax.jit(S.cosine_annealing_warm_restarts(0.1, T_0, T_mult, eta_min))(jnp.asarray(counts))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=RTOL, atol=ATOL)


def test_sgdr_float_epoch_on_a_restart_boundary_restarts_like_step():
    # PyTorch's step(epoch) finds the cycle with int(math.log(243, 3)) == 4 (4.999...) at epoch 363,
    # a restart, and gives eta_min; 363 plain step() calls give lr. jaxdl counts cycles exactly.
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    by_epoch, by_step = T.CosineAnnealingWarmRestarts(opt, 3, 3, 0.001), T.CosineAnnealingWarmRestarts(opt, 3, 3, 0.001)
    by_epoch.step(363.0)
    torch_epoch = by_epoch.get_last_lr()[0]
    for _ in range(363):
        by_step.step()
    ours = S.cosine_annealing_warm_restarts(0.1, 3, 3, 0.001)
    assert torch_epoch == 0.001 and by_step.get_last_lr()[0] == pytest.approx(0.1)
    assert float(ours(363.0)) == pytest.approx(0.1) and float(ours(363)) == pytest.approx(0.1)


def test_closed_forms_are_float_count_friendly():
    s = S.cosine_annealing_lr(1.0, T_max=10)
    assert float(s(2.5)) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.25)), rel=1e-6)
    assert float(S.step_lr(1.0, 10, gamma=0.5)(19.5)) == 0.5


# --- optax's known differences: optax != torch, jaxdl == torch -------------------------------------


def test_optax_sgdr_stops_restarting_and_has_no_t_mult(x64):
    expected, _ = torch_run(lambda o: T.CosineAnnealingWarmRestarts(o, 10, 1, 0.001), steps=60)
    cycle = {"init_value": 0.1, "peak_value": 0.1, "warmup_steps": 0, "decay_steps": 10, "end_value": 0.001}
    theirs = jax_run(optax.sgdr_schedule([cycle] * 3), steps=60)
    ours = jax_run(S.cosine_annealing_warm_restarts(0.1, 10, 1, 0.001), steps=60)
    np.testing.assert_allclose(theirs[:30], expected[:30], rtol=1e-6)  # same while its cycles last
    assert not np.allclose(theirs[30:], expected[30:], rtol=1e-3)  # then it stops restarting
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL)
    expected_mult, _ = torch_run(lambda o: T.CosineAnnealingWarmRestarts(o, 10, 2), steps=60)
    assert not np.allclose(theirs, expected_mult, rtol=1e-3)  # T_mult=2 is not expressible by repeating


def test_optax_onecycle_peaks_one_step_later(x64):
    expected, _ = torch_run(lambda o: T.OneCycleLR(o, 0.1, total_steps=100), steps=100)
    theirs = jax_run(optax.cosine_onecycle_schedule(100, 0.1), steps=100)
    ours = jax_run(S.one_cycle_lr(0.1, total_steps=100), steps=100)
    assert np.argmax(expected) == 29 and np.argmax(theirs) == 30
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL)


def test_optax_cosine_decay_holds_after_t_max_and_alpha_is_a_fraction(x64):
    expected, _ = torch_run(lambda o: T.CosineAnnealingLR(o, 100, eta_min=0.001), steps=300)
    ours = jax_run(S.cosine_annealing_lr(0.1, 100, eta_min=0.001), steps=300)
    as_fraction = jax_run(optax.cosine_decay_schedule(0.1, 100, alpha=0.001 / 0.1), steps=300)
    as_absolute = jax_run(optax.cosine_decay_schedule(0.1, 100, alpha=0.001), steps=300)
    np.testing.assert_allclose(as_fraction[:101], expected[:101], rtol=1e-9)
    assert np.all(as_fraction[101:] == as_fraction[100]) and expected[200] == pytest.approx(0.1)
    assert as_absolute[100] == pytest.approx(1e-4) and expected[100] == pytest.approx(1e-3)
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL)


# --- optax / jit / float32 use ----------------------------------------------------------------------


def test_schedule_drives_optax_sgd():
    schedule = S.step_lr(0.1, step_size=2, gamma=0.5)
    opt = optax.sgd(learning_rate=schedule)
    params = jnp.ones(3)
    state = opt.init(params)
    steps = []
    for _ in range(5):
        updates, state = opt.update(jnp.ones(3), state, params)
        steps.append(float(-updates[0]))
    np.testing.assert_allclose(steps, [0.1, 0.1, 0.05, 0.05, 0.025], rtol=1e-6)


def test_cyclic_momentum_drives_optax_inject_hyperparams():
    s = S.cyclic_lr(0.01, 0.1, step_size_up=4)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=s, momentum=s.momentum)
    state = opt.init(jnp.zeros(2))
    for _ in range(4):
        _, state = opt.update(jnp.ones(2), state)
    assert float(state.hyperparams["learning_rate"]) == pytest.approx(float(s(3)), rel=1e-6)
    assert float(state.hyperparams["momentum"]) == pytest.approx(0.825, rel=1e-6)


def test_float32_counts_and_traced_lr():
    s = S.cosine_annealing_warm_restarts(0.1, 10, 2)
    values = jax.jit(s)(jnp.arange(100, dtype=jnp.int32))
    assert values.dtype == jnp.float32 and float(values[10]) == pytest.approx(0.1)
    by_lr = jax.vmap(lambda lr: S.exponential_lr(lr, 0.5)(2))(jnp.array([1.0, 2.0]))
    np.testing.assert_allclose(by_lr, [0.25, 0.5])


# --- by_name and validation ---------------------------------------------------------------------------


def test_by_name_is_case_insensitive_and_takes_function_names():
    a = S.by_name("CosineAnnealingWarmRestarts", lr=0.1, T_0=10)
    b = S.by_name("cosineannealingwarmrestarts", lr=0.1, T_0=10)
    c = S.by_name("cosine_annealing_warm_restarts", lr=0.1, T_0=10)
    assert a.name == b.name == c.name == "CosineAnnealingWarmRestarts"
    np.testing.assert_allclose(jax_run(a, 30), jax_run(c, 30))
    assert isinstance(S.by_name("reducelronplateau", lr=0.1), S.Plateau)


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("CosineAnealingLR", {}, "did you mean 'CosineAnnealingLR'"),
        ("StepLR", {"lr": 0.1, "step_sise": 3}, "did you mean 'step_size'"),
        ("StepLR", {"lr": 0.1}, "StepLR: step_size must be given (it has no default), got nothing"),
        ("CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 0}, "T_0 must be an integer >= 1, got 0"),
        ("CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 2.5}, "T_0 must be an integer >= 1, got 2.5"),
        ("CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 10, "T_mult": 0}, "T_mult must be an integer >= 1"),
        ("CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 10, "T_mult": 1.5}, "T_mult must be an integer >= 1"),
        ("ExponentialLR", {"lr": 0.1, "gamma": 0.0}, "gamma must be a number > 0, got 0.0"),
        ("StepLR", {"lr": -0.1, "step_size": 3}, "StepLR: lr must be a finite number >= 0, got -0.1"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 100, "pct_start": 1.5}, "pct_start must be a number in [0, 1]"),
        (
            "OneCycleLR",
            {"max_lr": 0.1},
            "OneCycleLR: total_steps must be given, or both epochs and steps_per_epoch, got None",
        ),
        (
            "OneCycleLR",
            {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.1},
            "pct_start must be a fraction that leaves no phase of the 10 steps empty",
        ),
        (
            "OneCycleLR",
            {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "cosine"},
            "anneal_strategy must be one of",
        ),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "mode": "triangle"}, "mode must be one of 'triangular'"),
        ("ConstantLR", {"lr": 0.1, "factor": 1.5}, "factor must be a number in (0, 1]"),
        ("LinearLR", {"lr": 0.1, "start_factor": 0.0}, "start_factor must be a number in (0, 1]"),
        ("MultiStepLR", {"lr": 0.1, "milestones": 30}, "milestones must be a list"),
        ("ReduceLROnPlateau", {"lr": 0.1, "factor": 1.0}, "factor must be a number in [0, 1)"),
        ("ReduceLROnPlateau", {"lr": 0.1, "mode": "mean"}, "mode must be one of 'min', 'max'"),
        ("ReduceLROnPlateau", {"lr": 0.1, "threshold_mode": "relative"}, "threshold_mode must be one of"),
        ("LambdaLR", {"lr": 0.1, "lr_lambda": lambda e: 1.0 if e < 3 else 0.1}, "must be traceable by JAX"),
        ("LambdaLR", {"lr": 0.1, "lr_lambda": 0.5}, "lr_lambda must be a function"),
    ],
)
def test_bad_arguments_raise_config_error(name, kwargs, message):
    with pytest.raises(ConfigError) as err:
        S.by_name(name, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_composition_errors():
    step = S.step_lr(0.1, 10)
    with pytest.raises(
        ConfigError,
        match=r"SequentialLR: milestones must be a list one shorter than schedulers \(2 schedulers\), got \[5, 10\]",
    ):
        S.sequential_lr([step, step], [5, 10])
    with pytest.raises(ConfigError, match="non-decreasing"):
        S.sequential_lr([step, step, step], [10, 5])
    with pytest.raises(ConfigError, match=r"schedulers\[0\] must be a count-based schedule .*, got ReduceLROnPlateau"):
        S.sequential_lr([S.reduce_lr_on_plateau(0.1), step], [5])
    with pytest.raises(ConfigError, match=r"schedulers\[1\] must be a count-based schedule .*, got ReduceLROnPlateau"):
        S.chained_scheduler([step, S.reduce_lr_on_plateau(0.1)])
    with pytest.raises(ConfigError, match="non-empty list"):
        S.chained_scheduler([])


# --- plot and CLI ---------------------------------------------------------------------------------------


def test_plot_schedules_one_axes_and_grid():
    curves = {"step": S.step_lr(0.1, 10), "cos": S.cosine_annealing_lr(0.1, 20), "values": np.linspace(0.1, 0, 50)}
    fig = plot_schedules(curves, 50)
    assert isinstance(fig, Figure) and len(fig.axes) == 1 and len(fig.axes[0].lines) == 3
    assert [line.get_label() for line in fig.axes[0].lines] == list(curves)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata()[:12], jax_run(curves["step"], 11), rtol=1e-6)
    grid = plot_schedules(curves, 50, grid=True)
    drawn = [ax for ax in grid.axes if ax.lines]
    assert len(drawn) == 3 and all(len(ax.lines) == 1 for ax in drawn)


def test_plot_rejects_wrong_length_values():
    with pytest.raises(ConfigError, match="50 values"):
        plot_schedules({"values": np.ones(10)}, 50)


def test_cli_writes_the_sgdr_png(tmp_path):
    out = tmp_path / "sgdr.png"
    argv = [
        "schedules",
        "CosineAnnealingWarmRestarts",
        "--lr",
        "0.1",
        "--T_0",
        "10",
        "--T_mult",
        "1",
        "--eta_min",
        "0.001",
        "--steps",
        "100",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_all_and_composites(tmp_path):
    assert main(["schedules", "all", "--steps", "40", "--out", str(tmp_path / "all.png")]) == 0
    seq = [
        "schedules",
        "SequentialLR",
        "--lr",
        "0.1",
        "--schedulers",
        "LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=55)",
        "--milestones",
        "5",
        "--steps",
        "60",
        "--out",
        str(tmp_path / "seq.png"),
    ]
    lam = ["schedules", "LambdaLR", "--lr", "0.1", "--lr_lambda", "0.95 ** epoch", "--out", str(tmp_path / "lam.png")]
    assert main(seq) == 0 and main(lam) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.png", "lam.png", "seq.png"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["Cosine", "--lr", "0.1"], "unknown scheduler 'Cosine'"),
        (["StepLR", "--lr", "0.1", "--step_size", "0"], "step_size must be an integer >= 1, got 0"),
        (["StepLR", "--lr", "0.1", "--step_size", "ten"], "step_size must be an integer >= 1, got 'ten'"),
        (["StepLR", "--lr", "0.1", "--step_size"], "--step_size needs a value"),
        (["StepLR", "--lr", "0.1", "--step_size", "3", "--steps", "0"], "--steps must be an integer >= 1"),
        (["StepLR", "0.1"], "expected --NAME VALUE"),
        (["LambdaLR", "--lr", "0.1", "--lr_lambda", "__import__('os')"], "lr_lambda"),
        (["SequentialLR", "--lr", "0.1", "--schedulers", "StepLR(step_size=)", "--milestones", "5"], "--schedulers"),
        (["all", "--lr", "0.1"], "'all' takes only --steps and --out"),
    ],
)
def test_cli_bad_arguments_exit_2_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "lr.png"
    assert main(["schedules", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
