"""Readers of command-line text (argparse ``type``s): each turns one option's text into a value or rejects it
with one clear message. The config fields of :mod:`jaxdl.experiments` name theirs; :mod:`jaxdl.cli` exports them."""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Callable

from jaxdl.errors import suggest


def _number(text: str, cast, ok, kind: str, expected: str, rule: str):
    """``cast(text)`` if it parses and satisfies ``ok``; else one argparse error saying what was expected."""
    try:
        value = cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {kind} (expected {expected})") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be {rule}")
    return value


def positive_int(text: str) -> int:
    """An integer ≥ 1."""
    return _number(text, int, lambda v: v >= 1, "an integer", "a positive integer", "a positive integer")


def nonnegative_int(text: str) -> int:
    """An integer ≥ 0."""
    return _number(text, int, lambda v: v >= 0, "an integer", "0 or more", "0 or more")


def positive_float(text: str) -> float:
    """A finite number > 0."""
    return _number(
        text, float, lambda v: math.isfinite(v) and v > 0, "a number", "a positive number", "a finite number > 0"
    )


def probability(text: str) -> float:
    """A number in [0, 1)."""
    return _number(text, float, lambda v: 0.0 <= v < 1.0, "a number", "a value in [0, 1)", "in [0, 1)")


def fraction(text: str) -> float:
    """A number strictly between 0 and 1 (a share of the data)."""
    return _number(text, float, lambda v: 0.0 < v < 1.0, "a number", "a fraction such as 0.1", "in (0, 1)")


SEED_LIMIT = 2**63
"""Seeds are ``0 <= seed < 2**63`` (what ``jax.random.key`` accepts with 64-bit seeds)."""


def seed(text: str) -> int:
    """An integer in ``[0, 2**63)``."""
    return _number(text, int, lambda v: 0 <= v < SEED_LIMIT, "an integer", "0 or more", "0 or more and below 2**63")


def int_list(text: str) -> tuple[int, ...]:
    """Comma-separated positive integers, e.g. ``256,128``."""
    return tuple(positive_int(part) for part in text.split(","))


def float_list(text: str) -> tuple[float, ...]:
    """Comma-separated positive numbers, e.g. ``0.01,0.1``."""
    return tuple(positive_float(part) for part in text.split(","))


def writable_dir(text: str) -> str:
    """A folder that exists and is writable, or can be created (tested by creating and removing a temporary folder).

    An empty name (which would be the current folder) and a symbolic link to nothing on the way are refused.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is empty: name a folder (or leave the option out for the default)")
    path = os.path.abspath(text)
    if os.path.exists(path) and not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder")
    probe = path
    while not os.path.exists(probe):
        if os.path.islink(probe):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not writable ({probe!r} is a symbolic link to {os.readlink(probe)!r}, which does not "
                "exist)"
            )
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise argparse.ArgumentTypeError(f"{text!r} is not writable ({probe!r} is a file, not a folder)")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".jaxdl-probe-", dir=probe))
    except OSError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not writable ({probe!r}: {err.strerror})") from None
    return path


def existing_dir(text: str) -> str:
    """A folder that exists."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an existing folder")
    return text


def choice(what: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    """A type accepting one of ``choices``; a near miss gets a "did you mean" hint.

    >>> choice("model", ("mlp", "softmax"))("mlp")
    'mlp'
    """

    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {what}{suggest(text, choices)}; expected one of {', '.join(choices)}"
            )
        return text

    parse.__name__ = what
    return parse
