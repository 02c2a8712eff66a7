"""Run the ```python blocks of a markdown page and check each one's stdout against its ```output block.

Two ways a page is run (:func:`run_file`):
  * shared: the blocks share one namespace, in order (the guide, docs/torch_to_jax.md, reads like a notebook);
  * separate: each block runs on its own, in a fresh namespace and a fresh empty working folder, as a
    reader would paste it, so a block that needs a name or a file from another block fails.
Output rules (as stated at the top of the guide):
  * a ```output block right after a ```python block holds its exact stdout (trailing spaces
    and trailing blank lines ignored); a block without one must print nothing;
  * ``<varies>`` in an output line matches any text there (timings, device names).
A failure names the file and the line of the ```python fence.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import io
import os
import re
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
GUIDE = DOCS / "torch_to_jax.md"
VARIES = "<varies>"


class DocBlockError(AssertionError):
    """A block raised, or printed something other than its ```output block."""


@dataclasses.dataclass(frozen=True)
class Block:
    """One ```python block: the 1-based line of its fence, its code, its expected stdout lines."""

    line: int
    code: str
    expected: tuple[str, ...]


def _closing_fence(lines: list[str], start: int, path: Path) -> int:
    for i in range(start + 1, len(lines)):
        if lines[i].strip() == "```":
            return i
    raise DocBlockError(f"{path.name}:{start + 1}: code fence {lines[start].strip()!r} is never closed")


def parse(path: Path) -> list[Block]:
    """The ```python blocks of ``path`` with the ```output block that follows each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if fence == "```output":
            raise DocBlockError(f"{path.name}:{i + 1}: ```output block without a ```python block before it")
        if not fence.startswith("```"):
            i += 1
            continue
        end = _closing_fence(lines, i, path)
        if fence != "```python":
            i = end + 1
            continue
        code = "\n" * (i + 1) + "\n".join(lines[i + 1 : end])
        nxt = end + 1
        while nxt < len(lines) and not lines[nxt].strip():
            nxt += 1
        expected: tuple[str, ...] = ()
        if nxt < len(lines) and lines[nxt].strip() == "```output":
            out_end = _closing_fence(lines, nxt, path)
            expected = tuple(lines[nxt + 1 : out_end])
            end = out_end
        blocks.append(Block(line=i + 1, code=code, expected=expected))
        i = end + 1
    return blocks


def _clean(lines: list[str] | tuple[str, ...]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _matches(expected: str, actual: str) -> bool:
    if VARIES not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split(VARIES))
    return re.fullmatch(pattern, actual) is not None


def check_output(block: Block, stdout: str, path: Path) -> None:
    """Raise :class:`DocBlockError` unless ``stdout`` matches ``block.expected``."""
    expected, actual = _clean(block.expected), _clean(stdout.splitlines())
    if len(expected) == len(actual) and all(map(_matches, expected, actual)):
        return
    if not expected:
        raise DocBlockError(f"{path.name}:{block.line}: the block printed output but has no ```output block:\n{stdout}")
    diff = "\n".join(difflib.unified_diff(expected, actual, "```output", "printed", lineterm=""))
    raise DocBlockError(f"{path.name}:{block.line}: printed output differs from the ```output block:\n{diff}")


@contextlib.contextmanager
def _working_folder(folder: Path | None):
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=False)
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _run_block(block: Block, namespace: dict, path: Path) -> None:
    stdout = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            exec(compile(block.code, str(path), "exec"), namespace)
    except Exception as err:
        frames = "".join(traceback.format_exception(err))
        raise DocBlockError(f"{path.name}:{block.line}: the python block raised {err!r}\n{frames}") from err
    check_output(block, stdout.getvalue(), path)


def run_file(path: Path, *, shared: bool = True, workdir: Path | None = None) -> int:
    """Run every ```python block of ``path``; return how many ran.

    ``shared``: all blocks in one namespace, in order (a notebook). Otherwise each block gets a
    fresh namespace and, when ``workdir`` is given, a fresh empty folder under it as its working
    folder (the previous one is restored afterwards).
    """
    blocks = parse(path)
    namespace: dict = {"__name__": f"docs.{path.stem}"}
    for block in blocks:
        if shared:
            _run_block(block, namespace, path)
            continue
        with _working_folder(None if workdir is None else workdir / f"{path.stem}-line{block.line}"):
            _run_block(block, {"__name__": "__main__"}, path)
    return len(blocks)


def doc_files() -> list[Path]:
    """README.md, then every page of docs/ that has a ```python block."""
    pages = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text(encoding="utf-8"))
    return [README, *pages]
