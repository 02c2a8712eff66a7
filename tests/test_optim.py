"""jaxdl.optim against torch.optim: same MLP, same batches, same parameter trajectory."""

from __future__ import annotations

import functools
import inspect
import itertools
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

from jaxdl import optim
from jaxdl.errors import ConfigError
from tests.helpers import N_BATCHES, mlp_problem, torch_trajectory

STEPS = 200


def _jax_loss(p, x, y):
    logits = jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def _jax_trajectories(txs, dtype):
    """Parameters after every update for each transform, leaves stacked to (STEPS, *shape).

    All transforms run in one jitted program (one compilation instead of one each).
    """
    x, y, params = mlp_problem(0)
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, jnp.int32)
    params = {k: jnp.asarray(v, dtype) for k, v in params.items()}

    def run(tx, params):
        def step(carry, i):
            p, s = carry
            g = jax.grad(_jax_loss)(p, x[i % N_BATCHES], y[i % N_BATCHES])
            u, s = tx.update(g, s, p)
            p = optax.apply_updates(p, u)
            return (p, s), p

        return jax.lax.scan(step, (params, tx.init(params)), jnp.arange(STEPS))[1]

    trajectories = jax.jit(lambda p: [run(tx, p) for tx in txs])(params)
    return [{k: np.asarray(v) for k, v in t.items()} for t in trajectories]


def _assert_same(ours, theirs, rtol):
    """Every element of every parameter at every step agrees to ``rtol`` (no atol)."""
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=rtol, atol=0, err_msg=k)


def _assert_close_per_step(ours, theirs, rtol):
    """At every step, each parameter's error norm is below ``rtol`` times its norm."""
    for k in theirs:
        axes = tuple(range(1, theirs[k].ndim))
        err = np.linalg.norm(ours[k] - theirs[k], axis=axes)
        assert np.all(err <= rtol * np.linalg.norm(theirs[k], axis=axes)), (k, err.max())


def _rel_gap(ours, theirs):
    return max(float(np.linalg.norm(ours[k] - theirs[k]) / np.linalg.norm(theirs[k])) for k in theirs)


