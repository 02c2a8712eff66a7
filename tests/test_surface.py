"""The public surface: every module the README lists is reachable from ``import jaxdl`` (which stays cheap),
and every public name has one home."""

from __future__ import annotations

import collections
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path

import jaxdl

ROOT = Path(__file__).resolve().parents[1]


def readme_modules() -> list[str]:
    """The names of the README's package table: ``| `jaxdl.data` | ... |`` gives ``data``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `jaxdl\.(\w+)` \|", text, flags=re.MULTILINE)


def public_modules() -> list[str]:
    return sorted(f"jaxdl.{m.name}" for m in pkgutil.iter_modules(jaxdl.__path__) if not m.name.startswith("_"))


def public_names(module: types.ModuleType) -> list[str]:
    """``__all__``, or the names a module without one defines at the top level without a leading underscore."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]


def homes(modules: list[types.ModuleType]) -> dict[int, list[str]]:
    """``id(object) -> [module.name, ...]`` for every public name that is not a module or a plain value."""
    found = collections.defaultdict(list)
    for module in modules:
        for attr in public_names(module):
            obj = getattr(module, attr)
            if not isinstance(obj, (types.ModuleType, str, int, float, bool, tuple, dict, type(None))):
                found[id(obj)].append(f"{module.__name__}.{attr}")
    return found


def test_the_readme_table_lists_the_modules():
    listed = readme_modules()
    assert {"data", "optim", "swa", "errors", "predict", "cli", "bench", "compilation_cache"} <= set(listed)


def test_every_module_the_readme_lists_is_reachable_from_import_jaxdl_which_stays_cheap():
    code = (
        "import json, sys\n"
        "import jaxdl\n"
        "cheap = sorted(m for m in sys.modules if m == 'jax' or m.startswith('jaxdl.'))\n"
        f"names = {readme_modules()!r}\n"
        "got = {n: getattr(getattr(jaxdl, n), '__name__', None) for n in names}\n"
        "print(json.dumps({'cheap': cheap, 'got': got}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.splitlines()[-1])
    assert out["cheap"] == []
    assert out["got"] == {n: "predict" if n == "predict" else f"jaxdl.{n}" for n in readme_modules()}


def test_every_public_module_is_in_jaxdl_all():
    assert sorted(f"jaxdl.{n}" for n in jaxdl.__all__ if n != "predict") == public_modules()


def test_no_public_name_has_two_homes():
    modules = [importlib.import_module(name) for name in ["jaxdl", *public_modules()]]
    assert sorted(places for places in homes(modules).values() if len(places) > 1) == []


def test_a_name_exported_twice_is_found():
    schedules = importlib.import_module("jaxdl.schedules")
    again = types.ModuleType("jaxdl.again")
    again.__all__ = ["swalr", "step_lr_again"]
    again.swalr, again.step_lr_again = schedules.swalr, schedules.step_lr
    twice = sorted(p for p in homes([schedules, again]).values() if len(p) > 1)
    assert twice == [
        ["jaxdl.schedules.step_lr", "jaxdl.again.step_lr_again"],
        ["jaxdl.schedules.swalr", "jaxdl.again.swalr"],
    ]
