"""Start-up: ``jaxdl train`` imports only what the run needs (no scikit-learn, pandas, TFDS; no matplotlib
before training). Each check runs ``jaxdl`` in a fresh process and reads its ``sys.modules``."""

import json
import os
import subprocess
import sys

NEVER = ("sklearn", "pandas", "tensorflow_datasets", "tensorflow", "torch")
NOT_BEFORE_TRAINING = (*NEVER, "matplotlib", "jaxdl.bench", "jaxdl.plots")

# Runs `jaxdl ARGS` in this process; prints the heavy modules loaded at the first XLA compile and at the end.
DRIVER = """
import json, sys
from jax import monitoring
WATCH = %r
seen = {}
def loaded():
    return sorted(m for m in WATCH if m in sys.modules)
def on_duration(name, secs, **kw):
    if name.endswith("backend_compile_duration") and "first_compile" not in seen:
        seen["first_compile"] = loaded()
monitoring.register_event_duration_secs_listener(on_duration)
from jaxdl.cli import main
try:
    rc = main(sys.argv[1:])
except SystemExit as exit_:
    rc = exit_.code
seen["end"] = loaded()
seen["rc"] = rc
print(json.dumps(seen))
"""


def run_jaxdl(args: list[str], tmp_path) -> dict:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"), "TMPDIR": str(tmp_path)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # a user's first run: an empty cache, so the run compiles
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER % (NOT_BEFORE_TRAINING,), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


LIGHT = """
import contextlib, io, json, sys
from jaxdl.cli import main
text = io.StringIO()
with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
    try:
        main(sys.argv[1:])
    except SystemExit as exit_:
        code = exit_.code
heavy = sorted(m for m in ("numpy", "jax", "flax", "optax", "matplotlib", "torch") if m in sys.modules)
print(json.dumps([code, heavy, text.getvalue()]))
"""
"""Prints ``[exit code, heavy modules loaded, output]`` of ``jaxdl ARGS`` run in this process."""


def test_the_top_level_help_and_a_misspelt_subcommand_answer_without_importing_jax(tmp_path):
    helps = (["--help"], 0, "{train,plot,schedules,sweep,ovr,bench,predict}")
    for args, code, says in [helps, (["trian"], 2, "invalid choice: 'trian' (choose from 'train', 'plot'")]:
        got = subprocess.run([sys.executable, "-c", LIGHT, *args], cwd=tmp_path, capture_output=True, text=True)
        assert got.returncode == 0, got.stderr[-3000:]
        exit_code, heavy, text = json.loads(got.stdout)
        assert (exit_code, heavy) == (code, []), (args, text)
        assert says in text


def test_train_help_imports_no_data_plot_or_benchmark_library(tmp_path):
    seen = run_jaxdl(["train", "--help"], tmp_path)
    assert seen["rc"] == 0
    assert seen["end"] == []
    assert "first_compile" not in seen  # --help compiles nothing


def test_a_tiny_run_loads_no_sklearn_pandas_tfds_and_plots_only_after_training(tmp_path):
    seen = run_jaxdl(["train", "--epochs", "2", "--hidden", "16", "--out", str(tmp_path / "run")], tmp_path)
    assert seen["rc"] == 0
    assert seen["first_compile"] == []
    assert not set(seen["end"]) & set(NEVER)
