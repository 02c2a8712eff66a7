"""A griffe extension that turns the docstrings' Sphinx markup into the Markdown mkdocstrings renders.

The docstrings keep Sphinx's markup, which reads well in ``help()`` and in the source:

* a cross-reference role (``:func:`fit```, ``:class:`~jaxdl.data.Dataset```) becomes an autorefs link,
  ``[`fit`][jaxdl.train.fit.fit]``, to the object's canonical path (mkdocstrings registers that path for
  every place the object is rendered). A name is looked up as Sphinx does: in the class the docstring belongs
  to, its module, its package, then ``jaxdl``, then as written; a name a package loads on first use
  (``jaxdl.predict``) is found in the package's own modules. Where a package re-exports a function under the
  name of its module (``jaxdl.train.fit``), a role other than ``:mod:`` means the function.
  A name outside ``jaxdl`` (``:class:`jax.sharding.Mesh```) stays code: linking it would need the other
  project's inventory, fetched over the network at build time. A name that is found but not rendered (a
  private helper) stays code too. A name that is not found, in a docstring the reference renders, is logged as
  a warning, which fails ``mkdocs build --strict``.
* a doctest block (lines from ``>>>`` to the next blank line) becomes a fenced ``pycon`` block;
* a paragraph ending in ``::`` ends in ``:`` (the indented literal block after it is Markdown's code block);
* an ``Args:`` entry that documents several parameters at once (``rho, eps: as in PyTorch.``) becomes one
  entry per parameter, so that each is checked against the signature and shown with its type.
"""

from __future__ import annotations

import functools
import importlib.util
import re

import griffe

ROLE = re.compile(r":(func|class|mod|data|meth|attr|exc|obj|const):`(~?)\.?([A-Za-z_][\w.]*)`")
ARGS = re.compile(r"\s*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters):\s*$")
GROUPED = re.compile(r"(?P<indent>\s+)(?P<names>\*{0,2}\w+(?:,\s*\*{0,2}\w+)+):(?P<rest>\s.*|)$")
ROOT = "jaxdl"

logger = griffe.get_logger(__name__)


class SphinxMarkup(griffe.Extension):
    """Rewrite the Sphinx markup of every docstring of the package into Markdown."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: object) -> None:
        if pkg.name != ROOT:
            return
        rendered = _rendered(pkg)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                link = functools.partial(_link, obj=obj, pkg=pkg, rendered=rendered)
                text = _markdown_blocks(ROLE.sub(link, obj.docstring.value))
                obj.docstring.value = _one_entry_per_parameter(text)


def _markdown_blocks(text: str) -> str:
    """``text`` with its doctest blocks fenced as ``pycon`` and its ``::`` literal-block markers as ``:``."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>") and (i == 0 or not lines[i - 1].strip()):
            indent = line[: len(line) - len(line.lstrip())]
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            out += [f"{indent}```pycon", *lines[i:end], f"{indent}```"]
            i = end
            continue
        out.append(line[:-1] if line.endswith("::") and not line.endswith(":::") else line)
        i += 1
    return "\n".join(out)


def _one_entry_per_parameter(text: str) -> str:
    """``text`` with each ``Args:`` entry naming several parameters repeated once per parameter."""
    out: list[str] = []
    lines = text.splitlines()
    section, entries = None, None  # the indent of the section's header and of its entries
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        if ARGS.match(line):
            section, entries = indent, None
        elif line.strip() and section is not None:
            if indent <= section:
                section = None
            elif entries is None:
                entries = indent
        entry = GROUPED.match(line) if section is not None and indent == entries else None
        if entry is None:
            out.append(line)
            i += 1
            continue
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        for name in entry["names"].split(","):
            out += [f"{entry['indent']}{name.strip()}:{entry['rest']}", *lines[i + 1 : end]]
        i = end
    return "\n".join(out)


