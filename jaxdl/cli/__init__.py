"""The ``jaxdl`` command: :func:`main`, and the pieces a script needs to behave like it.

``train``, ``sweep`` and ``ovr`` generate their options from the configs of :mod:`jaxdl.experiments`
and call its functions; ``predict``, ``schedules``, ``plot`` and ``bench`` have small parsers of their
own. :class:`OneLineParser`, :func:`run_or_report` and the option readers (``positive_int``, ...) give
a script the same one-line errors and exit codes (``benchmarks/*.py`` use them).
"""

from jaxdl._readers import (
    choice,
    existing_dir,
    float_list,
    fraction,
    int_list,
    nonnegative_int,
    positive_float,
    positive_int,
    probability,
    seed,
    writable_dir,
)
from jaxdl.cli._main import OneLineParser, main, run_or_report

__all__ = [
    "OneLineParser",
    "choice",
    "existing_dir",
    "float_list",
    "fraction",
    "int_list",
    "main",
    "nonnegative_int",
    "positive_float",
    "positive_int",
    "probability",
    "run_or_report",
    "seed",
    "writable_dir",
]
