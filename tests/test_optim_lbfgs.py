"""jaxdl.optim.lbfgs against torch.optim.LBFGS: one update is one ``step(closure)``, float64.

PyTorch's own argument list (``optim_inputs_func_lbfgs``) on an L2-regularized softmax regression,
10 steps (26 to 200 L-BFGS iterations: most cases converge), every element to 1e-8 relative, and the same numbers of
iterations and loss evaluations. The strong-Wolfe search also runs on Rosenbrock's function, where
it brackets and zooms (more evaluations than iterations).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

from jaxdl import optim
from jaxdl.errors import ConfigError

STEPS = 10
RNG = np.random.default_rng(0)
X, Y = RNG.normal(size=(32, 5)), RNG.integers(0, 3, 32)
START = {"b": np.zeros(3), "w": RNG.normal(size=(5, 3)) * 0.5}
ROSEN_START = {"x": np.array([-1.5, 2.0, -0.5, 1.2])}


def _softmax_jax(p):
    logits = jnp.asarray(X) @ p["w"] + p["b"]
    return optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(Y)).mean() + 0.01 * jnp.sum(p["w"] ** 2)


def _softmax_torch(p):
    logits = torch.tensor(X) @ p["w"] + p["b"]
    return torch.nn.functional.cross_entropy(logits, torch.tensor(Y)) + 0.01 * (p["w"] ** 2).sum()


def _rosen(p):
    x = p["x"]
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _run_jaxdl(kwargs, loss, start):
    with jax.enable_x64(True):
        tx = optim.lbfgs(**kwargs)
        p = {k: jnp.asarray(v) for k, v in start.items()}
        step = jax.jit(lambda p, s: tx.update(jax.grad(loss)(p), s, p, value=loss(p), value_fn=loss))
        s, out = tx.init(p), []
        for _ in range(STEPS):
            u, s = step(p, s)
            p = optax.apply_updates(p, u)
            out.append({k: np.asarray(v) for k, v in p.items()})
        return out, int(s.n_iter), int(s.func_evals)


def _run_torch(kwargs, loss, start):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    opt = torch.optim.LBFGS(list(p.values()), **kwargs)

    def closure():
        opt.zero_grad()
        value = loss(p)
        value.backward()
        return value

    out = []
    for _ in range(STEPS):
        opt.step(closure)
        out.append({k: v.detach().numpy().copy() for k, v in p.items()})
    state = opt.state[next(iter(p.values()))]
    return out, state["n_iter"], state["func_evals"]


# optim_inputs_func_lbfgs(device="cpu") of torch 2.13, kwargs only (the tensor lr as a 1-element array).
TORCH_INPUTS = [{}, {"lr": 0.01}, {"lr": "tensor 0.001"}, {"tolerance_grad": 1e-6}, {"line_search_fn": "strong_wolfe"}]
PROBLEMS = {"softmax": (_softmax_jax, _softmax_torch, START), "rosenbrock": (_rosen, _rosen, ROSEN_START)}
CASES = [("softmax", kw) for kw in TORCH_INPUTS] + [
    ("rosenbrock", {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 5}),
    ("rosenbrock", {"line_search_fn": "strong_wolfe", "lr": 0.5}),
]


@pytest.mark.parametrize(("problem", "kwargs"), CASES, ids=[f"{p}-{k}" for p, k in CASES])
def test_lbfgs_matches_torch_step_for_step(problem, kwargs):
    jax_loss, torch_loss, start = PROBLEMS[problem]
    ours_kw, torch_kw = dict(kwargs), dict(kwargs)
    if kwargs.get("lr") == "tensor 0.001":
        ours_kw["lr"], torch_kw["lr"] = np.array([0.001]), torch.tensor([0.001], dtype=torch.float64)
    ours, n_iter, evals = _run_jaxdl(ours_kw, jax_loss, start)
    theirs, torch_iter, torch_evals = _run_torch(torch_kw, torch_loss, start)
    assert (n_iter, evals) == (torch_iter, torch_evals)
    assert n_iter >= 20  # every case runs past the first step's 20 iterations
    for mine, ref in zip(ours, theirs, strict=True):
        for k in ref:
            np.testing.assert_allclose(mine[k], ref[k], rtol=1e-8, atol=0, err_msg=k)
    if problem == "rosenbrock":
        assert evals > n_iter  # the line search bracketed and zoomed


def test_lbfgs_without_value_fn_says_it_is_a_full_batch_solver():
    tx = optim.lbfgs()
    p = {"w": jnp.zeros(2)}
    with pytest.raises(ConfigError, match="value_fn"):
        tx.update(p, tx.init(p), p)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"line_search_fn": "wolfe"}, "strong_wolfe"),
        ({"max_iter": 0}, "max_iter"),
        ({"lr": lambda c: 0.1}, "LBFGS: lr must be a number, not a schedule"),
        ({"lr": -1.0}, "LBFGS: lr must be a finite number >= 0, got -1.0"),
    ],
)
def test_lbfgs_bad_arguments_are_one_line(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        optim.lbfgs(**kwargs)


def test_by_name_builds_lbfgs_and_equal_arguments_compare_equal():
    assert optim.by_name("LBFGS", line_search_fn="strong_wolfe") == optim.lbfgs(line_search_fn="strong_wolfe")
    assert optim.lbfgs(lr=0.5) != optim.lbfgs(lr=1.0)