def _step_decay(lr):
    return lambda count: lr * 0.5 ** (count // 50)


def _torch_step_decay(epoch):
    return 0.5 ** (epoch // 50)


TORCH = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}
CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 0.1, "weight_decay": 0.05}),
    ("sgd", {"lr": 0.1, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.01, "maximize": True}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-3}),
    ("adagrad", {"lr": 0.1, "weight_decay": 0.05, "maximize": True}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9}),
    ("rmsprop", {"lr": 0.01, "centered": True}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "alpha": 0.9, "eps": 1e-3}),
    ("rmsprop", {"lr": 0.01, "weight_decay": 0.05, "maximize": True}),
    ("adadelta", {}),
    ("adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4}),
    ("adadelta", {"weight_decay": 0.05, "maximize": True}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.01, "amsgrad": True}),
    ("adam", {"lr": 0.01, "weight_decay": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("adamw", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("adamw", {"lr": 0.01, "maximize": True}),
]
# float32 runs a subset (compile time): every optimizer, its options mostly combined.
FLOAT32_CASES = [3, 5, 7, 8, 9, 12, 13, 14, 17, 18, 20, 21, 23]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]
DTYPES = {"float64": (jnp.float64, torch.float64), "float32": (jnp.float32, torch.float32)}


def _default_lr(name):
    return inspect.signature(getattr(optim, name)).parameters["lr"].default


@functools.cache
def _jaxdl_runs(dtype, scheduled):
    """jaxdl trajectories of CASES (float64) or FLOAT32_CASES (float32), one compilation each."""
    txs = []
    for name, kwargs in CASES if dtype == "float64" else [CASES[c] for c in FLOAT32_CASES]:
        lr = kwargs.get("lr", _default_lr(name))
        txs.append(getattr(optim, name)(**dict(kwargs, lr=_step_decay(lr) if scheduled else lr)))
    with jax.enable_x64(dtype == "float64"):
        return _jax_trajectories(txs, DTYPES[dtype][0])


@functools.cache
def _torch_run(case, dtype="float64", scheduled=False):
    name, kwargs = CASES[case]
    schedule = _torch_step_decay if scheduled else None
    return torch_trajectory(TORCH[name], kwargs, DTYPES[dtype][1], schedule, seed=0, steps=STEPS)


@pytest.mark.parametrize("scheduled", [False, True], ids=["constant-lr", "step-decay-lr"])
@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_float64_trajectory_matches_torch(case, scheduled):
    mine, theirs = _jaxdl_runs("float64", scheduled)[case], _torch_run(case, "float64", scheduled)
    assert theirs["w1"].dtype == mine["w1"].dtype == np.float64
    start = mlp_problem(0)[2]
    assert max(np.abs(theirs[k][-1] - start[k]).max() for k in start) > 1e-2  # training moved
    _assert_same(mine, theirs, rtol=1e-8)


@pytest.mark.parametrize("scheduled", [False, True], ids=["constant-lr", "step-decay-lr"])
@pytest.mark.parametrize("case", FLOAT32_CASES, ids=[IDS[c] for c in FLOAT32_CASES])
def test_float32_trajectory_matches_torch(case, scheduled):
    mine = _jaxdl_runs("float32", scheduled)[FLOAT32_CASES.index(case)]
    theirs = _torch_run(case, "float32", scheduled)
    assert theirs["w1"].dtype == mine["w1"].dtype == np.float32
    _assert_close_per_step(mine, theirs, rtol=1e-5)


def test_float32_subset_covers_every_optimizer():
    assert {CASES[c][0] for c in FLOAT32_CASES} == set(TORCH)


def test_schedule_changes_the_trajectory():
    """The step-decay runs are not the constant-lr runs (so the schedule parity is not vacuous)."""
    for case in range(len(CASES)):
        const, decayed = _jaxdl_runs("float64", False)[case], _jaxdl_runs("float64", True)[case]
        np.testing.assert_allclose(const["w1"][:50], decayed["w1"][:50], rtol=1e-12, err_msg=IDS[case])
        assert _rel_gap(const, decayed) > 1e-4, IDS[case]


# ------------------------------------------- plain optax differs from torch; jaxdl does not


@functools.cache
def _optax_runs():
    """Float64 trajectories of plain optax aliases, named by the difference they show."""
    runs = {
        "adagrad": optax.adagrad(0.1),
        "rmsprop": optax.rmsprop(0.01),
        "rmsprop_torch_args": optax.rmsprop(0.01, decay=0.99, eps_in_sqrt=False),
        "adadelta": optax.adadelta(),
        "adamw": optax.adamw(0.01),
        "adamw_torch_decay": optax.adamw(0.01, weight_decay=1e-2),
        "amsgrad": optax.amsgrad(0.01),
    }
    with jax.enable_x64(True):
        return dict(zip(runs, _jax_trajectories(list(runs.values()), jnp.float64), strict=True))


def _case(name, kwargs):
    return CASES.index((name, kwargs))


def test_optax_adagrad_differs_from_torch():
    """optax: accumulator starts at 0.1, eps=1e-7 inside the sqrt; torch: 0 and 1e-10 outside."""
    case = _case("adagrad", {"lr": 0.1})
    theirs = _torch_run(case)
    assert _rel_gap(_optax_runs()["adagrad"], theirs) > 1e-3
    _assert_same(_jaxdl_runs("float64", False)[case], theirs, rtol=1e-8)
    g = jnp.array([0.5, -2.0])
    first = optax.adagrad(0.1).update(g, optax.adagrad(0.1).init(g))[0]
    np.testing.assert_allclose(first, -0.1 * g / jnp.sqrt(0.1 + g**2 + 1e-7), rtol=1e-6)


def test_optax_rmsprop_differs_from_torch():
    """optax: decay 0.9 and eps inside the sqrt; with decay=0.99, eps_in_sqrt=False it is torch's."""
    case = _case("rmsprop", {"lr": 0.01})
    theirs = _torch_run(case)
    assert _rel_gap(_optax_runs()["rmsprop"], theirs) > 1e-3
    _assert_same(_optax_runs()["rmsprop_torch_args"], theirs, rtol=1e-8)
    _assert_same(_jaxdl_runs("float64", False)[case], theirs, rtol=1e-8)


def test_optax_adadelta_without_lr_ascends():
    """optax.adadelta() (learning_rate=None) takes +delta: exactly torch's first step reversed."""
    case = _case("adadelta", {})
    theirs, start = _torch_run(case), mlp_problem(0)[2]
    ascending = _optax_runs()["adadelta"]
    for k in start:
        np.testing.assert_allclose(ascending[k][0] - start[k], start[k] - theirs[k][0], rtol=1e-8)
    assert _rel_gap(ascending, theirs) > 1e-3
    _assert_same(_jaxdl_runs("float64", False)[case], theirs, rtol=1e-8)


def test_optax_adamw_default_decay_differs_from_torch():
    """optax.adamw decays by 1e-4 by default, torch by 1e-2; with 1e-2 passed they agree."""
    case = _case("adamw", {"lr": 0.01})
    theirs = _torch_run(case)
    assert _rel_gap(_optax_runs()["adamw"], theirs) > 1e-4
    _assert_same(_optax_runs()["adamw_torch_decay"], theirs, rtol=1e-8)
    _assert_same(_jaxdl_runs("float64", False)[case], theirs, rtol=1e-8)


def test_optax_amsgrad_differs_from_torch():
    """optax takes the max of bias-corrected second moments; torch of raw ones, corrected after."""
    case = _case("adam", {"lr": 0.01, "amsgrad": True})
    theirs = _torch_run(case)
    assert _rel_gap(_optax_runs()["amsgrad"], theirs) > 1e-3
    _assert_same(_jaxdl_runs("float64", False)[case], theirs, rtol=1e-8)


def test_optax_adam_float32_bias_correction_differs_from_torch():
    """optax computes 1 - 0.999f**t in float32 (~1e-5 off); torch and jaxdl in effect in double.

    With eps=0 the first Adam step is exactly -lr * sign(g) in exact arithmetic.
    """
    g = np.array([-2.0, 0.5, 3.0], np.float32)
    p = torch.zeros(3, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1.0, eps=0.0, foreach=False)
    p.grad = torch.tensor(g)
    opt.step()
    theirs = p.detach().numpy()
    np.testing.assert_array_max_ulp(theirs, -np.sign(g), maxulp=2)

    def first_step(tx):
        return np.asarray(tx.update(jnp.asarray(g), tx.init(jnp.zeros(3)))[0])

    np.testing.assert_array_max_ulp(first_step(optim.adam(1.0, eps=0.0)), theirs, maxulp=2)
    off = first_step(optax.adam(1.0, eps=0.0))
    assert off.dtype == np.float32
    assert np.min(np.abs(off - theirs) / np.spacing(np.float32(1))) > 25  # ~6.6e-6 = 55 ulps


# ---------------------------------------------------------------- from-scratch pieces


def test_d2l_sgd_equals_optax_sgd():
    grads = {"w": jnp.array([[0.3, -1.2], [2.0, 0.5]]), "b": jnp.array([0.7, -0.1])}
    params = {"w": jnp.ones((2, 2)), "b": jnp.zeros(2)}
    ours, ref = optim.scratch_sgd(0.05), optax.sgd(0.05)
    s_ours, s_ref = ours.init(params), ref.init(params)
    for scale in (1.0, -0.5, 3.0):
        g = jax.tree.map(lambda x, s=scale: s * x, grads)
        u_ours, s_ours = ours.update(g, s_ours, params)
        u_ref, s_ref = ref.update(g, s_ref, params)
        for k in params:
            np.testing.assert_array_equal(u_ours[k], u_ref[k])
            np.testing.assert_allclose(u_ours[k], -0.05 * g[k], rtol=1e-7)


@pytest.mark.parametrize("tol", [1e-3, 1e-6])
def test_golden_section_finds_quadratic_minimum(x64, tol):
    f = lambda x: 3.0 * (x - 0.3) ** 2 + 1.0  # noqa: E731
    x = optim.golden_section(f, -1.0, 2.0, tol=tol)
    assert abs(float(x) - 0.3) <= tol
    jitted = jax.jit(lambda a, b: optim.golden_section(f, a, b, tol=tol))(-1.0, 2.0)
    assert abs(float(jitted) - 0.3) <= tol


def _ill_conditioned():
    """f(x) = 1/2 (x - x*)^T A (x - x*), A with eigenvalues 1 and 20 along rotated axes."""
    c, s = np.cos(0.4), np.sin(0.4)
    rot = np.array([[c, -s], [s, c]])
    a = jnp.asarray(rot @ np.diag([1.0, 20.0]) @ rot.T)
    x_star = jnp.array([1.0, -2.0])
    return (lambda x: 0.5 * (x - x_star) @ a @ (x - x_star)), x_star


def test_steepest_descent_converges_on_ill_conditioned_quadratic(x64):
    f, x_star = _ill_conditioned()
    x0 = jnp.array([4.0, 3.0])
    x, history, n = optim.steepest_descent(f, x0, eps=1e-6, max_iter=500)
    n = int(n)
    assert 2 < n < 500
    assert history.shape == (501, 2)
    np.testing.assert_array_equal(history[0], x0)
    np.testing.assert_array_equal(history[n], x)
    np.testing.assert_array_equal(history[n + 1 :], np.broadcast_to(x, (500 - n, 2)))
    assert float(jnp.linalg.norm(jax.grad(f)(x))) < 1e-6
    assert float(jnp.linalg.norm(x - x_star)) < 1e-6  # ||x - x*|| <= ||grad|| / smallest eigenvalue
    values = jax.vmap(f)(history[: n + 1])
    assert bool(jnp.all(jnp.diff(values) < 0))
    jitted = jax.jit(lambda x0: optim.steepest_descent(f, x0, eps=1e-6, max_iter=500))(x0)
    assert int(jitted.n_iter) == n
    np.testing.assert_allclose(jitted.history, history, rtol=1e-12, atol=1e-12)


def test_steepest_descent_stops_at_max_iter():
    f, _ = _ill_conditioned()
    x, history, n = optim.steepest_descent(f, jnp.array([4.0, 3.0]), max_iter=3)
    assert int(n) == 3 and history.shape == (4, 2)
    np.testing.assert_array_equal(history[3], x)
    assert float(jnp.linalg.norm(jax.grad(f)(x))) > 1e-6


# ---------------------------------------------------------------- by_name and validation


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("SGD", "sgd"),
        ("sgd", "sgd"),
        ("Adam", "adam"),
        ("ADAM", "adam"),
        ("AdamW", "adamw"),
        ("adamw", "adamw"),
        ("Adagrad", "adagrad"),
        ("RMSprop", "rmsprop"),
        ("rmsprop", "rmsprop"),
        ("Adadelta", "adadelta"),
        ("adadelta", "adadelta"),
    ],
)
def test_by_name_builds_the_named_optimizer(name, fn):
    params = {"w": jnp.array([0.5, -1.0, 2.0])}
    grads = {"w": jnp.array([0.1, 0.4, -0.3])}
    named = optim.by_name(name, lr=0.1, weight_decay=0.1)
    direct = getattr(optim, fn)(lr=0.1, weight_decay=0.1)
    s1, s2 = named.init(params), direct.init(params)
    for _ in range(2):
        u1, s1 = named.update(grads, s1, params)
        u2, s2 = direct.update(grads, s2, params)
        np.testing.assert_array_equal(u1["w"], u2["w"])


