"""The search space of ``jaxdl sweep`` as text: ``--grid NAME=V,V,...`` and ``--random N NAME=RANGE ...``.

A RANGE is ``LO..HI`` (uniform), ``log:LO..HI`` (log-uniform) or ``V,V,...`` (a choice). Each reader
raises one :class:`argparse.ArgumentTypeError` line (argparse's exit 2) naming the spec and its form.
"""

from __future__ import annotations

import argparse
import math
import re

from jaxdl import _checks
from jaxdl.train import Choice, LogUniform, Uniform

_NAME = re.compile(r"[A-Za-z_]\w*")
GRID_FORM = "NAME=V,V,... e.g. momentum=0.8,0.9"
RANDOM_FORM = "NAME=LO..HI (uniform), NAME=log:LO..HI (log-uniform) or NAME=V,V,... (choice), e.g. lr=log:1e-4..1"


def _name_and_text(spec: str, form: str) -> tuple[str, str]:
    name, eq, text = spec.partition("=")
    if not eq or not _NAME.fullmatch(name.strip()) or not text.strip():
        raise argparse.ArgumentTypeError(f"cannot read {spec!r}: expected {form}")
    return name.strip(), text.strip()


def _number(spec: str, text: str, form: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{spec!r}: {text!r} is not a number (expected {form})") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{spec!r}: {text!r} is not a finite number")
    if abs(value) > _checks.FLOAT32_MAX:
        raise argparse.ArgumentTypeError(f"{spec!r}: {text!r} is beyond float32's range (|x| <= 3.4e38)")
    return value


def _values(spec: str, text: str, form: str) -> tuple[float, ...]:
    return tuple(_number(spec, part.strip(), form) for part in text.split(","))


def grid_spec(spec: str) -> str:
    """``spec`` if it reads as ``NAME=V,V,...`` (the config keeps the text).

    >>> grid_spec("momentum=0.8,0.9")
    'momentum=0.8,0.9'
    """
    read_grid(spec)
    return spec


def read_grid(spec: str) -> tuple[str, tuple[float, ...]]:
    """``"momentum=0.8,0.9"`` -> ``("momentum", (0.8, 0.9))``."""
    name, text = _name_and_text(spec, GRID_FORM)
    return name, _values(spec, text, GRID_FORM)


def read_range(spec: str) -> tuple[str, Uniform | LogUniform | Choice]:
    """``"lr=log:1e-4..1"`` -> ``("lr", LogUniform(0.0001, 1.0))``; ``LO..HI`` is uniform, ``V,V,...`` a choice.

    >>> read_range("lr=log:1e-4..1")
    ('lr', LogUniform(low=0.0001, high=1.0))
    """
    name, text = _name_and_text(spec, RANDOM_FORM)
    log = text.startswith("log:")
    body = text.removeprefix("log:")
    if ".." not in body:
        if log:
            raise argparse.ArgumentTypeError(f"cannot read {spec!r}: log: needs a range LO..HI, e.g. lr=log:1e-4..1")
        return name, Choice(_values(spec, body, RANDOM_FORM))
    low_text, _, high_text = body.partition("..")
    low, high = _number(spec, low_text, RANDOM_FORM), _number(spec, high_text, RANDOM_FORM)
    if not low < high:
        raise argparse.ArgumentTypeError(f"{spec!r}: the range is empty ({low:g} is not below {high:g})")
    if log and low <= 0:
        raise argparse.ArgumentTypeError(f"{spec!r}: a log-uniform range must be positive, got {low:g}")
    return name, (LogUniform(low, high) if log else Uniform(low, high))


def random_spec(text: str) -> str:
    """``text`` if it is a draw count (the first token of ``--random``) or a RANGE spec.

    >>> random_spec("64"), random_spec("lr=log:1e-4..1")
    ('64', 'lr=log:1e-4..1')
    """
    if not text.isdigit():
        read_range(text)
    return text
