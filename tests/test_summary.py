"""jaxdl.models.summary: one row per layer with its output shape and parameter count, as torchinfo prints."""

import flax.linen as nn
import pytest

from jaxdl import models
from jaxdl.errors import ConfigError


def test_mlp_rows_match_torch_parameter_counts():
    text = models.summary(models.MLP(hidden=(32,), num_classes=10, batch_norm=True), (8, 8, 1))
    rows = {line.split()[0]: line.split() for line in text.splitlines()[2:-4]}
    assert rows["Linear_0"][1:] == ["Linear", "(N,", "32)", "2,080"]  # nn.Linear(64, 32): 64*32 + 32
    assert rows["BatchNorm_0"][-1] == "64"  # weight + bias
    assert rows["Linear_1"][-1] == "330"  # nn.Linear(32, 10)
    assert "Total params: 2,474" in text
    assert "Non-trainable (batch-norm statistics): 64" in text  # running mean + var


def test_a_users_cnn_without_train_argument():
    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Conv(4, (3, 3))(x))
            return nn.Dense(10)(x.reshape(x.shape[0], -1))

    text = models.summary(CNN(), (8, 8, 1))
    assert "(N, 8, 8, 4)" in text and "Total params: 2,610" in text  # 3*3*4+4 = 40; 256*10+10 = 2570


def test_bad_input_shape_is_one_line():
    with pytest.raises(ConfigError, match="input_shape"):
        models.summary(models.MLP(hidden=(8,)), "8x8")