def _walk(obj: griffe.Object):
    """``obj`` and every object defined under it (aliases are visited where they are defined)."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


def _rendered(pkg: griffe.Module) -> set[str]:
    """The canonical paths the reference renders: each public module of ``pkg`` and its public names, recursively.

    A module's public names are its ``__all__`` (or, without one, the names it defines that have no leading
    underscore); a class's are its members without a leading underscore, and its special methods but ``__init__``
    (mkdocs.yml merges it into the class).
    """
    paths: set[str] = set()

    def add(obj: griffe.Object | griffe.Alias) -> None:
        try:
            path = obj.canonical_path
            target = obj.final_target if obj.is_alias else obj
        except griffe.AliasResolutionError:
            return
        if path in paths or not path.startswith(f"{ROOT}."):
            return
        paths.add(path)
        for name, member in target.members.items():
            if target.is_class:
                if not name.startswith("_") or (name.startswith("__") and name != "__init__"):
                    add(member)
            elif member.is_alias or not member.is_module:
                if member.is_public:
                    add(member)
            elif name in (target.exports or ()):
                add(_unshadowed(member))

    for name, module in pkg.modules.items():
        if not name.startswith("_"):
            add(module)
    return paths


def _scopes(obj: griffe.Object) -> list[str]:
    """Where a relative name is looked up from ``obj``'s docstring, innermost first."""
    scopes = []
    if obj.is_class:
        scopes.append(obj.path)
    if obj.parent is not None and obj.parent.is_class:
        scopes.append(obj.parent.path)
    module = obj.module
    scopes.append(module.path)
    if not module.is_init_module and module.parent is not None:
        scopes.append(module.parent.path)
    scopes.append(ROOT)
    return scopes


def _lookup(path: str, pkg: griffe.Module) -> griffe.Object | griffe.Alias | None:
    head, _, rest = path.partition(".")
    if head != ROOT:
        return None
    obj: griffe.Object | griffe.Alias = pkg
    for part in rest.split(".") if rest else []:
        try:
            if part in obj.members:
                obj = obj.members[part]
            elif obj.is_module:
                obj = _defined_in_submodules(obj, part)
            else:
                return None
        except (KeyError, griffe.AliasResolutionError):
            return None
    return obj


def _defined_in_submodules(module: griffe.Object | griffe.Alias, name: str) -> griffe.Object:
    """The one object named ``name`` that a module of the package ``module`` defines (a lazily exported name)."""
    found = [
        sub.members[name]
        for sub in module.modules.values()
        if name in sub.members and not sub.members[name].is_alias and not sub.members[name].is_module
    ]
    if len(found) != 1:
        raise KeyError(name)
    return found[0]


def _resolve(role: str, name: str, obj: griffe.Object, pkg: griffe.Module) -> str | None:
    """The canonical path ``name`` means in ``obj``'s docstring, or None."""
    for scope in _scopes(obj):
        target = _lookup(f"{scope}.{name}", pkg)
        if target is not None:
            break
    else:
        target = _lookup(name, pkg)
    if target is None:
        return None
    try:
        return _unshadowed(target, role).canonical_path
    except griffe.AliasResolutionError:
        return None


def _unshadowed(target: griffe.Object | griffe.Alias, role: str = "") -> griffe.Object | griffe.Alias:
    """The function or class a package exports under the name of its own module, when ``role`` is not ``mod``."""
    if target.is_module and role != "mod" and target.name in target.members:
        return target.members[target.name]
    return target


def _link(match: re.Match, *, obj: griffe.Object, pkg: griffe.Module, rendered: set[str]) -> str:
    role, short, name = match.groups()
    shown = f"`{name.rsplit('.', 1)[-1] if short else name}`"
    path = _resolve(role, name, obj, pkg)
    if path is not None:
        return f"[{shown}][{path}]" if path in rendered else shown
    outside = name.split(".")[0] != ROOT and importlib.util.find_spec(name.split(".")[0]) is not None
    if not outside and obj.path in rendered:
        where = f"{obj.relative_filepath}:{obj.docstring.lineno if obj.docstring else obj.lineno}"
        logger.warning("%s: %s in the docstring of %s names no object", where, match.group(0), obj.path)
    return shown