def test_by_name_unknown_optimizer_lists_valid_names():
    with pytest.raises(ConfigError) as err:
        optim.by_name("adma", lr=0.1)
    message = str(err.value)
    assert "'adma'" in message and "did you mean 'Adam" in message
    for valid in ("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"):
        assert valid in message
    with pytest.raises(ConfigError, match="expected one of"):
        optim.by_name(3)


def test_by_name_unknown_argument_names_valid_ones():
    with pytest.raises(ConfigError) as err:
        optim.by_name("SGD", lr=0.1, momentun=0.9)
    message = str(err.value)
    assert "momentun" in message and "did you mean 'momentum'" in message
    assert "lr, momentum, dampening, weight_decay, nesterov, maximize, foreach, differentiable, fused" in message
    with pytest.raises(ConfigError, match="LBFGS: unknown argument 'foreach'"):
        optim.by_name("LBFGS", foreach=True)


ALL_TORCH = {
    name: getattr(torch.optim, name)
    for name in ("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "ASGD")
    + ("Rprop", "Adafactor", "LBFGS")
}
SWITCHES = ("foreach", "capturable", "differentiable", "fused")


@pytest.mark.parametrize("name", list(ALL_TORCH))
def test_every_optimizer_has_its_torch_class_signature(name):
    """The same arguments in the same order and kinds, with the same defaults: kernel switches where torch has them."""
    theirs = list(inspect.signature(ALL_TORCH[name]).parameters.values())[1:]  # after params
    mine = list(inspect.signature(getattr(optim, name.lower())).parameters.values())
    assert [(p.name, p.kind, p.default) for p in mine] == [(p.name, p.kind, p.default) for p in theirs]


@pytest.mark.parametrize("name", list(ALL_TORCH))
def test_kernel_switches_are_accepted_where_torch_has_them_and_change_nothing(name):
    switches = [s for s in SWITCHES if s in inspect.signature(ALL_TORCH[name]).parameters]
    plain = optim.by_name(name, lr=0.5)
    for switch in switches:
        for value in (True, False, None):
            assert optim.by_name(name, lr=0.5, **{switch: value}) == plain
        with pytest.raises(ConfigError, match=f"^{name}: {switch} must be True, False or None .*, got 'yes'$"):
            optim.by_name(name, **{switch: "yes"})
    for switch in set(SWITCHES) - set(switches):
        with pytest.raises(ConfigError, match=f"^{name}: unknown argument '{switch}'"):
            optim.by_name(name, **{switch: False})


@pytest.mark.parametrize("name", [n for n in ALL_TORCH if n != "LBFGS"])
def test_every_optimizer_takes_its_float_arguments_as_arrays_with_the_same_numbers(name):
    """What fit does to an optimizer: its lr, momentum, eps, weight decay, ... move into the state as arrays."""
    params = inspect.signature(getattr(optim, name.lower())).parameters
    floats = {"lr": 0.05, "momentum": 0.5, "dampening": 0.25, "weight_decay": 0.01, "lr_decay": 0.1, "eps": 1e-3}
    given = {k: v for k, v in floats.items() if k in params and not isinstance(params[k].default, tuple)}
    tx = optim.by_name(name, **given)
    lifted = optim.float_args_as_arrays(tx)
    assert sorted(lifted.values) == sorted(given)
    p, g = {"w": jnp.array([0.5, -1.0, 2.0])}, {"w": jnp.array([0.1, 0.4, -0.3])}
    s1, s2 = tx.init(p), lifted.wrap(lifted.tx.init(p).inner)
    for _ in range(3):
        u1, s1 = tx.update(g, s1, p)
        u2, s2 = lifted.tx.update(g, s2, p)
        np.testing.assert_allclose(u1["w"], u2["w"], rtol=1e-6)
        p = optax.apply_updates(p, u1)


def test_a_recipe_is_the_call_that_rebuilds_and_compares_an_optimizer():
    tx = optim.adam(0.1, betas=(0.8, 0.9), foreach=True)
    assert tx.recipe.build is optim.adam and tx.recipe.args["betas"] == (0.8, 0.9) and "foreach" not in tx.recipe.args
    assert tx.recipe.rebuild() == tx == optim.adam(lr=0.1, betas=[0.8, 0.9])
    assert tx.recipe.rebuild(lr=0.2) == optim.adam(0.2, betas=(0.8, 0.9)) != tx
    assert optim.adamw(0.1) != optim.adam(0.1, weight_decay=1e-2, decoupled_weight_decay=True)
    a, b = optim.float_args_as_arrays(optim.sgd(0.1, momentum=0.9)), optim.float_args_as_arrays(optim.sgd(0.2, 0.5))
    assert a.tx == b.tx and a.tx.recipe.arrays == (("lr", "float"), ("momentum", "float"))
    assert a.tx.recipe.rebuild(**b.values) == optim.sgd(0.2, 0.5)
    assert optim.float_args_as_arrays(a.tx) is None


INVALID = [
    ("sgd", {"lr": -0.1}, "lr", "-0.1"),
    ("sgd", {"lr": 0.1, "momentum": -0.5}, "momentum", "-0.5"),
    ("sgd", {"lr": 0.1, "weight_decay": -1.0}, "weight_decay", "-1.0"),
    ("sgd", {"lr": 0.1, "nesterov": True}, "momentum", "0.0"),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "dampening", "0.1"),
    ("adagrad", {"lr_decay": -0.1}, "lr_decay", "-0.1"),
    ("adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value", "-1.0"),
    ("adagrad", {"eps": -1e-10}, "eps", "-1e-10"),
    ("rmsprop", {"alpha": -0.9}, "alpha", "-0.9"),
    ("rmsprop", {"momentum": -0.1}, "momentum", "-0.1"),
    ("rmsprop", {"eps": -1.0}, "eps", "-1.0"),
    ("adadelta", {"rho": 1.5}, "rho", "1.5"),
    ("adadelta", {"rho": -0.1}, "rho", "-0.1"),
    ("adadelta", {"lr": -1.0}, "lr", "-1.0"),
    ("adam", {"eps": -1e-8}, "eps", "-1e-08"),
    ("adam", {"betas": (1.0, 0.999)}, "betas[0]", "1.0"),
    ("adam", {"betas": (0.9, -0.1)}, "betas[1]", "-0.1"),
    ("adam", {"weight_decay": -0.01}, "weight_decay", "-0.01"),
    ("adamw", {"betas": (0.9, 1.0)}, "betas[1]", "1.0"),
    ("adamw", {"weight_decay": -0.01}, "weight_decay", "-0.01"),
]
OWNERS = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
}


