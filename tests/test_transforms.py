"""On-device transforms: exact flips, torch parity for resize/pad/normalize, keys per step, one compile."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
import torch.nn.functional as F

from jaxdl import data, transforms
from jaxdl.callbacks import LambdaCallback
from jaxdl.errors import ConfigError
from jaxdl.models import SoftmaxRegression
from jaxdl.train import evaluate, fit, objective_for
from tests.helpers import compiled_programs

KEY = jax.random.key(0)


@pytest.fixture(scope="module")
def batch():
    return jax.random.uniform(jax.random.key(1), (64, 6, 5, 3))


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def nchw(x):
    return torch.tensor(np.asarray(x)).permute(0, 3, 1, 2)


def nhwc(t):
    return t.permute(0, 2, 3, 1).numpy()


def flipped_mask(before, after, axis):
    """(B,) True where an example was flipped along ``axis``; asserts every example is one or the other."""
    before, after = np.asarray(before), np.asarray(after)
    same = (after == before).all(axis=(1, 2, 3))
    flipped = (after == np.flip(before, axis=axis)).all(axis=(1, 2, 3))
    assert np.all(same ^ flipped)
    return flipped


@pytest.mark.parametrize("axis, torch_dim", [("horizontal", -1), ("vertical", -2)])
def test_p1_always_flips_like_torch_and_p0_never(batch, axis, torch_dim):
    always = transforms.random_flip(axis, p=1.0)(batch, key=KEY)
    np.testing.assert_array_equal(always, nhwc(nchw(batch).flip(torch_dim)))
    np.testing.assert_array_equal(transforms.random_flip(axis, p=0.0)(batch, key=KEY), batch)


def test_flip_twice_is_identity(batch):
    flip = transforms.random_flip("horizontal", p=0.5)
    np.testing.assert_array_equal(flip(flip(batch, key=KEY), key=KEY), batch)
    always = transforms.random_flip(1, p=1.0)
    np.testing.assert_array_equal(always(always(batch, key=KEY), key=jax.random.key(7)), batch)


def test_coin_flips_are_per_example_and_per_key(batch):
    flip = transforms.random_flip("horizontal", p=0.5)
    masks = [flipped_mask(batch, flip(batch, key=jax.random.key(k)), axis=2) for k in range(4)]
    assert all(0 < m.sum() < len(m) for m in masks)
    assert len({m.tobytes() for m in masks}) == 4
    big = jax.random.uniform(KEY, (4000, 2, 3, 1))
    rate = flipped_mask(big, transforms.random_flip("horizontal", p=0.3)(big, key=KEY), axis=2).mean()
    assert abs(rate - 0.3) < 0.03


@pytest.mark.parametrize("size", [(28, 28), (20, 13), (3, 2)])
def test_resize_matches_torch_bilinear_antialiased(batch, size):
    ours = transforms.resize(size)(batch, key=None)
    theirs = F.interpolate(nchw(batch), size=size, mode="bilinear", align_corners=False, antialias=True)
    np.testing.assert_allclose(ours, nhwc(theirs), atol=1e-6)


@pytest.mark.parametrize(
    "padding, torch_pad", [(2, (2, 2, 2, 2)), ((1, 3), (1, 1, 3, 3)), ((1, 2, 3, 4), (1, 3, 2, 4))]
)
@pytest.mark.parametrize("mode, torch_mode", [("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")])
def test_pad_matches_torch(batch, padding, torch_pad, mode, torch_mode):
    fill = 0.25 if mode == "constant" else 0.0
    ours = transforms.pad(padding, fill=fill, padding_mode=mode)(batch, key=None)
    kwargs = {"value": fill} if mode == "constant" else {}
    np.testing.assert_array_equal(ours, nhwc(F.pad(nchw(batch), torch_pad, mode=torch_mode, **kwargs)))


def test_normalize_per_channel_like_torchvision(batch):
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    theirs = (nchw(batch) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(transforms.normalize(mean, std)(batch, key=None), nhwc(theirs), rtol=1e-6)
    with pytest.raises(ConfigError, match=r"normalize: mean must be 1 or 3 values, one per channel, got \(0.1, 0.2\)"):
        transforms.normalize((0.1, 0.2), 1.0)(batch, key=None)


def test_compose_splits_keys_and_keeps_its_deterministic_part(batch):
    pipeline = transforms.compose(
        [transforms.pad(1), transforms.random_flip("vertical"), transforms.normalize(0.5, 0.5)]
    )
    assert pipeline.random and hash(pipeline) == hash(transforms.compose(list(pipeline.transforms)))
    assert pipeline.deterministic_part() == transforms.compose([transforms.pad(1), transforms.normalize(0.5, 0.5)])
    assert transforms.random_flip("horizontal").deterministic_part() == transforms.Identity()
    out = pipeline(batch, key=KEY)
    padded = (np.pad(np.asarray(batch), ((0, 0), (1, 1), (1, 1), (0, 0))) - 0.5) / 0.5
    mask = flipped_mask(padded, out, axis=1)
    assert 0 < mask.sum() < len(mask)


@dataclasses.dataclass(frozen=True)
class CountingFlip(transforms.Transform):
    """A horizontal flip that counts its traces and reports each step's flip pattern to the host."""

    record: bool = False
    random = True
    traces = []
    patterns = []

    def __call__(self, x, *, key):
        CountingFlip.traces.append(1)
        out = transforms.random_flip("horizontal", p=0.5)(x, key=key)
        if self.record:
            pattern = (out != x).any(axis=(1, 2, 3))
            jax.debug.callback(lambda p: CountingFlip.patterns.append(np.asarray(p)), pattern, ordered=True)
        return out


