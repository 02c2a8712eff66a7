"""jaxdl installed NOT editable works from any folder.

``jaxdl --help``, and every subcommand's ``--help`` and a small run.

The package is installed with ``pip install --no-deps --no-build-isolation --target`` (no network:
the dependencies are already installed) from a copy of its sources, so the build writes nothing
into the checkout. Every command then runs in a folder outside the checkout, with ``PYTHONPATH``
naming only the install, and imports that copy (not the checkout's editable install). These are
real processes because the installed entry point and package are what is tested. The ``jaxdl`` script
itself runs ``--help``, the ``train`` run and ``predict``; where the installed package is imported from,
its version and metadata, the subcommands' ``--help`` texts and the other small runs come from one
process that imports the installed package (each ``jaxdl`` process pays the jax import).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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
    # The session's compilation cache and compile flags (tests/conftest.py): a hit skips a compile, and the flags make
    # the rest cheaper; neither changes which package is imported or what a command writes.
    env.update({k: os.environ[k] for k in ("JAX_COMPILATION_CACHE_DIR", "XLA_FLAGS") if k in os.environ})
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


INSIDE = """
import contextlib, importlib.metadata as md, io, json, sys
import jaxdl, jaxdl.bench
from jaxdl._install import DISTRIBUTION
from jaxdl.cli import main

def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return [code, out.getvalue(), err.getvalue()]

meta = md.metadata(DISTRIBUTION)
helps, runs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({
    "file": jaxdl.__file__,
    "path": sys.path,
    "version": jaxdl.__version__,
    "metadata": [DISTRIBUTION, meta["Name"], meta.get_all("Provides-Extra"), meta.get_all("Requires-Dist")],
    "helps": {name: run([name, "--help"])[:2] for name in helps},
    "runs": {name: run(argv) for name, argv in runs.items()},
}))
"""
"""One process that imports the installed package: where it was imported from, its version and metadata, then
``jaxdl NAME --help`` for each NAME of ``argv[1]`` (a JSON list) and the runs of ``argv[2]`` (a JSON object name ->
arguments) through ``jaxdl.cli.main``, as ``{name: [exit code, stdout, stderr]}``."""


@pytest.fixture(scope="module")
def ran(installed):
    """``jaxdl --help``, then at once the ``train`` run as a real ``jaxdl`` script and, in one other process,
    everything else that only needs the installed package imported (each ``jaxdl`` process pays the jax import);
    finally ``jaxdl predict`` as a script, on the train run's folder. Nothing is asserted here: the tests do."""
    target, env, work = installed
    top = _jaxdl(installed, "--help")
    names = _subcommands(top.stdout) if top.returncode == 0 else []
    out = work / "out"
    runs = {name: [name, *args, "--out", str(_dest(out, name))] for name, (args, _) in RUNS.items() if name in names}
    train = runs.pop("train", None)
    script = (
        None
        if train is None
        else subprocess.Popen(
            [str(target / "bin" / "jaxdl"), *train],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=work,
            env=env,
        )
    )
    inside = subprocess.run(
        [sys.executable, "-c", INSIDE, json.dumps(names), json.dumps(runs)],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=600,
    )
    done = {"top": top, "names": names, "out": out, "inside_rc": inside.returncode, "inside_err": inside.stderr}
    done.update(json.loads(inside.stdout.strip().splitlines()[-1]) if inside.returncode == 0 else {"runs": {}})
    if script is not None:
        stdout, stderr = script.communicate(timeout=300)
        done["runs"]["train"] = [script.returncode, stdout, stderr]
    np.save(out / "one.npy", np.zeros((8, 8, 1), np.float32))
    done["predicted"] = _jaxdl(installed, "predict", "--run", str(out / "train"), str(out / "one.npy"))
    return done


def _dest(out: Path, name: str) -> Path:
    """Where the small run of ``name`` writes (``schedules`` names its PNG file, the others a folder)."""
    return out / name / ("steplr.png" if name == "schedules" else "")


def _inside(ran) -> dict:
    assert ran["inside_rc"] == 0, ran["inside_err"][-2000:]
    return ran


def _subcommands(help_text: str) -> list[str]:
    """The names in the ``{train,plot,...}`` list of ``jaxdl --help``."""
    return re.search(r"\{([\w,-]+)\}", help_text).group(1).split(",")


def test_the_install_is_used_not_the_checkout(installed, ran):
    target, _, _ = installed
    where = Path(_inside(ran)["file"]).resolve()
    assert where.is_relative_to(target.resolve()) and not where.is_relative_to(ROOT)
    assert str(ROOT) not in str(ran["path"])


def test_the_install_has_the_version_of_the_source(installed, ran):
    target, _, _ = installed
    source = re.search(r'^__version__ = "(.+)"$', (ROOT / "jaxdl" / "__init__.py").read_text(), re.M).group(1)
    assert (target / f"jaxdl_course-{source}.dist-info").is_dir()
    assert _inside(ran)["version"] == source


def test_the_install_is_named_as_its_hints_say_with_the_optional_parts_as_extras(ran):
    hinted, name, extras, requires = _inside(ran)["metadata"]
    assert hinted == name == "jaxdl-course"  # "jaxdl" on the package index is an unrelated project
    assert {"torch", "tfds", "tensorboard", "notebook"} <= set(extras)
    required = {re.match(r"[\w.-]+", r).group(0) for r in requires if "extra ==" not in r}
    assert {"jax", "flax", "optax"} <= required
    assert not required & {"tensorflow-datasets", "torch", "tensorboardX", "ipywidgets"}


def test_the_install_ships_its_type_hints(installed):
    target, _, _ = installed
    assert (target / "jaxdl" / "py.typed").is_file()


def test_every_subcommand_helps_and_runs_from_the_installed_package(ran):
    top = ran["top"]
    assert top.returncode == 0, top.stderr
    names = ran["names"]
    assert sorted(names) == sorted([*RUNS, *AFTER_TRAIN]), "give every subcommand a small run in RUNS"
    helped = _inside(ran)["helps"]
    assert sorted(helped) == sorted(names)
    for name, (code, text) in helped.items():
        assert code == 0 and f"usage: jaxdl {name}" in text, (name, code, text)
    out = ran["out"]
    assert sorted(ran["runs"]) == sorted(RUNS)
    for name, (code, _, stderr) in ran["runs"].items():
        assert code == 0, f"jaxdl {name}: {stderr[-2000:]}"
        files = RUNS[name][1]
        folder = _dest(out, name).parent if name == "schedules" else _dest(out, name)
        assert sorted(files) == sorted(set(files) & {p.name for p in folder.iterdir()}), (name, stderr[-2000:])
    predicted = ran["predicted"]
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    assert re.fullmatch(r".*one\.npy: \d\n", predicted.stdout, flags=re.S), predicted.stdout
    results = json.loads((out / "bench" / "results.json").read_text())
    assert {(r["contestant"], r["error"]) for r in results["rows"]} == {(2, None), (6, None)}
    assert results["meta"]["command"].startswith("jaxdl bench --device cpu")
