"""Inputs that predict cannot use are one line each, in the library and in ``jaxdl predict``, naming what is wrong."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest

import jaxdl
from jaxdl.errors import ConfigError
from jaxdl.models import MLP
from jaxdl.train import create_train_state
from tests.helpers import one_error_line, run_cli


@pytest.fixture(scope="module")
def state():
    return create_train_state(MLP(hidden=(16,)), optax.sgd(0.1), np.zeros((1, 8, 8, 1)), key=jax.random.key(0))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "run"
    assert run_cli(["train", "--epochs", "1", "--hidden", "8", "--out", str(out)]) == 0
    return out


def test_inputs_of_another_shape_blame_the_inputs_not_the_state(state):
    """An MLP flattens any input, so only the first kernel, whose shape follows the inputs, tells them apart."""
    with pytest.raises(ConfigError) as err:
        jaxdl.predict(state, MLP(hidden=(16,)), np.zeros((3, 5)))
    assert str(err.value) == (
        "predict: X must be examples of the shape the state was trained on (on examples of shape (5,) MLP needs "
        "params/Linear_0/kernel of shape (5, 16), the state holds shape (64, 16)), got shape (3, 5)"
    )


def test_a_ragged_list_is_one_line(state):
    with pytest.raises(ConfigError, match=r"^predict: X must be a rectangular array of numbers, got .*inhomogeneous"):
        jaxdl.predict(state, MLP(hidden=(16,)), [[0.0] * 64, [0.0] * 63])


def test_an_empty_batch_is_refused(state):
    with pytest.raises(ConfigError) as err:
        jaxdl.predict(state, MLP(hidden=(16,)), np.zeros((0, 8, 8, 1)))
    assert str(err.value) == "predict: X must be at least one example, got shape (0, 8, 8, 1)"


def test_a_nan_image_gets_no_class(state):
    X = np.zeros((3, 8, 8, 1))
    X[1] = np.nan
    with pytest.raises(ConfigError) as err:
        jaxdl.predict(state, MLP(hidden=(16,)), X)
    assert str(err.value) == "predict: X must be finite numbers, got NaN/inf in 1 example(s), first example 1"
    with pytest.raises(ConfigError, match="NaN/inf in 1 example"):
        jaxdl.predict(state, MLP(hidden=(16,)), X[1])


def test_a_state_of_another_model_blames_the_state_not_the_inputs(state):
    with pytest.raises(ConfigError) as err:
        jaxdl.predict(state, MLP(hidden=(32,)), np.zeros((2, 8, 8, 1)))
    assert str(err.value) == (
        "predict: state_or_variables must be the variables of this MLP, which needs params/Linear_0/bias of shape "
        "(32,) (was the state trained with another model?), got shape (16,)"
    )
    with pytest.raises(ConfigError, match=r"needs params/Linear_0/bias of shape \(32,\)"):
        jaxdl.predict(state, MLP(hidden=(32,)), np.zeros((2, 8, 8, 1)), input_shape=(8, 8, 1))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: np.save(d / "x.npy", np.array(["a", "bc"])), "x.npy: an array of <U2 values, not real numbers"),
        (lambda d: np.save(d / "x.npy", np.ones(64, np.complex64)), "x.npy: an array of complex64 values, not real"),
        (lambda d: np.save(d / "x.npy", np.zeros((0, 64))), "x.npy: an empty array of shape (0, 64)"),
        (lambda d: np.save(d / "x.npy", np.full(64, np.nan)), "x.npy: 64 NaN/inf values: expected finite numbers"),
        (lambda d: (d / "x.npy").mkdir(), "input '{d}/x.npy' is a folder: expected a .npy, .csv, .png"),
    ],
    ids=["text", "complex", "empty", "nan", "folder"],
)
def test_cli_inputs_that_are_not_examples_are_one_line(run_dir, tmp_path, capsys, make, message):
    make(tmp_path)
    assert run_cli(["predict", "--run", str(run_dir), str(tmp_path / "x.npy")]) == 2
    assert message.format(d=tmp_path) in one_error_line(capsys)


def test_a_csv_row_is_never_dropped_and_a_non_utf8_file_is_one_line(run_dir, tmp_path, capsys):
    row = ",".join(["0"] * 64)
    (tmp_path / "header.csv").write_text(",".join(f"p{i}" for i in range(64)) + f"\n{row}\n{row}\n")
    assert run_cli(["predict", "--run", str(run_dir), str(tmp_path / "header.csv")]) == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if "header.csv[" in line]) == 2
    (tmp_path / "blank.csv").write_text(",".join(["0"] * 63) + ",\n" + row + "\n")  # a hole, not a header
    assert run_cli(["predict", "--run", str(run_dir), str(tmp_path / "blank.csv")]) == 2
    assert "blank.csv: expected rows of numbers of equal length" in one_error_line(capsys)
    (tmp_path / "latin.csv").write_bytes(("é," + row + "\n").encode("latin-1"))
    assert run_cli(["predict", "--run", str(run_dir), str(tmp_path / "latin.csv")]) == 2
    assert one_error_line(capsys).endswith("latin.csv: not UTF-8 text: save it as a UTF-8 CSV file.")


def test_an_image_without_its_channel_axis_is_one_example(run_dir, tmp_path, capsys):
    image = np.random.default_rng(0).uniform(size=(8, 8)).astype(np.float32)  # like sklearn's digits.images[0]
    np.save(tmp_path / "plain.npy", image)
    np.save(tmp_path / "channel.npy", image[..., None])
    assert run_cli(["predict", "--run", str(run_dir), str(tmp_path / "plain.npy"), str(tmp_path / "channel.npy")]) == 0
    plain, channel = [line.split(":", 1)[1] for line in capsys.readouterr().out.splitlines() if ".npy" in line]
    assert plain == channel