@pytest.mark.parametrize(("name", "kwargs", "arg", "shown"), INVALID, ids=[f"{n}-{a}={v}" for n, _, a, v in INVALID])
def test_invalid_arguments_raise_like_torch(name, kwargs, arg, shown):
    with pytest.raises(ConfigError) as err:
        getattr(optim, name)(**kwargs)
    message = str(err.value)
    assert message.startswith(f"{OWNERS[name]}: {arg} must be ") and message.endswith(f", got {shown}")
    with pytest.raises(ValueError):
        TORCH[name]([torch.zeros(1, requires_grad=True)], **kwargs)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: optim.adam(lr="fast"), "schedule"),
        (lambda: optim.sgd(lr=jnp.asarray(-0.1)), "lr must be a finite number >= 0 or a schedule"),
        (lambda: optim.sgd(lr=jnp.ones(2)), "schedule"),
        (lambda: optim.adam(betas=(0.9,)), "pair"),
        (lambda: optim.scratch_sgd(-0.1), "scratch_sgd: lr must be a finite number >= 0, got -0.1"),
        (lambda: optim.scratch_sgd(jnp.asarray(-0.1)), "scratch_sgd: lr must be a finite number >= 0, got -0.1"),
        (lambda: optim.golden_section(jnp.square, 1.0, 1.0), "b must be greater than a=1.0"),
        (lambda: optim.golden_section(jnp.square, 0.0, 1.0, tol=0.0), "tol must be a number > 0, got 0.0"),
        (lambda: optim.steepest_descent(jnp.sum, jnp.ones((2, 2))), "shape (2, 2)"),
        (lambda: optim.steepest_descent(jnp.sum, jnp.ones(2), eps=-1.0), "eps must be a number > 0, got -1.0"),
        (lambda: optim.steepest_descent(jnp.sum, jnp.ones(2), max_iter=-1), "max_iter must be an integer >= 0, got -1"),
        (lambda: optim.steepest_descent(jnp.sum, jnp.ones(2), bracket=(1.0, 0.0)), "lo < hi"),
    ],
)
def test_other_mistakes_raise_config_error(call, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        call()


def test_weight_decay_without_params_raises_config_error():
    tx = optim.adamw(0.1)
    grads = {"w": jnp.ones(2)}
    with pytest.raises(ConfigError, match="AdamW.update: params must be the parameters, which weight_decay reads"):
        tx.update(grads, tx.init(grads))
    plain = optim.adam(0.1)
    assert plain.update(grads, plain.init(grads))[0]["w"].shape == (2,)


def test_lr_may_be_a_scalar_array_even_under_vmap():
    params, grads = {"w": jnp.array([0.5, -1.0])}, {"w": jnp.array([0.2, -0.4])}

    def first_update(lr):
        tx = optim.adam(lr, weight_decay=0.1)
        return tx.update(grads, tx.init(params), params)[0]["w"]

    rates = jnp.array([0.1, 0.01])
    np.testing.assert_array_equal(first_update(jnp.asarray(0.1)), first_update(0.1))
    expected = [first_update(0.1), first_update(0.01)]
    np.testing.assert_allclose(jax.vmap(first_update)(rates), expected, rtol=1e-6)
    d2l = jax.vmap(lambda lr: optim.scratch_sgd(lr).update(grads, optax.EmptyState())[0]["w"])(rates)
    np.testing.assert_allclose(d2l, -rates[:, None] * grads["w"], rtol=1e-6)


def test_optimizers_are_equal_exactly_when_built_from_equal_arguments():
    schedule = optax.constant_schedule(0.1)
    assert optim.sgd(lr=0.1, momentum=0.9) == optim.sgd(0.1, 0.9)
    assert hash(optim.adamw(lr=3e-4)) == hash(optim.by_name("AdamW", lr=3e-4))
    assert optim.sgd(lr=schedule) == optim.sgd(lr=schedule)
    different = [
        optim.sgd(lr=0.1, momentum=0.8),
        optim.sgd(lr=0.2, momentum=0.9),
        optim.rmsprop(lr=0.1, momentum=0.9),
        optim.sgd(lr=optax.constant_schedule(0.1), momentum=0.9),
        optax.sgd(0.1, momentum=0.9),
    ]
    for other in different:
        assert optim.sgd(lr=0.1, momentum=0.9) != other
    array_lr = optim.sgd(lr=jnp.asarray(0.1))
    assert array_lr == array_lr and array_lr != optim.sgd(lr=jnp.asarray(0.1))


SWEEPS = [
    (optim.sgd, {"lr": 0.1}, {"momentum": [0.0, 0.9], "dampening": [0.0, 0.3], "weight_decay": [0.0, 0.01]}),
    (optim.sgd, {"lr": 0.1, "nesterov": True}, {"momentum": [0.5, 0.9]}),
    (
        optim.adagrad,
        {"lr": 0.1},
        {"lr_decay": [0.0, 0.1], "initial_accumulator_value": [0.0, 0.5], "eps": [1e-10, 1e-3]},
    ),
    (
        optim.rmsprop,
        {"lr": 0.01, "centered": True},
        {"alpha": [0.9, 0.99], "momentum": [0.0, 0.5], "eps": [1e-8, 1e-3]},
    ),
    (optim.adadelta, {}, {"rho": [0.5, 0.9], "weight_decay": [0.0, 0.1]}),
    (optim.adamw, {"lr": 0.01, "amsgrad": True}, {"eps": [1e-8, 1e-3], "weight_decay": [0.0, 0.1]}),
]


@pytest.mark.parametrize(("make", "fixed", "swept"), SWEEPS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_numeric_argument_can_be_swept_as_an_array_under_vmap(make, fixed, swept):
    """vmap over array hyperparameters gives each setting's trajectory, Python 0s (parts left out) included.

    Tolerance: float32 rounds ``1 - alpha`` etc. differently for an array than for a Python number (a few ulps).
    """
    params = {"w": jnp.array([0.5, -1.0, 2.0])}
    grads = [{"w": jnp.sin(params["w"] * (i + 1)) + 0.1 * i} for i in range(4)]

    def trajectory(**hparams):
        tx, p = make(**fixed, **hparams), params
        state, out = tx.init(p), []
        for g in grads:
            u, state = tx.update(g, state, p)
            p = optax.apply_updates(p, u)
            out.append(p["w"])
        return jnp.stack(out)

    grid = [dict(zip(swept, combo, strict=True)) for combo in itertools.product(*swept.values())]
    stacked = {name: jnp.asarray([hp[name] for hp in grid], jnp.float32) for name in swept}
    swept_runs = jax.jit(jax.vmap(lambda hp: trajectory(**hp)))(stacked)
    for i, hp in enumerate(grid):
        np.testing.assert_allclose(swept_runs[i], trajectory(**hp), rtol=1e-6, atol=1e-6)
    assert float(jnp.abs(swept_runs[0] - swept_runs[-1]).max()) > 1e-3


def _bias_correction(b2, count):
    """``1 - b2**count`` as ``scale_by_torch_adam`` applies it at step ``count`` (an int32 array), float64.

    With ``b1=0``, ``eps=0`` and a gradient of 1 the update is ``sqrt(bc2 / nu)``; ``nu`` is in the state.
    """
    tx = optim.scale_by_torch_adam(b1=0.0, b2=b2, eps=0.0)

    def step(c):
        update, state = tx.update(jnp.ones(1), tx.init(jnp.zeros(1))._replace(count=c - 1))
        return update[0], state.nu[0]

    update, nu = jax.vmap(step)(count)
    return np.asarray(update, np.float64) ** 2 * np.asarray(nu, np.float64)


def test_swept_betas_are_float32_and_round_the_bias_correction_like_optax():
    count = jnp.arange(1, 2001, dtype=jnp.int32)
    exact = 1 - 0.999 ** np.arange(1, 2001, dtype=np.float64)
    swept = _bias_correction(jnp.asarray(0.999, jnp.float32), count)
    fixed = _bias_correction(0.999, count)
    assert np.abs(fixed / exact - 1).max() < 1e-6 < np.abs(swept / exact - 1).max() < 2e-5


def test_a_concrete_array_hyperparameter_is_checked_like_a_number():
    with pytest.raises(ConfigError, match=r"SGD: momentum must be a finite number >= 0, got -0.5"):
        optim.sgd(lr=0.1, momentum=jnp.asarray(-0.5))
    with pytest.raises(ConfigError, match=r"Adam: betas\[1\] must be a number in \[0, 1\), got 1.5"):
        optim.adam(betas=(0.9, np.float32(1.5)))
    with pytest.raises(ConfigError, match="dampening must be the number 0 with nesterov=True \\(it cannot be swept\\)"):
        optim.sgd(lr=0.1, momentum=0.9, nesterov=True, dampening=jnp.asarray(0.0))
    with pytest.raises(ConfigError, match=r"RMSprop: alpha must be a real number \(or a scalar array"):
        optim.rmsprop(alpha=jnp.ones(2))


@pytest.mark.parametrize("name", ["adam", "nadam", "radam", "adamax"])
def test_one_element_arrays_and_tensors_equal_the_scalar_case(name):
    fn = getattr(optim, name)
    p = {"w": jnp.array([1.0, -2.0])}
    want = fn(lr=0.1, betas=(0.8, 0.99)).update(p, fn().init(p), p)[0]["w"]
    for lr, beta in [
        (np.array([0.1]), jnp.array([0.8])),
        (torch.tensor([0.1], dtype=torch.float64), torch.tensor(0.8)),
    ]:
        tx = fn(lr=lr, betas=(beta, np.array([0.99])))
        np.testing.assert_allclose(tx.update(p, tx.init(p), p)[0]["w"], want, rtol=1e-6)


@pytest.mark.parametrize("name", ["sgd", "adam", "nadam", "rprop", "lbfgs"])
def test_lr_that_underflows_float32_is_one_line(name):
    with pytest.raises(ConfigError, match=r"lr must be 0 or at least 1.2e-38 \(smaller is 0 in float32.*got 1e-300$"):
        getattr(optim, name)(lr=1e-300)


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor", "LBFGS"])
def test_by_name_knows_the_new_optimizers_in_any_case(name):
    assert optim.by_name(name.lower()) == getattr(optim, name.lower())()
