"""jaxdl.schedules.reduce_lr_on_plateau against torch's ReduceLROnPlateau: same metrics, same rates."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

from jaxdl.schedules import PlateauState, reduce_lr_on_plateau

RTOL, ATOL = 1e-9, 1e-12


def loss_curve() -> np.ndarray:
    """1200 losses: descents, flat plateaus, noise, sub-threshold creeping, a NaN and a spike."""
    rng = np.random.default_rng(0)
    parts = [
        np.linspace(1.0, 0.5, 100),
        np.full(60, 0.5),
        np.linspace(0.5, 0.3, 40),
        0.3 + 0.01 * rng.standard_normal(200),
        0.29 * (1 - 5e-5) ** np.arange(150),  # improves by less than the default rel threshold
        np.full(50, 0.25),
        [np.nan, 5.0],
        0.25 - 2e-4 * np.arange(98),  # improves by more than 1e-4 absolute, less than 1e-3
        0.2 + 0.05 * rng.standard_normal(500),
    ]
    return np.concatenate(parts)


def torch_lrs(metrics: np.ndarray, lr: float, **kwargs) -> np.ndarray:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        sched.step(float(m))
        out.append(sched.get_last_lr()[0])
    return np.array(out)


def scanned_lrs(metrics: np.ndarray, lr: float, **kwargs) -> np.ndarray:
    plateau = reduce_lr_on_plateau(lr, **kwargs)
    run = jax.jit(lambda m: jax.lax.scan(plateau.step, plateau.init(), m)[1])
    return np.asarray(run(jnp.asarray(metrics)))


CONFIGS = [
    ("defaults", "loss", 0.1, {}),
    (
        "min-abs-cooldown-floor",
        "loss",
        0.1,
        dict(threshold=1e-3, threshold_mode="abs", patience=5, cooldown=3, min_lr=1e-4),
    ),
    ("max-rel", "acc", 1.0, dict(mode="max", patience=3, factor=0.5)),
    (
        "max-abs-floor",
        "acc",
        0.1,
        dict(mode="max", threshold=0.0, threshold_mode="abs", patience=0, cooldown=2, min_lr=0.01),
    ),
    ("eps-stops-reductions", "loss", 0.1, dict(patience=2, eps=0.05)),
    ("min-rel-large-threshold", "loss", 0.5, dict(threshold=0.05, patience=8, factor=0.3, cooldown=10)),
]


@pytest.mark.parametrize("metric, lr, kwargs", [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_scan_matches_torch(x64, metric, lr, kwargs):
    metrics = loss_curve() if metric == "loss" else 1.0 - loss_curve()
    expected = torch_lrs(metrics, lr, **kwargs)
    assert len(np.unique(expected)) >= 2  # the sequence really triggers reductions
    np.testing.assert_allclose(scanned_lrs(metrics, lr, **kwargs), expected, rtol=RTOL, atol=ATOL)


def test_python_loop_matches_torch_and_exposes_state(x64):
    metrics = loss_curve()[:300]
    kwargs = dict(patience=4, cooldown=2, min_lr=0.002)
    plateau = reduce_lr_on_plateau(0.1, **kwargs)
    state = plateau.init()
    assert isinstance(state, PlateauState) and float(state.lr) == 0.1 and float(state.best) == np.inf
    got = []
    step = jax.jit(plateau.step)
    for m in metrics:
        state, lr = step(state, m)
        got.append(float(lr))
        assert float(state.lr) == float(lr)
    np.testing.assert_allclose(got, torch_lrs(metrics, 0.1, **kwargs), rtol=RTOL, atol=ATOL)
    assert got[-1] == pytest.approx(0.002)


def test_reduces_on_patience_plus_one_bad_value():
    plateau = reduce_lr_on_plateau(1.0, patience=2)
    state, lrs = plateau.init(), []
    for m in [1.0, 1.0, 1.0, 1.0]:
        state, lr = plateau.step(state, m)
        lrs.append(float(lr))
    assert lrs == pytest.approx([1.0, 1.0, 1.0, 0.1])  # first value improves on inf; bad #3 reduces


def test_vmap_over_models_in_float32():
    metrics = np.stack([loss_curve()[:400], 1.0 + loss_curve()[200:600]]).astype(np.float32)
    plateau = reduce_lr_on_plateau(0.1, patience=5)
    run = jax.jit(jax.vmap(lambda m: jax.lax.scan(plateau.step, plateau.init(), m)[1]))
    got = np.asarray(run(jnp.asarray(metrics)))
    assert got.dtype == np.float32
    for row, m in zip(got, metrics, strict=True):
        np.testing.assert_allclose(row, torch_lrs(m, 0.1, patience=5), rtol=1e-6)


def test_optax_reduce_on_plateau_reduces_one_value_earlier(x64):
    metrics = np.concatenate([np.linspace(1.0, 0.5, 20), np.full(30, 0.5)])
    expected = torch_lrs(metrics, 0.1, patience=5)
    ours = scanned_lrs(metrics, 0.1, patience=5)
    transform = optax.contrib.reduce_on_plateau(factor=0.1, patience=5, rtol=1e-4, atol=0.0)

    def optax_step(state, m):
        _, state = transform.update(jnp.zeros(1), state, value=m)
        return state, 0.1 * state.scale

    theirs = jax.jit(lambda ms: jax.lax.scan(optax_step, transform.init(jnp.zeros(1)), ms)[1])(jnp.asarray(metrics))
    first_drop = lambda lrs: int(np.argmax(np.asarray(lrs) < 0.1 - 1e-12))  # noqa: E731
    assert first_drop(expected) == 25 and first_drop(theirs) == 24
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL)


def torch_warmup_then_plateau(metrics, lr, warmup_epochs, make_warmup, **kwargs):
    """PyTorch users' loop: ``warmup.step()`` for the first epochs, then ``plateau.step(metric)``."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    warmup = make_warmup(opt)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for epoch, m in enumerate(metrics):
        opt.step()  # no gradient: changes nothing, but steps in torch's order (optimizer, then scheduler)
        if epoch < warmup_epochs:
            warmup.step()
        else:
            plateau.step(float(m))
        out.append(opt.param_groups[0]["lr"])
    return opt, np.array(out)


