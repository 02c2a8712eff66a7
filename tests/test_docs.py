"""Every ```python block in docs/*.md runs, in order, and prints what its ```output block shows.

Conventions (stated at the top of docs/torch_to_jax.md):
  * blocks of one file share one namespace, like notebook cells, run from the repository root;
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
import re
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDE = DOCS / "torch_to_jax.md"
VARIES = "<varies>"
GUIDE_SECTIONS = (
    "2.1 Data manipulation", "2.2 Data preprocessing", "2.3 Linear algebra", "2.4 Calculus",
    "2.5 Automatic differentiation", "3 Linear regression", "4 Softmax regression",
    "5 Multilayer perceptrons", "5.3 Forward and backward propagation", "Optimizers",
    "Learning-rate schedulers", "Dataset, DataLoader and transforms", "Dropout",
    "Batch normalization", "Saving and loading", "GPU placement",
)


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
        raise DocBlockError(
            f"{path.name}:{block.line}: the block printed output but has no ```output block:\n{stdout}"
        )
    diff = "\n".join(difflib.unified_diff(expected, actual, "```output", "printed", lineterm=""))
    raise DocBlockError(f"{path.name}:{block.line}: printed output differs from the ```output block:\n{diff}")


def run_file(path: Path) -> int:
    """Run every ```python block of ``path`` in one namespace; return how many ran."""
    namespace: dict = {"__name__": f"docs.{path.stem}"}
    blocks = parse(path)
    for block in blocks:
        stdout = io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout):
                exec(compile(block.code, str(path), "exec"), namespace)
        except Exception as err:
            frames = "".join(traceback.format_exception(err))
            raise DocBlockError(f"{path.name}:{block.line}: the python block raised {err!r}\n{frames}") from err
        check_output(block, stdout.getvalue(), path)
    return len(blocks)


def doc_files() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("path", doc_files(), ids=lambda p: p.name)
def test_doc_blocks_run_and_print_their_output(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert run_file(path) > 0


def test_guide_has_every_chapter():
    text = GUIDE.read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    missing = [s for s in GUIDE_SECTIONS if not any(h.startswith(s) for h in headings)]
    assert not missing
    assert (DOCS / "data" / "house_tiny.csv").is_file()
    assert len(parse(GUIDE)) >= 40


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_raising_block_fails_with_its_line_number(tmp_path):
    path = write(tmp_path, "# t\n\n```python\nx = 1\n```\n\ntext\n\n```python\ny = x +\n```\n")
    with pytest.raises(DocBlockError, match=r"page\.md:9: the python block raised SyntaxError"):
        run_file(path)
    path = write(tmp_path, "```python\nx = 1\n```\n\n```python\nassert x == 2\n```\n")
    with pytest.raises(DocBlockError, match=r"page\.md:5: .*AssertionError") as err:
        run_file(path)
    assert f'File "{path}", line 6' in str(err.value)


def test_wrong_or_unchecked_output_fails(tmp_path):
    path = write(tmp_path, "```python\nprint(1 + 1)\n```\n\n```output\n3\n```\n")
    with pytest.raises(DocBlockError, match=r"page\.md:1: printed output differs(.|\n)*-3\n\+2"):
        run_file(path)
    path = write(tmp_path, "```python\nprint('hi')\n```\n")
    with pytest.raises(DocBlockError, match=r"page\.md:1: the block printed output but has no ```output"):
        run_file(path)
    path = write(tmp_path, "```output\n1\n```\n")
    with pytest.raises(DocBlockError, match=r"page\.md:1: ```output block without"):
        run_file(path)


def test_blocks_share_a_namespace_and_varies_matches_any_text(tmp_path):
    text = (
        "```python\nimport time\nt = time.perf_counter()\n```\n\n"
        "```python\nprint(f'took {time.perf_counter() - t:.6f} s')\nprint('done')\n```\n\n"
        "```output\ntook <varies> s\ndone\n```\n\n```bash\nnot python\n```\n"
    )
    assert run_file(write(tmp_path, text)) == 2
    with pytest.raises(DocBlockError, match="differs"):
        run_file(write(tmp_path, text.replace("done\n```\n\n```bash", "finished\n```\n\n```bash")))
