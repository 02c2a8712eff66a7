"""``data.permutation``: the order of ``jax.random.permutation``, index for index, through one sort of 64-bit keys."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdl import data


@pytest.mark.parametrize("n", [0, 1, 2, 3, 100, 1437, 1625, 1626, 60000])  # 1626 and up: two rounds of sorting
def test_the_same_indices_as_jax_random_permutation(n):
    for seed in range(3):
        key = jax.random.key(seed)
        ours, theirs = data.permutation(key, n), jax.random.permutation(key, n)
        assert ours.dtype == theirs.dtype and ours.shape == (n,)
        np.testing.assert_array_equal(ours, theirs)
    if n >= 100:  # keys differ, orders differ
        assert not np.array_equal(data.permutation(jax.random.key(0), n), data.permutation(jax.random.key(1), n))


def test_the_same_under_vmap_x64_and_old_style_keys():
    keys = jax.random.split(jax.random.key(7), 4)
    np.testing.assert_array_equal(
        jax.vmap(lambda k: data.permutation(k, 500))(keys), jax.vmap(lambda k: jax.random.permutation(k, 500))(keys)
    )
    np.testing.assert_array_equal(
        data.permutation(jax.random.PRNGKey(3), 50), jax.random.permutation(jax.random.PRNGKey(3), 50)
    )
    with jax.enable_x64(True):
        ours, theirs = data.permutation(jax.random.key(1), 300), jax.random.permutation(jax.random.key(1), 300)
        assert ours.dtype == theirs.dtype == jnp.int64
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("n", [777, 3001])  # one round, two rounds; sizes no other test compiles
def test_equal_keys_keep_their_indices_order_as_a_stable_sort(monkeypatch, n):
    """Random 32-bit keys rarely tie (a 1 in 4000 chance for digits' 1437 examples, 1 in 3 for 60 000): here
    most do, and the order is numpy's stable argsort, round after round."""
    real_bits = jax.random.bits
    monkeypatch.setattr(jax.random, "bits", lambda key, shape, dtype: real_bits(key, shape, dtype) % 5)
    key, expected = jax.random.key(0), np.arange(n)
    for _ in range(1 if n < 1626 else 2):
        key, subkey = jax.random.split(key)
        sort_keys = np.asarray(real_bits(subkey, (n,), jnp.uint32) % 5)
        expected = expected[np.argsort(sort_keys, kind="stable")]
    np.testing.assert_array_equal(data.permutation(jax.random.key(0), n), expected)
