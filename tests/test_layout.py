"""The package's shape: imports run one way, packages keep their private modules, files stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jaxdl"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST, *, top_level_only: bool) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for each import; module-level ones only when ``top_level_only``."""
    found = []

    def visit(body):
        for node in body:
            if isinstance(node, ast.Import):
                found.extend((alias.name, []) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif not top_level_only:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child])
                    else:
                        visit([c for c in ast.walk(child) if isinstance(c, ast.stmt)])

    visit(tree.body)
    return found


def _sources() -> dict[str, ast.AST]:
    return {_module_name(p): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))}


def _graph(sources: dict[str, ast.AST], *, top_level_only: bool = False) -> dict[str, set[str]]:
    """Module -> the jaxdl modules it imports (at import time only, with ``top_level_only``)."""
    graph = {}
    for name, tree in sources.items():
        edges = set()
        for module, names in _imports(tree, top_level_only=top_level_only):
            if module == "jaxdl" or not module.startswith("jaxdl."):
                continue
            submodules = {f"{module}.{n}" for n in names if f"{module}.{n}" in sources}
            edges.update(submodules)
            if not names or len(submodules) < len(names):  # names taken from the package itself
                edges.add(module)
        graph[name] = edges & set(sources)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _closure(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def test_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_inside_jaxdl():
    assert _cycle(_graph(_sources())) is None


def test_jaxdl_never_imports_benchmarks_or_tests():
    for name, tree in _sources().items():
        for module, _ in _imports(tree, top_level_only=False):
            assert module.split(".")[0] not in ("benchmarks", "tests"), f"{name} imports {module}"


def test_the_compiled_epoch_does_not_load_checkpoint_file_io():
    graph = _graph(_sources(), top_level_only=True)
    assert "jaxdl.checkpoint" not in _closure(graph, "jaxdl.train._epoch")


WHITE_BOX = {
    "tests/conftest.py": "full_calls pins the trainers' call size (TARGET_CALL_SECONDS): tests count calls exactly",
    "tests/test_init_compile.py": "the host threefry must equal jax's bit for bit, function by function",
    "tests/test_xla_options.py": "the trainers' XLA options are probed, and the un-jitted epoch compiled with each",
}
"""Test files allowed to import private modules of another package, and why."""


def _private_imports(path: Path) -> list[str]:
    """Imports in ``path`` of a ``_private`` jaxdl module that lives in another package."""
    own = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    bad = []
    for module, names in _imports(ast.parse(path.read_text(encoding="utf-8")), top_level_only=False):
        if not module.startswith("jaxdl"):
            continue
        for full in [module] + [f"{module}.{n}" for n in names]:
            parts = full.split(".")
            private = [i for i, part in enumerate(parts) if part.startswith("_") and i > 0]
            if private and not own.startswith(".".join(parts[: private[0]])) and full != "jaxdl._checks":
                bad.append(full)
    return bad


@pytest.mark.parametrize("folder", ["jaxdl", "tests", "benchmarks"])
def test_nothing_imports_another_package_s_private_modules(folder):
    files = [p for p in (ROOT / folder).rglob("*.py") if str(p.relative_to(ROOT)) not in WHITE_BOX]
    offenders = {str(p.relative_to(ROOT)): bad for p in files if (bad := _private_imports(p))}
    assert offenders == {}


def test_library_files_stay_small():
    long = {
        str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_top_level_module_family_held_together_by_a_name_prefix():
    stems = sorted(p.stem.lstrip("_") for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    word = {s: s.split("_")[0].rstrip("s") for s in stems}
    families = sorted({s for s in stems for t in stems if s != t and word[s] == word[t]})
    assert families == [], f"top-level modules held together by a name prefix: {families} (make them a package)"
