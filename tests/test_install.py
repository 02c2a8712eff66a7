"""jaxdl installed NOT editable works from any folder.

``jaxdl --help``, and every subcommand's ``--help`` and a small run.

The package is installed with ``pip install --no-deps --no-build-isolation --target`` (no network:
the dependencies are already installed) from a copy of its sources, so the build writes nothing
into the checkout. Every command then runs in a folder outside the checkout, with ``PYTHONPATH``
naming only the install, and imports that copy (not the checkout's editable install). These are
real processes because the installed entry point and package are what is tested; the subcommands'
``--help`` texts come from one process that imports the installed package (each ``jaxdl`` process
pays the jax import), the small runs each from the ``jaxdl`` script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

RUNS = {
    "train": (["--dataset", "digits", "--model", "softmax", "--epochs", "2"], ["metrics.json", "curves.png"]),
    "plot": (["activations", "--names", "relu,tanh"], ["relu.png", "tanh.png"]),
    "schedules": (["StepLR", "--lr", "0.1", "--step_size", "5", "--steps", "20"], ["steplr.png"]),
    "sweep": (
        ["--model", "softmax", "--epochs", "2", "--lr", "0.1", "--seeds", "2"],
        ["metrics.json", "timing.json", "sweep.png"],
    ),
    "ovr": (["--epochs", "2"], ["metrics.json"]),
    "bench": (
        [
            "--quick",
            "--device",
            "cpu",
            "--workloads",
            "softmax",
            "--scaling-workloads",
            "softmax",
            "--contestants",
            "2,6",
            "--models",
            "1",
            "--epochs",
            "1",
            "--train-size",
            "256",
            "--test-size",
            "64",
        ],
        ["results.json", "results.md", "scaling.png"],
    ),
}
"""Subcommand -> (arguments of a small real run, files it must write into its output)."""
AFTER_TRAIN = ("predict",)
"""Subcommands whose small run reads the folder of the ``train`` run (checked after it)."""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(install folder, environment, working folder)`` of a fresh non-editable install."""
    base = tmp_path_factory.mktemp("install")
    src, target, work = base / "src", base / "site", base / "work"
    src.mkdir()
    work.mkdir()
    shutil.copytree(ROOT / "jaxdl", src / "jaxdl", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(src),
        ],
        capture_output=True,
        text=True,
        cwd=base,
    )
    assert pip.returncode == 0, pip.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XLA_", "JAX_"))}
    if "JAX_COMPILATION_CACHE_DIR" in os.environ:  # the session's cache (tests/conftest.py): a hit skips a compile
        env["JAX_COMPILATION_CACHE_DIR"] = os.environ["JAX_COMPILATION_CACHE_DIR"]
    env.update(
        PYTHONPATH=str(target),
        PYTHONNOUSERSITE="1",
        HOME=str(base / "home"),
        MPLBACKEND="Agg",
        TMPDIR=str(base),
        PATH=os.pathsep.join([str(target / "bin"), env.get("PATH", "")]),
    )
    return target, env, work


def _jaxdl(installed, *args: str) -> subprocess.CompletedProcess:
    target, env, work = installed
    return subprocess.run(
        [str(target / "bin" / "jaxdl"), *args], capture_output=True, text=True, cwd=work, env=env, timeout=300
    )


HELPS = """
import contextlib, io, json, sys
from jaxdl.cli import main

helped = {}
for name in sys.argv[1:]:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        try:
            code = main([name, "--help"])
        except SystemExit as exit_:
            code = exit_.code
    helped[name] = [code, text.getvalue()]
print(json.dumps(helped))
"""
"""Prints ``{name: [exit code, stdout]}`` of ``jaxdl NAME --help`` for each NAME on its command line."""


def _helps(installed, names: list[str]) -> dict:
    _, env, work = installed
    got = subprocess.run([sys.executable, "-c", HELPS, *names], capture_output=True, text=True, cwd=work, env=env)
    assert got.returncode == 0, got.stderr[-2000:]
    return json.loads(got.stdout.strip().splitlines()[-1])


