"""JAX's persistent compilation cache, switched on for jaxdl: a second run of the same job does not compile again.

The ``jaxdl`` command calls :func:`enable_default` before its first compile; in a notebook or script, call
:func:`enable` (or :func:`enable_default`) once, before training, and a restarted kernel reuses what the last
one compiled. Nothing turns it on by itself: importing jaxdl or calling ``fit`` has no such side effect. The folder is
``$JAX_COMPILATION_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/jaxdl/xla``, else ``~/.cache/jaxdl/xla``. Every
compiled program is stored, however fast it compiled (JAX's own default keeps only those over one second, which is
none of a small model's). ``JAXDL_NO_CACHE=1``, ``jaxdl --no-cache`` or :func:`disable` turn it off. A folder that
cannot be created or written (a file in its place, read-only, no permission) never fails a run: jaxdl runs without
the cache and says so in one :class:`CacheWarning`. An entry that cannot be read (a damaged or half-written file)
is removed when it is met, so the program compiled in its place is stored again (JAX itself keeps the damaged
file and warns on every later run); one :class:`CacheWarning` line says so.

>>> from jaxdl import compilation_cache
>>> compilation_cache.default_dir({"XDG_CACHE_HOME": "/data/cache"})
'/data/cache/jaxdl/xla'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ENV_DIR",
    "ENV_OFF",
    "CacheWarning",
    "current_dir",
    "default_dir",
    "disable",
    "enable",
    "enable_default",
    "switched_off",
]

ENV_DIR = "JAX_COMPILATION_CACHE_DIR"
ENV_OFF = "JAXDL_NO_CACHE"


@dataclass
class _Decision:
    """Whether this process chose its cache folder yet, and which (None: off)."""

    decided: bool = False
    dir: str | None = None


_state = _Decision()


class CacheWarning(UserWarning):
    """The cache folder cannot be used; the run goes on without the persistent cache."""


def default_dir(environ: Mapping[str, str] | None = None) -> str:
    """The folder :func:`enable_default` uses: ``$JAX_COMPILATION_CACHE_DIR``, ``$XDG_CACHE_HOME/jaxdl/xla``
    or ``~/.cache/jaxdl/xla``.

    Args:
        environ: the environment to read (default ``os.environ``).

    Returns:
        An absolute path (not created here).
    """
    env = os.environ if environ is None else environ
    if env.get(ENV_DIR):
        return os.path.abspath(os.path.expanduser(env[ENV_DIR]))
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(os.path.abspath(base), "jaxdl", "xla")


def switched_off(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``$JAXDL_NO_CACHE`` is set to anything but ``""``, ``0``, ``false`` or ``no``."""
    env = os.environ if environ is None else environ
    return env.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no")


def _unusable(path: str) -> str | None:
    """Why ``path`` cannot hold the cache (one short reason), or None when a file can be written there."""
    try:
        os.makedirs(path, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".jaxdl-probe-", dir=path)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        return err.strerror or type(err).__name__
    return None


_READ_ERROR = "Error reading persistent compilation cache entry"


def _repairing(read: Any) -> Any:
    """JAX's cache read, removing an entry it cannot read so that the program compiled instead is stored again."""

    def read_or_repair(module_name: str, cache_key: str, *args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = read(module_name, cache_key, *args, **kwargs)
        for warning in caught:
            if _READ_ERROR in str(warning.message) and _state.dir is not None:
                for suffix in ("-cache", "-atime"):  # the files of jax's LRUCache for this key
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(_state.dir, cache_key + suffix))
                warnings.warn(
                    f"jaxdl: compilation cache entry for {module_name!r} could not be read "
                    f"({str(warning.message).split(': ', 1)[-1][:80]}); removed it, it is stored again",
                    CacheWarning,
                    stacklevel=2,
                )
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        return result

    read_or_repair.jaxdl_repairs = True  # pyright: ignore[reportFunctionMemberAccess]
    return read_or_repair


def _set_jax(path: str | None) -> None:
    import jax
    from jax._src import compilation_cache as jax_cache
    from jax._src import compiler

    if not getattr(compiler._cache_read, "jaxdl_repairs", False):
        compiler._cache_read = _repairing(compiler._cache_read)

    if jax_cache.is_initialized() or jax.config.values["jax_compilation_cache_dir"] != path:
        jax_cache.reset_cache()  # JAX opens its cache once per process; a new folder needs a fresh start
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_enable_compilation_cache", path is not None)
    if path is not None:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)  # -1: every entry, however small


def enable(dir: str | None = None) -> str | None:
    """Store and reuse compiled programs in ``dir`` (default :func:`default_dir`) for this process.

    Args:
        dir: the cache folder; created when missing.

    Returns:
        The folder in use, or None when it cannot be used (then one :class:`CacheWarning` says why and the
        process compiles as without a cache).
    """
    path = os.path.abspath(os.path.expanduser(dir)) if dir else default_dir()
    reason = _unusable(path)
    if reason is not None:
        warnings.warn(
            f"jaxdl: compilation cache folder {path} is not usable ({reason}); running without it "
            f"(set {ENV_DIR} to another folder, or {ENV_OFF}=1 to silence this)",
            CacheWarning,
            stacklevel=2,
        )
        path = None
    _set_jax(path)
    _state.decided, _state.dir = True, path
    return path


def disable() -> None:
    """Turn the persistent cache off for the rest of this process (:func:`enable_default` then does nothing)."""
    _set_jax(None)
    _state.decided, _state.dir = True, None


def enable_default() -> str | None:
    """:func:`enable` once per process unless ``$JAXDL_NO_CACHE`` is set or :func:`enable`/:func:`disable` ran.

    Returns:
        The folder in use, or None when the cache is off.
    """
    if not _state.decided:
        if switched_off():
            disable()
        else:
            enable()
    return _state.dir


def current_dir() -> str | None:
    """The folder jaxdl set for the cache in this process, or None (off, or not decided yet)."""
    return _state.dir
