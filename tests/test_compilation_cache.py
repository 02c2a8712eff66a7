"""The persistent compilation cache: where it lives, that a second process reuses it, that it never fails a run."""

import json
import os
import subprocess
import sys
import tempfile

import jax
import jax.numpy as jnp
import pytest

from jaxdl import compilation_cache

# A small job in a fresh process: counts JAX's persistent-cache hits and misses (misses = programs compiled).
JOB = """
import collections, json, sys, warnings
from jax import monitoring
counts = collections.Counter()
monitoring.register_event_listener(lambda name, **kw: counts.update([name.rsplit("/", 1)[-1]]))
from jaxdl import compilation_cache, data, models, optim, train
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    folder = compilation_cache.enable_default()
import numpy as np
rng = np.random.default_rng(0)
x, y = rng.normal(size=(160, 8)).astype("float32"), rng.integers(0, 3, 160)
ds = data.from_arrays(x[:128], y[:128], x[128:], y[128:], num_classes=3)
result = train.fit(models.MLP(hidden=(8,), num_classes=ds.num_classes), ds, optimizer=optim.sgd(0.1),
                   epochs=2, batch_size=64)
print(json.dumps({"folder": folder, "hits": counts["cache_hits"], "misses": counts["cache_misses"],
                  "warnings": [str(w.message) for w in caught], "loss": result.history["train_loss"]}))
"""


def run_job(env_overrides: dict, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (compilation_cache.ENV_DIR, compilation_cache.ENV_OFF)}
    env.update({"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": "", "TMPDIR": str(tmp_path), **env_overrides})
    proc = subprocess.run(
        [sys.executable, "-c", JOB], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def restore_cache():
    """Tests that switch the cache on or off in this process give the session's cache back afterwards.

    Request it before ``monkeypatch``: fixtures end in reverse order, so the patches are undone first.
    """
    before = compilation_cache.current_dir()
    yield
    if before is None:
        compilation_cache.disable()
    else:
        compilation_cache.enable(before)


def test_default_dir_follows_env_then_xdg_then_home():
    home = os.path.expanduser("~")
    assert compilation_cache.default_dir({"JAX_COMPILATION_CACHE_DIR": "/a/b", "XDG_CACHE_HOME": "/x"}) == "/a/b"
    assert compilation_cache.default_dir({"XDG_CACHE_HOME": "/x"}) == "/x/jaxdl/xla"
    assert compilation_cache.default_dir({}) == os.path.join(home, ".cache", "jaxdl", "xla")


@pytest.mark.parametrize("value, off", [("1", True), ("yes", True), ("", False), ("0", False), ("false", False)])
def test_jaxdl_no_cache_switches_it_off(value, off):
    assert compilation_cache.switched_off({"JAXDL_NO_CACHE": value}) is off


def test_enable_sets_jax_to_store_every_program(tmp_path, restore_cache):
    folder = tmp_path / "xla"
    assert compilation_cache.enable(str(folder)) == str(folder)
    assert jax.config.jax_compilation_cache_dir == str(folder)
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0
    assert jax.jit(lambda x: x * 3 + 1)(jnp.arange(3.0)).tolist() == [1.0, 4.0, 7.0]
    assert any(name.endswith("-cache") for name in os.listdir(folder))
    compilation_cache.disable()
    assert compilation_cache.current_dir() is None and jax.config.jax_compilation_cache_dir is None
    assert compilation_cache.enable_default() is None  # disable() holds for the rest of the process


def test_a_file_in_place_of_the_folder_warns_once_and_runs_without_cache(tmp_path, restore_cache):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.warns(compilation_cache.CacheWarning, match="not usable") as caught:
        assert compilation_cache.enable(str(blocker / "xla")) is None
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    assert jax.config.jax_compilation_cache_dir is None
    assert jax.jit(lambda x: x - 1)(jnp.ones(2)).tolist() == [0.0, 0.0]


def test_a_read_only_folder_warns_and_runs_without_cache(tmp_path, restore_cache, monkeypatch):
    folder = tmp_path / "xla"
    folder.mkdir()
    folder.chmod(0o500)
    if os.access(folder, os.W_OK):  # root writes anywhere: refuse the write the way a read-only mount does

        def read_only(*args, **kwargs):
            raise PermissionError(30, "Read-only file system")

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.warns(compilation_cache.CacheWarning, match="not usable"):
        assert compilation_cache.enable(str(folder)) is None
    assert jax.jit(lambda x: x * 2)(jnp.ones(2)).tolist() == [2.0, 2.0]
    folder.chmod(0o700)


def test_default_folder_then_a_second_process_compiles_nothing_and_corrupt_entries_are_recompiled_once(tmp_path):
    """The first job finds its folder under ``$XDG_CACHE_HOME``; the others name that folder in the environment."""
    xdg = tmp_path / "xdg"
    cache = xdg / "jaxdl" / "xla"
    first = run_job({"XDG_CACHE_HOME": str(xdg)}, tmp_path)
    second = run_job({"JAX_COMPILATION_CACHE_DIR": str(cache)}, tmp_path)
    assert first["folder"] == str(cache) and first["misses"] > 0 and first["hits"] == 0
    assert second["folder"] == str(cache)
    assert second["misses"] == 0 and second["hits"] == first["misses"]
    assert second["loss"] == first["loss"]
    for name in os.listdir(cache):  # a broken cache: every entry overwritten with garbage
        (cache / name).write_bytes(b"not an executable")
    third = run_job({"JAX_COMPILATION_CACHE_DIR": str(cache)}, tmp_path)
    assert third["loss"] == first["loss"] and third["hits"] == 0
    fourth = run_job({"JAX_COMPILATION_CACHE_DIR": str(cache)}, tmp_path)  # the damaged entries were replaced
    assert fourth["misses"] == 0 and fourth["hits"] == first["misses"] and fourth["loss"] == first["loss"]


def test_no_cache_writes_nothing(tmp_path):
    off = run_job({"XDG_CACHE_HOME": str(tmp_path / "other"), "JAXDL_NO_CACHE": "1"}, tmp_path)
    assert off["folder"] is None and off["hits"] == off["misses"] == 0
    assert not (tmp_path / "other").exists()
