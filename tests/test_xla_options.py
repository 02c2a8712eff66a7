"""The trainers' programs compile with XLA's elemental fusion emitters on CPU, and train to the same numbers."""

import jax
import numpy as np
import pytest

from jaxdl import data, optim
from jaxdl.models import MLP
from jaxdl.train import _xla, create_train_state
from jaxdl.train._epoch import train_epoch_fn
from jaxdl.train._xla import OPTION, compiler_options


@pytest.fixture
def probe(monkeypatch):
    """:func:`compiler_options` probed afresh under ``XLA_FLAGS`` (the suite's own flags name the option)."""

    def probe(xla_flags: str):
        monkeypatch.setenv("XLA_FLAGS", xla_flags)
        compiler_options.cache_clear()
        return compiler_options()

    yield probe
    compiler_options.cache_clear()


def test_on_cpu_the_trainers_ask_for_the_elemental_emitters_unless_xla_flags_choose(probe):
    assert probe("") == {OPTION: False}
    assert probe("--xla_backend_optimization_level=1") == {OPTION: False}
    assert probe(f"--{OPTION}=true") is None


def test_a_jaxlib_that_does_not_know_the_option_compiles_with_its_defaults(probe, monkeypatch):
    monkeypatch.setattr(_xla, "OPTION", "xla_cpu_no_such_option")
    assert probe("") is None


def at_default_level(elemental: bool) -> dict:
    return {OPTION: not elemental, "xla_backend_optimization_level": 3}  # XLA's default level


def test_either_emitters_train_to_the_same_parameters():
    """Three epochs of an MLP with dropout and batch norm, compiled with each emitter (two different programs),
    agree bit for bit at XLA's default optimisation level, the one users compile at (at the levels 1 and 2 this suite's
    XLA_FLAGS may name, LLVM rounds the two differently, and this test fails)."""
    X, y = map(jax.numpy.asarray, data.load("digits").train)
    model = MLP(hidden=(16,), dropout=0.2, batch_norm=True)
    trained, programs = [], []
    for elemental in (True, False):
        state = create_train_state(model, optim.adam(lr=0.01), X[:1], key=jax.random.key(3))
        epoch = jax.jit(train_epoch_fn, static_argnames=("batch_size",), compiler_options=at_default_level(elemental))
        compiled = epoch.lower(state, X, y, batch_size=64).compile()
        programs.append(compiled.as_text())
        for _ in range(3):
            state, metrics = compiled(state, X, y)
        trained.append(jax.device_get((state.params, state.batch_stats, metrics)))
    assert programs[0] != programs[1]
    for mine, theirs in zip(*map(jax.tree.leaves, trained), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert trained[0][2]["acc"] > 0.5  # it trained
