"""A griffe extension that makes the names a package exports lazily visible to mkdocstrings.

``jaxdl.bench`` loads the names that need PyTorch on first use: ``__all__`` lists them as ``*_NEED_TORCH`` (a
dict of name to module) and a module ``__getattr__`` imports them. Griffe reads the source without running it,
so it sees neither the names nor their objects. This extension expands a starred ``__all__`` entry that names a
constant dict, list or tuple of strings, and adds each such name that the package lacks as an alias of the one
object of that name one of its modules defines, so ``::: jaxdl.bench`` renders ``compare`` as
``jaxdl.bench.compare``, where a user calls it.
"""

from __future__ import annotations

import ast

import griffe

logger = griffe.get_logger(__name__)


class LazyExports(griffe.Extension):
    """Expand starred ``__all__`` entries and alias the lazily loaded names they list."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: object) -> None:
        for module in _packages(pkg):
            _expand(module)


def _packages(module: griffe.Module):
    yield module
    for sub in module.modules.values():
        if not sub.is_alias and sub.is_init_module:
            yield from _packages(sub)


def _expand(package: griffe.Module) -> None:
    if not package.exports:
        return
    exports: list[str] = []
    for entry in package.exports:
        if isinstance(entry, str):
            exports.append(entry)
            continue
        names = _literal_names(package, entry)
        if names is None:
            logger.warning("%s: __all__ entry %s is not a constant of names", package.path, entry)
            continue
        for name in names:
            exports.append(name)
            if name not in package.members:
                _alias(package, name)
    package.exports = exports


def _literal_names(package: griffe.Module, entry: object) -> list[str] | None:
    """The strings ``entry`` (a name of a constant dict, list or tuple in ``package``) holds, or None."""
    constant = package.members.get(getattr(entry, "name", ""))
    if constant is None or constant.is_alias or not constant.is_attribute:
        return None
    try:
        value = ast.literal_eval(str(constant.value))
    except (ValueError, SyntaxError):
        return None
    if not isinstance(value, dict | list | tuple) or not all(isinstance(name, str) for name in value):
        return None
    return list(value)


def _alias(package: griffe.Module, name: str) -> None:
    found = [
        sub.members[name]
        for sub in package.modules.values()
        if name in sub.members and not sub.members[name].is_alias and not sub.members[name].is_module
    ]
    if len(found) != 1:
        logger.warning("%s: %d modules define %r, which __all__ lists", package.path, len(found), name)
        return
    package.set_member(name, griffe.Alias(name, found[0], parent=package))
