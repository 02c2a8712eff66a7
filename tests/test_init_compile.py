"""The parameter init draws its random numbers on the host: same parameters as ``model.init``, cheap to compile."""

from __future__ import annotations

import logging

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdl import data, models, train
from jaxdl.train import _host_keys
from jaxdl.train._state import _init_variables, init_with_output


def _old_init(model: nn.Module, sample: jax.Array, key: jax.Array):
    """How ``create_train_state`` initialised before: split on the device, threefry compiled in the init."""
    init_key, dropout_key, train_key = jax.random.split(key, 3)
    init = jax.jit(lambda k1, k2, x: init_with_output(model, {"params": k1, "dropout": k2}, x)[1])
    return init(init_key, dropout_key, sample), train_key


class _Normal(nn.Module):
    """Flax's own initialisers: lecun_normal (a truncated normal), normal, zeros; a parameter of 64 bits' width."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.Dense(5)(x.reshape(x.shape[0], -1))
        b = self.param("b", nn.initializers.normal(0.5), (3, 5), jnp.bfloat16)
        return x + b.astype(jnp.float32).sum(0) + nn.Dense(5, kernel_init=nn.initializers.orthogonal())(x)


MODELS = [
    (models.MLP(hidden=(256,)), (1, 8, 8, 1)),
    (models.MLP(hidden=(32, 16), batch_norm=True, dropout=0.3), (1, 8, 8, 1)),
    (_Normal(), (1, 7)),
]


@pytest.mark.parametrize(("model", "shape"), MODELS, ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
@pytest.mark.parametrize("seed", [12345])
def test_same_parameters_and_key_as_model_init(model: nn.Module, shape: tuple[int, ...], seed: int) -> None:
    sample = jnp.linspace(0.0, 1.0, int(np.prod(shape))).reshape(shape)
    state = train.create_train_state(model, optax.sgd(0.1), sample, key=jax.random.key(seed))
    variables, train_key = _old_init(model, sample, jax.random.key(seed))
    assert jax.tree.structure(state.params) == jax.tree.structure(variables["params"])
    for new, old in zip(jax.tree.leaves(state.params), jax.tree.leaves(variables["params"]), strict=True):
        assert new.dtype == old.dtype and np.array_equal(np.asarray(new), np.asarray(old))
    old_stats = variables.get("batch_stats", {})
    for new, old in zip(jax.tree.leaves(state.batch_stats), jax.tree.leaves(old_stats), strict=True):
        assert np.array_equal(np.asarray(new), np.asarray(old))
    assert state.key is not None and state.key.dtype == train_key.dtype
    assert np.array_equal(jax.random.key_data(state.key), jax.random.key_data(train_key))
    assert state.step.dtype == jnp.int32 and int(state.step) == 0


@pytest.mark.parametrize("shape", [(), (1,), (10,), (3, 5, 7), (64, 256)])
@pytest.mark.parametrize("dtype", [jnp.uint8, jnp.uint16, jnp.uint32])
def test_host_bits_equal_jax_bits(shape: tuple[int, ...], dtype) -> None:
    key = jax.random.key(7)
    host = jax.jit(lambda k: jax.random.bits(_host_keys.host_key(k), shape, dtype))(key)
    assert np.array_equal(np.asarray(host), np.asarray(jax.random.bits(key, shape, dtype)))


def test_host_split_fold_in_and_batched_keys_equal_jax() -> None:
    keys = jax.random.split(jax.random.key(3), 4)

    def draw(k: jax.Array) -> jax.Array:
        a, b = jax.random.split(jax.random.fold_in(k, 99))
        return jnp.concatenate([jax.random.uniform(a, (5,)), jax.random.normal(b, (2, 3)).ravel()])

    host = jax.jit(jax.vmap(lambda k: draw(_host_keys.host_key(k))))(keys)
    assert np.array_equal(np.asarray(host), np.asarray(jax.vmap(draw)(keys)))


def test_64_bit_words_follow_the_partitionable_scheme() -> None:
    key = np.array([11, 22], np.uint32)
    b1, b2 = _host_keys.threefry2x32(key[0], key[1], np.zeros(3, np.uint32), np.arange(3, dtype=np.uint32))
    expected = (b1.astype(np.uint64) << np.uint64(32)) | b2
    assert np.array_equal(_host_keys.random_bits(key, 64, (3,)), expected)
    assert np.array_equal(_host_keys.random_bits(key, 32, (3,)), b1 ^ b2)


def test_other_keys_are_left_as_they_are() -> None:
    rbg = jax.random.key(0, impl="rbg")
    assert _host_keys.host_key(rbg) is rbg
    raw = jax.random.PRNGKey(0)
    assert _host_keys.host_key(raw) is raw
    state = train.create_train_state(models.SoftmaxRegression(3), optax.sgd(0.1), jnp.ones((1, 4)), key=rbg)
    assert str(jax.random.key_impl(state.key)) == "rbg"


@pytest.mark.parametrize("seed", [0, 1, 7, 2**31 - 1, 2**31, 2**32 + 5, 2**63 - 1])
def test_seed_key_equals_jax_random_key(seed: int) -> None:
    new, old = _host_keys.seed_key(seed), jax.random.key(seed)
    assert new.dtype == old.dtype
    assert np.array_equal(jax.random.key_data(new), jax.random.key_data(old))


def test_init_program_holds_no_threefry_loop() -> None:
    """Threefry compiles to a ``while`` loop per parameter shape; the init program has none."""
    lowered = _init_variables.lower(
        train.ModelApply(models.MLP(hidden=(256,))), jax.random.key(0), jnp.ones((1, 8, 8, 1))
    )
    text = lowered.as_text()
    assert "stablehlo.while" not in text and "threefry" not in text


def test_a_fit_compiles_only_its_init_and_epoch_programs(caplog: pytest.LogCaptureFixture) -> None:
    """No key seeding, splitting, unstacking or dtype conversions compiled on their own (each ~0.05-0.4 s cold)."""
    ds = data.load("digits")
    model = models.MLP(hidden=(23,))  # a width no other test compiles
    with caplog.at_level(logging.WARNING), jax.log_compiles():
        train.fit(model, ds, optimizer=optax.sgd(0.1), epochs=2, batch_size=64, seed=5, verbose=0)
    messages = [r.getMessage() for r in caplog.records]
    compiled = {m.split("jit(")[1].split(")")[0] for m in messages if m.startswith("Compiling jit(")}
    assert compiled <= {"dynamic_slice", "_init_variables", "<lambda>", "fit_call_fn"}, compiled
    assert {"_init_variables", "fit_call_fn"} <= compiled