@pytest.mark.parametrize("form", ["argument", "sequential"])
@pytest.mark.parametrize(
    "warmup_epochs, kwargs",
    [
        (5, dict(patience=3, factor=0.5)),
        (20, dict(patience=0)),
        (0, dict(patience=2, cooldown=3, mode="max")),
        (300, {}),
    ],
)
def test_warmup_then_plateau_matches_a_hand_stepped_torch_loop(x64, form, warmup_epochs, kwargs):
    from jaxdl.schedules import linear_lr, sequential_lr

    metrics = loss_curve()[:400]
    total = max(warmup_epochs, 1)
    _, expected = torch_warmup_then_plateau(
        metrics, 0.1, warmup_epochs, lambda o: torch.optim.lr_scheduler.LinearLR(o, 0.01, total_iters=total), **kwargs
    )
    warm = linear_lr(0.1, 0.01, total_iters=total)
    if form == "argument":
        p = reduce_lr_on_plateau(0.1, warmup=warm, warmup_epochs=warmup_epochs, **kwargs)
    else:
        p = sequential_lr([warm, reduce_lr_on_plateau(0.1, **kwargs)], milestones=[warmup_epochs])
    state = p.init()
    assert float(state.lr) == pytest.approx(0.1 * (0.01 if warmup_epochs else 1.0) if warmup_epochs else 0.001)
    step = jax.jit(p.step)
    got = []
    for m in metrics:
        state, lr = step(state, m)
        got.append(float(lr))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    assert int(state.count) == len(metrics)


def test_warmup_arguments_are_checked():
    from jaxdl.errors import ConfigError
    from jaxdl.schedules import linear_lr

    with pytest.raises(
        ConfigError, match=r"warmup must be a schedule with warmup_epochs=3, e.g. linear_lr\(...\), got None"
    ):
        reduce_lr_on_plateau(0.1, warmup_epochs=3)
    with pytest.raises(ConfigError, match="warmup_epochs must be the number of epochs"):
        reduce_lr_on_plateau(0.1, warmup=linear_lr(0.1))
    with pytest.raises(
        ConfigError, match=r"lr must be warmup's lr 0.2 \(both are the optimizer's base rate\), got 0.1"
    ):
        reduce_lr_on_plateau(0.1, warmup=linear_lr(0.2), warmup_epochs=5)
    with pytest.raises(ConfigError, match="warmup must be a jaxdl.schedules schedule"):
        reduce_lr_on_plateau(0.1, warmup=lambda c: 0.1, warmup_epochs=5)
