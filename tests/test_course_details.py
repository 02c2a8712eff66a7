"""Small things a course student meets: per-layer dropout, channels-first arrays, a regressor's units, dark drawings."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdl
from jaxdl import data, models, optim
from jaxdl.errors import ConfigError
from jaxdl.train import create_train_state, fit


def test_per_layer_dropout_drops_each_hidden_layer_at_its_own_rate():
    model = models.MLP(hidden=(512, 512), num_classes=10, dropout=(0.0, 0.9))
    x = jnp.ones((4, 8))
    variables = model.init(jax.random.key(0), x)
    _, inter = model.apply(variables, x, train=True, rngs={"dropout": jax.random.key(1)}, capture_intermediates=True)
    dropped = {
        name: float((np.asarray(out["__call__"][0]) == 0).mean())
        for name, out in inter["intermediates"].items()
        if name.startswith("Dropout")
    }
    assert list(dropped) == ["Dropout_0"] and dropped["Dropout_0"] > 0.8  # no layer for rate 0
    assert models.MLP(hidden=(8, 8), dropout=[0.2, 0.5]).dropout == (0.2, 0.5)
    with pytest.raises(ConfigError, match=r"MLP: dropout must be one probability per hidden layer \(2: "):
        models.MLP(hidden=(8, 8), dropout=(0.5,))
    with pytest.raises(ConfigError, match=r"MLP: dropout must be probabilities in \[0, 1\), one per hidden layer, got"):
        models.MLP(hidden=(8, 8), dropout=(0.5, 1.0))


def test_per_layer_dropout_trains_like_d2l():
    ds = data.load("digits")
    model = models.MLP(hidden=(64, 64), dropout=(0.2, 0.5))
    r = fit(model, ds, optimizer=optim.sgd(lr=0.5), epochs=10, batch_size=64, verbose=0)
    assert r.history["test_acc"][-1] > 0.85


def test_channels_first_images_are_refused_with_the_transpose():
    nchw = np.zeros((6, 1, 28, 28), np.float32)
    with pytest.raises(ConfigError, match=r"looks channels-first .*X_train.transpose\(0, 2, 3, 1\)") as err:
        data.from_arrays(nchw, np.arange(6) % 2, nchw[:2], [0, 1])
    assert "\n" not in str(err.value)
    lenet = models.LeNet()
    variables = lenet.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)))
    with pytest.raises(ConfigError, match=r"LeNet: x must be channels-last .*x.transpose\(0, 2, 3, 1\), got shape"):
        lenet.apply(variables, jnp.asarray(nchw))
    assert data.from_arrays(nchw.transpose(0, 2, 3, 1), np.arange(6) % 2, nchw[:2].transpose(0, 2, 3, 1), [0, 1])


def test_dark_drawings_on_light_paper_warn_once_in_one_line():
    ds = data.load("digits")
    model = models.SoftmaxRegression(10)
    state = create_train_state(model, optim.sgd(lr=0.1), ds.train[0][:1], key=jax.random.key(0))
    X = np.asarray(ds.test[0][:5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jaxdl.predict(state, model, X, data=ds)  # the dataset's own images: no warning
    with pytest.warns(UserWarning, match=r"predict: 5 of 5 images are dark on a light background.*pass 1 - X") as got:
        jaxdl.predict(state, model, 1.0 - X)
    assert len(got) == 1 and "\n" not in str(got[0].message)


def test_a_loaded_regression_run_predicts_in_original_units_as_jaxdl_predict_does(tmp_path, capsys):
    from jaxdl.checkpoint import load_model
    from jaxdl.cli import main

    out = tmp_path / "run"
    assert main(["train", "--dataset", "diabetes", "--hidden", "8", "--epochs", "2", "--out", str(out)]) == 0
    raw = data.load_diabetes_raw()
    X, y = (np.asarray(a) for a in raw.test)
    np.save(tmp_path / "X.npy", X[:4])
    capsys.readouterr()
    assert main(["predict", "--run", str(out), str(tmp_path / "X.npy")]) == 0
    cli = [float(line.rsplit(": ", 1)[1]) for line in capsys.readouterr().out.splitlines()]
    loaded = load_model(out)
    values = jaxdl.predict(loaded, loaded.model, X[:4])
    assert values.shape == (4, 1)
    np.testing.assert_allclose(values[:, 0], cli, rtol=1e-5)
    ds = data.load("diabetes")
    scaled = jaxdl.predict(loaded.variables, loaded.model, np.asarray(ds.test[0][:4]))
    np.testing.assert_allclose(scaled * ds.target_standardizer.std + ds.target_standardizer.mean, values, rtol=1e-5)
    assert 25 < float(np.abs(values).mean()) < 350  # original units: disease progression 25 … 346
