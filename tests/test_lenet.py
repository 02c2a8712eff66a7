"""LeNet-5: torch parity (parameter count, layer shapes, forward pass), torch init, CLI training on digits."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from torch import nn

from jaxdl import data
from jaxdl.cli import main
from jaxdl.errors import ConfigError
from jaxdl.models import MODELS, LeNet, build_model
from tests.helpers import jaxdl_process

X = jax.random.uniform(jax.random.key(1), (4, 28, 28, 1))


def torch_lenet(act=nn.Sigmoid):
    """d2l ch. 7.6's LeNet, verbatim."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2),
        act(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5),
        act(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        act(),
        nn.Linear(120, 84),
        act(),
        nn.Linear(84, 10),
    )


def conv(m: nn.Conv2d) -> dict:
    return {"kernel": m.weight.detach().permute(2, 3, 1, 0).numpy(), "bias": m.bias.detach().numpy()}


def dense(m: nn.Linear) -> dict:
    return {"kernel": m.weight.detach().T.numpy(), "bias": m.bias.detach().numpy()}


def params_from_torch(net: nn.Sequential) -> dict:
    """Copy torch weights into LeNet's params (OIHW → HWIO; fc1 rows from (C, H, W) to (H, W, C) order)."""
    fc1 = dense(net[7])
    fc1["kernel"] = fc1["kernel"].reshape(16, 5, 5, 120).transpose(1, 2, 0, 3).reshape(400, 120)
    return {"conv1": conv(net[0]), "conv2": conv(net[3]), "fc1": fc1, "fc2": dense(net[9]), "fc3": dense(net[11])}


def test_parameter_count_and_shapes_equal_torch():
    params = LeNet().init(jax.random.key(0), X[:1])["params"]
    ours = sum(p.size for p in jax.tree.leaves(params))
    theirs = sum(p.numel() for p in torch_lenet().parameters())
    assert ours == theirs == 61706
    torch_shapes = [tuple(p.shape) for p in torch_lenet().parameters()]
    ours_shapes = jax.tree.map(lambda p: p.shape, params_from_torch(torch_lenet()))
    assert jax.tree.map(lambda p: p.shape, params) == ours_shapes
    assert torch_shapes[0] == (6, 1, 5, 5) and params["conv1"]["kernel"].shape == (5, 5, 1, 6)


def test_layer_output_shapes_equal_torch():
    net = torch_lenet()
    shapes, t = [], torch.tensor(np.asarray(X)).permute(0, 3, 1, 2)
    for layer in net:
        t = layer(t)
        shapes.append(tuple(t.shape))
    model = LeNet()
    _, state = model.apply(model.init(jax.random.key(0), X), X, capture_intermediates=True, mutable=["intermediates"])
    inter = state["intermediates"]
    for name, torch_index, shape in (("conv1", 0, (4, 6, 28, 28)), ("conv2", 3, (4, 16, 10, 10))):
        n, h, w, c = inter[name]["__call__"][0].shape
        assert (n, c, h, w) == shapes[torch_index] == shape
    assert inter["fc1"]["__call__"][0].shape == shapes[7] == (4, 120)
    assert inter["fc2"]["__call__"][0].shape == shapes[9] == (4, 84)
    assert inter["fc3"]["__call__"][0].shape == shapes[11] == (4, 10)


@pytest.mark.parametrize("activation, act", [("sigmoid", nn.Sigmoid), ("relu", nn.ReLU)])
def test_forward_equals_torch_with_the_same_weights(activation, act):
    torch.manual_seed(0)
    net = torch_lenet(act)
    theirs = net(torch.tensor(np.asarray(X)).permute(0, 3, 1, 2)).detach().numpy()
    ours = LeNet(activation=activation).apply({"params": params_from_torch(net)}, X)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_init_is_torch_default_uniform():
    params = LeNet().init(jax.random.key(3), X[:1])["params"]
    for name, fan_in in (("conv1", 25), ("conv2", 150), ("fc1", 400), ("fc3", 84)):
        bound = 1 / np.sqrt(fan_in)
        for leaf in ("kernel", "bias"):
            values = np.abs(np.asarray(params[name][leaf]))
            assert values.max() <= bound
        assert np.abs(np.asarray(params[name]["kernel"])).max() > 0.9 * bound


def test_registered_and_rejects_bad_configs():
    model = build_model("lenet", data.load("digits"), activation="relu")
    assert "lenet" in MODELS and model == LeNet(10, activation="relu")
    with pytest.raises(
        ConfigError, match=r"LeNet: x must be images .* H, W >= 12 .*resize.*, got shape \(2, 8, 8, 1\)"
    ):
        LeNet().init(jax.random.key(0), jnp.zeros((2, 8, 8, 1)))
    with pytest.raises(ConfigError, match="did you mean 'relu'"):
        LeNet(activation="rellu")
    with pytest.raises(ConfigError, match="LeNet: num_classes must be an integer >= 2, got 1"):
        LeNet(num_classes=1)


def test_cli_rejects_lenet_on_tabular_data(capsys, tmp_path):
    assert (
        main(["train", "--dataset", "diabetes", "--model", "lenet", "--epochs", "1", "--out", str(tmp_path / "r")]) == 2
    )
    assert "build_model: ds must be an image classification dataset for model 'lenet', got 'diabetes'" in (
        capsys.readouterr().err
    )


def test_cli_lenet_trains_on_digits_resized_to_28(tmp_path):
    out = tmp_path / "lenet"
    argv = [
        "train",
        "--dataset",
        "digits",
        "--model",
        "lenet",
        "--activation",
        "relu",
        "--optimizer",
        "adam",
        "--lr",
        "3e-3",
        "--batch-size",
        "64",
        "--epochs",
        "10",
        "--out",
        str(out),
    ]
    jaxdl_process(argv, tmp_path)
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert history["test_acc"][-1] >= 0.95
    assert history["test_acc"][0] < history["test_acc"][-1]