def test_epoch_with_a_transform_compiles_once_and_draws_new_flips_each_step(digits):
    CountingFlip.traces.clear()
    CountingFlip.patterns.clear()
    traces_after = {}
    with compiled_programs() as names:
        fit(
            SoftmaxRegression(10),
            digits,
            optimizer=optax.sgd(0.1),
            epochs=3,
            batch_size=512,
            seed=5,
            transform=CountingFlip(record=True),
            callbacks=[
                LambdaCallback(on_epoch_end=lambda epoch, row: traces_after.setdefault(epoch, len(CountingFlip.traces)))
            ],
        )
    assert names.count("fit_call_fn") == 1
    assert traces_after[1] == traces_after[3]  # epochs 2 and 3 reuse the compiled program
    patterns = CountingFlip.patterns
    assert len(patterns) == 3 * 3  # 1437 rows / 512 = 3 steps per epoch
    assert len({p.tobytes() for p in patterns}) == len(patterns)
    assert all(0 < p.sum() < len(p) for p in patterns)


def test_shape_changing_transforms_apply_at_eval_time_too(digits):
    result = fit(
        SoftmaxRegression(10),
        digits,
        optimizer=optax.sgd(0.1),
        epochs=1,
        batch_size=256,
        transform=transforms.compose([transforms.pad(2), transforms.random_flip("horizontal")]),
    )
    assert result.state.params["Linear_0"]["kernel"].shape == (12 * 12, 10)
    assert np.isfinite(result.history["test_loss"][0])


def test_flip_augmentation_is_training_only(digits):
    model = SoftmaxRegression(10)
    result = fit(
        model,
        digits,
        optimizer=optax.sgd(0.5),
        epochs=2,
        batch_size=256,
        transform=transforms.random_flip("horizontal", p=1.0),
    )
    X_test, y_test = digits.test

    def score(X):
        return float(evaluate(result.state, X, y_test, batch_size=256, objective=objective_for(model))["loss"])

    assert result.history["test_loss"][-1] == pytest.approx(score(X_test), rel=1e-6)
    assert score(jnp.flip(X_test, axis=2)) < 0.9 * score(
        X_test
    )  # it learned mirrored digits; the test set was not mirrored


def test_user_mistakes_are_config_errors(digits):
    with pytest.raises(ConfigError, match="did you mean 'horizontal'"):
        transforms.random_flip("horizontl")
    with pytest.raises(ConfigError, match=r"random_flip: p must be a probability in \[0, 1\], got 1.5"):
        transforms.random_flip("vertical", p=1.5)
    with pytest.raises(
        ConfigError, match=r"random_flip: key must be a key \(it is a training-time augmentation\), got None"
    ):
        transforms.random_flip("vertical")(jnp.zeros((1, 2, 2, 1)), key=None)
    with pytest.raises(ConfigError, match=r"resize: size must be .*, got \(0, 4\)"):
        transforms.resize((0, 4))
    with pytest.raises(ConfigError, match="did you mean 'reflect'"):
        transforms.pad(1, padding_mode="reflct")
    with pytest.raises(ConfigError, match=r"x must be an image batch \(B, H, W, C\)"):
        fit(
            SoftmaxRegression(10),
            data.from_arrays(np.zeros((8, 3)), np.arange(8) % 2, np.zeros((2, 3)), [0, 1], num_classes=10),
            optimizer=optax.sgd(0.1),
            epochs=1,
            batch_size=4,
            transform=transforms.resize(4),
        )
    with pytest.raises(
        ConfigError,
        match=r"fit: eval_transform must be a transform to the examples' shape \(12, 12, 1\) .*, "
        r"got one to \(8, 8, 1\)$",
    ):
        fit(
            SoftmaxRegression(10),
            digits,
            optimizer=optax.sgd(0.1),
            epochs=1,
            batch_size=256,
            transform=transforms.pad(2),
            eval_transform=transforms.compose([]),
        )
    with pytest.raises(ConfigError, match="must be a jaxdl.transforms transform"):
        fit(
            SoftmaxRegression(10),
            digits,
            optimizer=optax.sgd(0.1),
            epochs=1,
            batch_size=256,
            transform=lambda x, key: x,
        )
