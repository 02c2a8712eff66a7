"""Activations and their derivatives against torch, their plots, and ``jaxdl plot activations``."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from jaxdl import activations
from jaxdl.cli import main
from jaxdl.errors import ConfigError
from jaxdl.plots import plot_activation

ATOL32 = {"gelu": 1e-5}
"""Float32 GELU's derivative cancels in 1 + tanh(...) for x < -3: XLA and torch round it differently."""
GRID = np.concatenate([np.arange(-8.0, 8.0, 0.1), [0.0, -0.0, 1e-30, -1e-30, np.nan]]).astype(np.float32)
ALPHA = 0.1

TORCH = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "prelu": lambda x, alpha=ALPHA: torch.nn.functional.prelu(x, torch.tensor([alpha], dtype=x.dtype)),
    "gelu": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
    "elu": torch.nn.functional.elu,
}
JAX_GRADS = {
    "relu": activations.relu_grad,
    "sigmoid": activations.sigmoid_grad,
    "tanh": activations.tanh_grad,
    "prelu": lambda x: activations.prelu_grad(x, ALPHA),
    "gelu": lambda x: activations.derivative("gelu", x),
    "elu": lambda x: activations.derivative(activations.elu, x),
}


def torch_value_and_grad(name: str, x: np.ndarray, *args: float) -> tuple[np.ndarray, np.ndarray]:
    tx = torch.tensor(x, requires_grad=True)
    y = TORCH[name](tx, *args)
    y.backward(torch.ones_like(tx))
    return y.detach().numpy(), tx.grad.numpy()


def check_against_torch(name: str, x: np.ndarray, rtol: float, atol: float) -> None:
    args = (ALPHA,) if name == "prelu" else ()
    expected_y, expected_dy = torch_value_and_grad(name, x)
    y = activations.get_activation(name)(jnp.asarray(x), *args)
    assert y.dtype == x.dtype
    np.testing.assert_allclose(np.asarray(y), expected_y, rtol, atol)
    np.testing.assert_allclose(np.asarray(JAX_GRADS[name](jnp.asarray(x))), expected_dy, rtol, atol)
    np.testing.assert_allclose(np.asarray(activations.derivative(name, jnp.asarray(x), *args)), expected_dy, rtol, atol)


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_value_and_derivative_match_torch_float64(name):
    # GELU's 1 + tanh(...) cancels for x < -5, where XLA's and torch's float64 tanh differ by an ulp
    with jax.enable_x64(True):
        check_against_torch(name, GRID.astype(np.float64), rtol=1e-9, atol=1e-13 if name == "gelu" else 1e-15)


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_value_and_derivative_match_torch_float32(name):
    # XLA's and torch's float32 tanh differ by up to 4 ulps near ±1 (2.4e-7), and
    # tanh' = 1 - tanh² inherits that as an absolute error; float64 above is the tight check.
    check_against_torch(name, GRID, rtol=1e-6, atol=ATOL32.get(name, 1e-6))


def test_kinks_follow_torch_relu_zero_and_prelu_alpha():
    zero = np.zeros(1, np.float32)
    assert torch_value_and_grad("relu", zero)[1][0] == 0.0
    assert float(activations.relu_grad(jnp.zeros(1))[0]) == 0.0
    assert torch_value_and_grad("prelu", zero)[1][0] == pytest.approx(ALPHA)
    assert float(activations.prelu_grad(jnp.zeros(1), ALPHA)[0]) == pytest.approx(ALPHA)


def test_derivative_keeps_the_input_shape():
    x = jnp.linspace(-2.0, 2.0, 12).reshape(3, 4)
    dy = activations.derivative(activations.tanh, x)
    assert dy.shape == (3, 4)
    np.testing.assert_allclose(np.asarray(dy), np.asarray(1 - jnp.tanh(x) ** 2), rtol=1e-6, atol=1e-7)


def test_unknown_name_and_integer_input_raise():
    with pytest.raises(
        ConfigError,
        match=r"^unknown activation 'rleu' \(did you mean 'relu'\?\); expected one of relu, sigmoid, tanh, prelu, "
        r"gelu, elu$",
    ):
        activations.get_activation("rleu")
    with pytest.raises(ConfigError, match="derivative: x must be floats to differentiate at, got dtype int32"):
        activations.derivative("relu", jnp.arange(3))


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_plot_shows_function_and_derivative(name):
    fig = plot_activation(name)
    assert isinstance(fig, Figure)
    left, right = fig.axes
    x, y = left.lines[0].get_data()
    _, dy = right.lines[0].get_data()
    np.testing.assert_allclose(x, np.arange(-8.0, 8.0, 0.1), atol=1e-5)
    args = (activations.PRELU_INIT,) if name == "prelu" else ()
    expected_y, expected_dy = torch_value_and_grad(name, np.asarray(x, np.float32), *args)
    np.testing.assert_allclose(y, expected_y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dy, expected_dy, rtol=1e-6, atol=ATOL32.get(name, 1e-6))
    assert right.get_ylabel() == f"grad of {name}"


def test_plot_prelu_uses_alpha():
    _, y = plot_activation("prelu", alpha=0.5).axes[0].lines[0].get_data()
    assert y[0] == pytest.approx(-4.0)


def test_plot_unknown_name_raises():
    with pytest.raises(ConfigError, match="did you mean 'sigmoid'"):
        plot_activation("sigmod")


def test_cli_writes_one_png_per_activation(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["plot", "activations", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{name}.png" for name in activations.ACTIVATIONS)
    for path in out.iterdir():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.splitlines() == [str(out / f"{n}.png") for n in activations.ACTIVATIONS]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["plot", "activaton"], "did you mean 'activations'"),
        (["plot", "activations"], "--out is missing"),
        (["plot", "activations", "--names", "relu,sigmod"], "--names has 'sigmod'.*did you mean 'sigmoid'"),
        (["plot", "activations", "--names", " , "], "--names ' , ' is empty"),
        (["plot", "activations", "--alpha", "nan"], "--alpha 'nan' is not a finite number"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "figs"
    if "--out is missing" not in message:
        argv = [*argv, "--out", str(out)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("jaxdl plot: error: ")
    assert re.search(message, lines[0])
    assert not out.exists()


def test_cli_out_pointing_at_a_file_exits_2(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x")
    assert main(["plot", "activations", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "x"
