"""jaxdl.predict: the test-time forward pass (BN statistics, no dropout), one example, uint8, original units."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdl
from jaxdl import data, models
from jaxdl.errors import ConfigError
from jaxdl.train import create_train_state, fit
from tests.helpers import jaxdl_process


@pytest.fixture(scope="module")
def trained():
    ds = data.load("digits")
    model = models.MLP(hidden=(32,), num_classes=10, dropout=0.5, batch_norm=True)
    result = fit(model, ds, optimizer=optax.sgd(0.1), epochs=2, batch_size=128, seed=0)
    return ds, model, result.state


def test_predict_equals_the_test_time_forward_pass_of_a_batch_norm_dropout_mlp(trained):
    ds, model, state = trained
    X = np.asarray(ds.test[0])
    assert jnp.abs(state.batch_stats["BatchNorm_0"]["mean"]).sum() > 0  # running statistics were learned
    variables = {"params": state.params, "batch_stats": state.batch_stats}
    expected = jax.jit(lambda v, x: model.apply(v, x, train=False))(variables, X)  # the same compiled pass
    training_pass = model.apply(variables, X, train=True, rngs={"dropout": jax.random.key(1)}, mutable=["batch_stats"])[
        0
    ]
    assert not np.allclose(training_pass, expected, atol=1e-3)  # dropout and batch statistics matter
    values = jaxdl.predict(state, model, X, output="values", batch_size=len(X))
    np.testing.assert_array_equal(values, np.asarray(expected))
    np.testing.assert_array_equal(jaxdl.predict(state, model, X), np.asarray(expected).argmax(axis=-1))
    probs = jaxdl.predict(state, model, X, output="probabilities", batch_size=len(X))
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-6)


def test_predict_in_batches_covers_every_example_once(trained):
    ds, model, state = trained
    X = np.asarray(ds.test[0])
    whole = jaxdl.predict(state, model, X, output="values", batch_size=len(X))
    batched = jaxdl.predict(state, model, X, output="values", batch_size=100)  # 360 = 3 x 100 + 60 padded
    assert batched.shape == whole.shape
    np.testing.assert_allclose(batched, whole, rtol=1e-6, atol=1e-6)


def test_one_example_needs_no_batch_axis_and_uint8_is_scaled_as_in_training(trained):
    ds, model, state = trained
    X = np.asarray(ds.test[0])
    classes = jaxdl.predict(state, model, X[:4])
    assert jaxdl.predict(state, model, X[0]).shape == ()
    assert int(jaxdl.predict(state, model, X[0])) == classes[0]
    as_uint8 = np.round(X[:4] * 255).astype(np.uint8)
    np.testing.assert_allclose(
        jaxdl.predict(state, model, as_uint8, output="values"),
        jaxdl.predict(state, model, as_uint8 / 255.0, output="values"),
        rtol=1e-6,
    )


def test_a_users_module_without_task_or_train_argument_predicts():
    class Tiny(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(3)(x.reshape(x.shape[0], -1))

    model = Tiny()
    variables = model.init(jax.random.key(0), jnp.ones((1, 4)))
    X = np.arange(8, dtype=np.float32).reshape(2, 4)
    expected = np.asarray(model.apply(variables, X)).argmax(axis=-1)
    np.testing.assert_array_equal(jaxdl.predict(variables, model, X), expected)
    np.testing.assert_array_equal(jaxdl.predict(variables["params"], model, X), expected)


def test_regression_values_come_back_in_original_units():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) * 100 + 1000).astype(np.float32)
    ds = data.standardize(data.from_arrays(X[:48], y[:48], X[48:], y[48:], regression=True), targets=True)
    model = models.LinearRegression()
    state = create_train_state(model, optax.sgd(0.1), jnp.ones((1, 3)), key=jax.random.key(0))
    Xs = np.asarray(ds.test[0])
    scaled = np.asarray(model.apply({"params": state.params}, Xs))
    values = jaxdl.predict(state, model, Xs, data=ds)
    np.testing.assert_allclose(values, scaled * ds.target_standardizer.std + ds.target_standardizer.mean, rtol=1e-6)
    with pytest.raises(
        ConfigError, match="predict: output must be 'values' for LinearRegression, a regressor, got 'classes'"
    ):
        jaxdl.predict(state, model, Xs, output="classes")


def test_bad_arguments_are_one_line(trained):
    ds, model, state = trained
    with pytest.raises(ConfigError, match="output"):
        jaxdl.predict(state, model, ds.test[0], output="logits")
    with pytest.raises(ConfigError, match=r"predict: X must be .*, got shape \(3, 5\)"):
        jaxdl.predict(state, model, np.zeros((3, 5)))
    with pytest.raises(ConfigError, match=r"^predict: X must be real numbers, got dtype complex64$"):
        jaxdl.predict(state, model, ds.test[0].astype(np.complex64))


def test_cli_predict_in_a_fresh_process_matches_the_training_process(tmp_path):
    import json
    import subprocess
    import sys

    from PIL import Image

    from jaxdl.cli import main

    out = tmp_path / "run"
    assert (
        main(["train", "--epochs", "5", "--batch-norm", "--dropout", "0.2", "--hidden", "32", "--out", str(out)]) == 0
    )
    trained_acc = json.loads((out / "metrics.json").read_text())["history"]["test_acc"][-1]
    X, y = (np.asarray(a) for a in data.load("digits").test)
    np.save(tmp_path / "test.npy", X)
    Image.fromarray(np.round(X[0, :, :, 0] * 255).astype(np.uint8)).save(tmp_path / "first.png")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jaxdl.cli",
            "predict",
            "--run",
            str(out),
            str(tmp_path / "test.npy"),
            str(tmp_path / "first.png"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(X) + 1 and lines[0] == f"{tmp_path / 'test.npy'}[0]: {lines[0].split(': ')[1]}"
    classes = np.array([int(line.rsplit(": ", 1)[1]) for line in lines[:-1]])  # digits' names are 0..9
    assert (classes == y).mean() == pytest.approx(trained_acc, abs=1e-6)
    assert lines[-1] == f"{tmp_path / 'first.png'}: {classes[0]}"


def test_cli_predict_bad_input_is_one_line(tmp_path, capsys):
    from jaxdl.cli import main

    out = tmp_path / "run"
    assert main(["train", "--epochs", "1", "--hidden", "8", "--out", str(out)]) == 0
    capsys.readouterr()
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["predict", "--run", str(out), str(tmp_path / "notes.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown file type .txt" in err


def test_a_lenet_run_on_8x8_digits_predicts_8x8_inputs_as_it_was_evaluated(tmp_path):
    """The run resized digits to LeNet's 28×28 inside training; load_model carries that resize to predict."""
    import json

    from jaxdl.checkpoint import load_model

    out = tmp_path / "run"
    lenet = ["--model", "lenet", "--activation", "relu", "--optimizer", "adam", "--lr", "3e-3", "--batch-size", "64"]
    jaxdl_process(["train", *lenet, "--epochs", "2", "--out", str(out)], tmp_path)  # test_lenet.py's compiled run
    trained_acc = json.loads((out / "metrics.json").read_text())["history"]["test_acc"][-1]
    loaded = load_model(out)
    X, y = (np.asarray(a) for a in data.load("digits").test)
    assert loaded.input_shape == (8, 8, 1) and loaded.transform is not None
    classes = jaxdl.predict(loaded, loaded.model, X)
    assert (classes == y).mean() == pytest.approx(trained_acc, abs=1e-6)
    assert jaxdl.predict(loaded, loaded.model, X[3]) == classes[3]
