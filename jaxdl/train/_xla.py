"""How the trainers' programs are compiled: on CPU, with XLA's elemental fusion emitters, which compile faster.

XLA's CPU backend emits its fusions through MLIR by default; its older elemental emitters compile the trainers'
programs in about two thirds of the time and, at XLA's default optimisation level, to the same numbers
(tests/test_xla_options.py). On the 2-core AMD EPYC VM, jax 0.10.2, 2026-12-07 (a contended machine, alternating):
the digits MLP 64-256-10's ``fit`` program compiled in 1.12-1.18 s instead of 1.70-1.73 s, and a cold
``jaxdl train``'s init-and-compile phase took 1.67-2.15 s (median 1.77) instead of 1.94-2.49 s (median 2.2),
its 500 epochs 2.85-3.32 s against 2.91-3.40 s.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

OPTION = "xla_cpu_use_fusion_emitters"


@functools.cache
def compiler_options() -> dict[str, Any] | None:
    """``jax.jit``'s ``compiler_options`` for the trainers' programs: the elemental emitters on CPU.

    None (XLA's defaults) on other backends, where ``XLA_FLAGS`` chooses the emitters itself, or where
    this jaxlib no longer knows the option (probed once, by compiling an empty program with it).
    """
    if OPTION in os.environ.get("XLA_FLAGS", "") or jax.default_backend() != "cpu":
        return None
    options = {OPTION: False}
    try:
        jax.jit(lambda x: x, compiler_options=options).lower(np.float32(0)).compile()
    except jax.errors.JaxRuntimeError:
        return None
    return options


class TrainerJit:
    """``jax.jit(fn, **kwargs)`` with :func:`compiler_options`, made at the first call, once a backend is known.

    Calls, ``lower`` and every other attribute of a jitted function go to that one, so it compiles and caches
    as ``jax.jit`` does.
    """

    def __init__(self, fn: Callable[..., Any], **kwargs: Any) -> None:
        self.fn, self.kwargs = fn, kwargs
        self._jitted: Any = None
        self._lock = threading.Lock()  # fit_many compiles later rungs on a thread: one jitted function for both
        functools.update_wrapper(self, fn)

    @property
    def jitted(self) -> Any:
        if self._jitted is None:
            with self._lock:
                if self._jitted is None:
                    self._jitted = jax.jit(self.fn, compiler_options=compiler_options(), **self.kwargs)
        return self._jitted

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.jitted(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("fn", "kwargs", "_jitted", "_lock"):  # not yet set, or copy/pickle
            raise AttributeError(name)
        return getattr(self.jitted, name)
