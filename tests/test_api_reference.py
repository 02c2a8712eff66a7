"""Every public name of jaxdl is in the API reference (docs/reference/*.md), so a new export cannot go unseen.

A public module is a module or package directly under ``jaxdl`` without a leading underscore; its public names
are its ``__all__`` at run time, or, without one, the names its source defines at the top level without a
leading underscore. The reference renders a name when a page's ``::: identifier`` directive names it, or names
the module whose members it is: this test loads the package with griffe and the griffe extensions that
``mkdocs.yml`` lists, as mkdocstrings does, and takes the members mkdocstrings renders with the options
``mkdocs.yml`` sets (public members, with or without a docstring, no submodules). The site itself is built by
``mkdocs build --strict`` (10-15 s on two cores), outside the test suite.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import re
import textwrap
from pathlib import Path

import griffe
import yaml

import jaxdl

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
DIRECTIVE = re.compile(r"^::: +(\S+)[ \t]*\n((?:[ \t]+\S.*\n?)*)", re.MULTILINE)
RENDERING = {"filters": "public", "show_if_no_docstring": True, "show_submodules": False, "members": None}


@functools.cache
def python_options() -> dict:
    """The mkdocstrings python handler's ``options`` in mkdocs.yml."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    plugin = next(p["mkdocstrings"] for p in config["plugins"] if isinstance(p, dict) and "mkdocstrings" in p)
    return plugin["handlers"]["python"]["options"]


def directives(text: str) -> list[tuple[str, dict]]:
    """``(identifier, options)`` for each ``::: identifier`` directive of a page."""
    found = []
    for identifier, block in DIRECTIVE.findall(text):
        found.append((identifier, (yaml.safe_load(textwrap.dedent(block)) or {}).get("options", {})))
    return found


@functools.cache
def load_package() -> griffe.Module:
    """``jaxdl`` as mkdocstrings loads it: static analysis plus the extensions mkdocs.yml names."""
    extensions = griffe.load_extensions(*(str(ROOT / ext) for ext in python_options()["extensions"]))
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)], extensions=extensions)
    package = loader.load("jaxdl")
    loader.resolve_aliases(implicit=False, external=False)
    return package


def rendered(package: griffe.Module, pages: dict[str, str]) -> set[str]:
    """The paths the reference pages render: each directive's object and, for a module, its members."""
    paths: set[str] = set()
    for page, text in pages.items():
        for identifier, options in directives(text):
            settings = {**python_options(), **options}
            changed = {key: settings.get(key, RENDERING[key]) for key in RENDERING} != RENDERING
            assert not changed, f"{page}: this test assumes the rendering options {RENDERING}; update it"
            obj = package.modules_collection[identifier]
            paths.add(identifier)
            if obj.is_module:
                paths.update(
                    f"{identifier}.{name}"
                    for name, member in obj.members.items()
                    if member.is_public and not member.is_module
                )
    return paths


def public_modules() -> list[str]:
    return sorted(f"jaxdl.{m.name}" for m in pkgutil.iter_modules(jaxdl.__path__) if not m.name.startswith("_"))


def defined_names(module) -> list[str]:
    """The names ``module``'s source defines at the top level, without a leading underscore."""
    names = []
    for node in ast.parse(Path(module.__file__).read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("_")]


def public_names(name: str) -> list[str]:
    module = importlib.import_module(name)
    return list(module.__all__) if hasattr(module, "__all__") else defined_names(module)


def undocumented(pages: dict[str, str]) -> list[str]:
    """Every public module or public name the pages do not render, as ``module.name``."""
    shown = rendered(load_package(), pages)
    missing = [m for m in public_modules() if not any(p == m or p.startswith(f"{m}.") for p in shown)]
    for module_name in ["jaxdl", *public_modules()]:
        module = importlib.import_module(module_name)
        for name in public_names(module_name):
            if f"{module_name}.{name}" in shown:
                continue
            obj = getattr(module, name)
            defined = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
            if defined not in shown:
                missing.append(f"{module_name}.{name}")
    return missing


def reference_pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(REFERENCE.glob("*.md"))}


def test_every_public_name_is_in_the_reference():
    missing = undocumented(reference_pages())
    assert not missing, f"public names missing from docs/reference/: {missing}"


def test_a_name_left_out_of_the_reference_is_reported():
    pages = reference_pages()
    pages["losses.md"] = pages["losses.md"].replace("::: jaxdl.losses", "::: jaxdl.losses.mse")
    pages["train.md"] = pages["train.md"].replace("::: jaxdl.train", "::: jaxdl.train.fit")
    missing = undocumented(pages)
    assert "jaxdl.losses.cross_entropy" in missing and "jaxdl.train.fit_many" in missing
    assert "jaxdl.losses.mse" not in missing and "jaxdl.train.fit" not in missing


def test_reference_pages_hold_no_python_block():
    """tests/test_docs.py runs the ```python blocks of docs/*.md only; the reference pages are rendered, not run."""
    assert not [name for name, text in reference_pages().items() if "```python" in text]