def _subcommands(help_text: str) -> list[str]:
    """The names in the ``{train,plot,...}`` list of ``jaxdl --help``."""
    return re.search(r"\{([\w,-]+)\}", help_text).group(1).split(",")


def test_the_install_is_used_not_the_checkout(installed):
    target, env, work = installed
    code = "import sys, jaxdl, jaxdl.bench; print(jaxdl.__file__); print(sys.path)"
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=work, env=env)
    assert got.returncode == 0, got.stderr
    where = Path(got.stdout.splitlines()[0]).resolve()
    assert where.is_relative_to(target.resolve()) and not where.is_relative_to(ROOT)
    assert str(ROOT) not in got.stdout.splitlines()[1]


def test_the_install_has_the_version_of_the_source(installed):
    target, env, work = installed
    source = re.search(r'^__version__ = "(.+)"$', (ROOT / "jaxdl" / "__init__.py").read_text(), re.M).group(1)
    assert (target / f"jaxdl_course-{source}.dist-info").is_dir()
    code = "import jaxdl; print(jaxdl.__version__)"
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=work, env=env)
    assert got.returncode == 0 and got.stdout.strip() == source, got.stderr


METADATA = """
import importlib.metadata as md, json
from jaxdl._install import DISTRIBUTION
meta = md.metadata(DISTRIBUTION)
print(json.dumps([DISTRIBUTION, meta["Name"], meta.get_all("Provides-Extra"), meta.get_all("Requires-Dist")]))
"""
"""Prints the name jaxdl's hints use, then the installed metadata's name, extras and requirements."""


def test_the_install_is_named_as_its_hints_say_with_the_optional_parts_as_extras(installed):
    _, env, work = installed
    got = subprocess.run([sys.executable, "-c", METADATA], capture_output=True, text=True, cwd=work, env=env)
    assert got.returncode == 0, got.stderr[-2000:]
    hinted, name, extras, requires = json.loads(got.stdout)
    assert hinted == name == "jaxdl-course"  # "jaxdl" on the package index is an unrelated project
    assert {"torch", "tfds", "tensorboard", "notebook"} <= set(extras)
    required = {re.match(r"[\w.-]+", r).group(0) for r in requires if "extra ==" not in r}
    assert {"jax", "flax", "optax"} <= required
    assert not required & {"tensorflow-datasets", "torch", "tensorboardX", "ipywidgets"}


def test_the_install_ships_its_type_hints(installed):
    target, _, _ = installed
    assert (target / "jaxdl" / "py.typed").is_file()


def test_every_subcommand_helps_and_runs_from_the_installed_package(installed):
    top = _jaxdl(installed, "--help")
    assert top.returncode == 0, top.stderr
    names = _subcommands(top.stdout)
    assert sorted(names) == sorted([*RUNS, *AFTER_TRAIN]), "give every subcommand a small run in RUNS"
    helped = _helps(installed, names)
    assert sorted(helped) == sorted(names)
    for name, (code, text) in helped.items():
        assert code == 0 and f"usage: jaxdl {name}" in text, (name, code, text)
    out = installed[2] / "out"

    def check(name: str) -> None:
        args, files = RUNS[name]
        dest = out / name / ("steplr.png" if name == "schedules" else "")
        ran = _jaxdl(installed, name, *args, "--out", str(dest))
        assert ran.returncode == 0, f"jaxdl {name}: {ran.stderr[-2000:]}"
        folder = dest.parent if name == "schedules" else dest
        assert sorted(files) == sorted(set(files) & {p.name for p in folder.iterdir()}), (name, ran.stderr[-2000:])

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(check, [n for n in names if n in RUNS]))
    np.save(out / "one.npy", np.zeros((8, 8, 1), np.float32))
    predicted = _jaxdl(installed, "predict", "--run", str(out / "train"), str(out / "one.npy"))
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    assert re.fullmatch(r".*one\.npy: \d\n", predicted.stdout, flags=re.S), predicted.stdout
    results = json.loads((out / "bench" / "results.json").read_text())
    assert {(r["contestant"], r["error"]) for r in results["rows"]} == {(2, None), (6, None)}
    assert results["meta"]["command"].startswith("jaxdl bench --device cpu")
