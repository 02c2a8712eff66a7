"""One parser for ``K=V,...`` options (``--optimizer-args``, ``--scheduler-args``).

:func:`parse` reads the syntax (an argparse ``type``): values are Python literals
(``betas=(0.9, 0.99)``, ``milestones=[30, 80]``, ``eps=1e-8``) or bare words (``mode=triangular2``).
:func:`bind` then checks the pairs against the function they are for: keys that have their own flag
are rejected by name, booleans must be true/false/1/0/yes/no, numbers numbers (unknown keys are
left to the function's own check, which names them with a "did you mean").
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import re
from collections.abc import Callable, Mapping

from jaxdl import _checks
from jaxdl.errors import ConfigError

_OPEN, _CLOSE = "([{", ")]}"
_WORD = re.compile(r"[A-Za-z_][\w.\-]*")
_NAME = re.compile(r"[A-Za-z_]\w*")
_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _split(text: str) -> list[str]:
    """Split at the commas outside brackets and quotes; unclosed or unmatched brackets are errors."""
    parts, stack, quote, start = [], [], None, 0
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            stack.append(char)
        elif char in _CLOSE:
            if not stack or _OPEN.index(stack[-1]) != _CLOSE.index(char):
                raise argparse.ArgumentTypeError(f"unmatched {char!r} in {text!r}")
            stack.pop()
        elif char == "," and not stack:
            parts.append(text[start:i])
            start = i + 1
    if quote:
        raise argparse.ArgumentTypeError(f"unclosed quote {quote} in {text!r}")
    if stack:
        raise argparse.ArgumentTypeError(
            f"unclosed {stack[-1]!r} in {text!r}: close it with {_CLOSE[_OPEN.index(stack[-1])]!r}"
        )
    parts.append(text[start:])
    return [part for part in parts if part.strip()]


def _literal(key: str, text: str) -> object:
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        if _WORD.fullmatch(text):
            return text
    raise argparse.ArgumentTypeError(
        f"{key}={text!r} is not a value: expected a number, a word, or a Python literal such as (0.9, 0.99)"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse(text: str) -> dict[str, object]:
    """``"momentum=0.9,betas=(0.9, 0.99),nesterov=yes"`` -> a dict of Python values (words stay text).

    >>> parse("betas=(0.9, 0.99),milestones=[30, 80],mode=triangular2")
    {'betas': (0.9, 0.99), 'milestones': [30, 80], 'mode': 'triangular2'}
    """
    pairs: dict[str, object] = {}
    parts = _split(text)
    for i, part in enumerate(parts):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq and pairs and _is_number(key):  # milestones=30,60: the list lost its brackets
            last = next(reversed(pairs))
            values = [str(pairs[last]), *itertools.takewhile(_is_number, (p.strip() for p in parts[i:]))]
            raise argparse.ArgumentTypeError(
                f"cannot read {key!r}: a list of values needs brackets, e.g. {last}=[{', '.join(values)}]"
            )
        if not eq or not _NAME.fullmatch(key):
            raise argparse.ArgumentTypeError(
                f"cannot read {part.strip()!r}: expected name=value pairs separated "
                "by commas, e.g. momentum=0.9,betas=(0.9, 0.99)"
            )
        if not value.strip():
            raise argparse.ArgumentTypeError(f"{key}= has no value")
        if key in pairs:
            raise argparse.ArgumentTypeError(f"{key} is given twice")
        pairs[key] = _literal(key, value)
    return pairs


def _kind(param: inspect.Parameter) -> str | None:
    """'bool', 'bool or None', 'number' or None (anything) from the annotation or the default."""
    note = param.annotation if isinstance(param.annotation, str) else getattr(param.annotation, "__name__", "")
    if note in ("bool | None", "None | bool", "Optional[bool]"):
        return "bool or None"
    if note == "bool" or isinstance(param.default, bool):
        return "bool"
    if note in ("float", "int") or (type(param.default) in (int, float) and "None" not in note):
        return "number"
    return None


def _convert(flag: str, key: str, value: object, kind: str | None) -> object:
    if kind == "bool or None" and (value is None or str(value).lower() in ("none", "null")):
        return None
    if kind in ("bool", "bool or None"):
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and str(value).lower() in _BOOLS:
            return _BOOLS[str(value).lower()]
        none = ", none" if kind == "bool or None" else ""
        raise ConfigError(
            f"{flag} {key}={value!r}: {key} is true or false{none.replace(', ', ' or ')}; "
            f"expected one of true, false, 1, 0, yes, no{none}"
        )
    if kind != "number":
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{flag} {key}={value!r}: {key} is a number")
    if not abs(value) <= _checks.FLOAT32_MAX:  # also NaN and inf (1e999 reads as inf)
        raise ConfigError(
            f"{flag} {key}={value!r}: {key} must be a finite number within float32's range (|x| <= 3.4e38)"
        )
    return value


def bind(flag: str, pairs: Mapping[str, object], fn: Callable, *, own_flags: Mapping[str, str]) -> dict[str, object]:
    """``pairs`` checked against ``fn``'s parameters, booleans converted.

    Keys ``fn`` does not have are passed on unchanged: the optimizer or scheduler rejects them by
    name, with a "did you mean" (``optim.by_name``, ``schedules.by_name``).

    Args:
      flag: the option the pairs came from, e.g. ``"--optimizer-args"``.
      pairs: what :func:`parse` returned.
      fn: the function they are for (its signature names the valid keys and their kinds).
      own_flags: keys that have their own option, e.g. ``{"lr": "--lr"}``.

    Raises:
      ConfigError: one line naming the key and the fix (a key with its own flag, a bad boolean or number).

    >>> def sgd(lr=0.1, momentum: float = 0, nesterov: bool = False): ...
    >>> bind("--optimizer-args", {"nesterov": "no"}, sgd, own_flags={"lr": "--lr"})
    {'nesterov': False}
    """
    params = inspect.signature(fn).parameters
    bound = {}
    for key, value in pairs.items():
        if key in own_flags:
            raise ConfigError(f"{flag} {key}=...: {key} has its own option, use {own_flags[key]} instead.")
        bound[key] = _convert(flag, key, value, _kind(params[key])) if key in params else value
    return bound
