"""Every ```python block of README.md and docs/*.md runs and prints what its ```output block shows.

Two ways a page is run:
  * the guide (docs/torch_to_jax.md) reads like a notebook: its blocks share one namespace, in
    order, run from the repository root (it reads no file of the repository, so its notebook runs anywhere);
  * README.md and every other page are read a section at a time: each block runs on its own, in a
    fresh namespace and a fresh empty working folder, as a reader would paste it, so a block that
    needs a name or a file from another block fails.
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

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
GUIDE = DOCS / "torch_to_jax.md"
NOTEBOOK_PAGES = (GUIDE,)
REFERENCE_PAGES = ("optim.md", "errors.md", "scale.md")
README_MAX_LINES = 200
VARIES = "<varies>"
GUIDE_SECTIONS = (
    "2.1 Data manipulation",
    "2.2 Data preprocessing",
    "2.3 Linear algebra",
    "2.4 Calculus",
    "2.5 Automatic differentiation",
    "3 Linear regression",
    "4 Softmax regression",
    "5 Multilayer perceptrons",
    "5.3 Forward and backward propagation",
    "Optimizers",
    "Learning-rate schedulers",
    "Dataset, DataLoader and transforms",
    "Dropout",
    "Batch normalization",
    "Saving and loading",
    "GPU placement",
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


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: p.name)
def test_doc_blocks_run_and_print_their_output(path, tmp_path, monkeypatch):
    if path in NOTEBOOK_PAGES:
        monkeypatch.chdir(ROOT)
        ran = run_file(path)
    else:
        monkeypatch.chdir(tmp_path)
        ran = run_file(path, shared=False, workdir=tmp_path / "blocks")
    assert ran > 0, f"{path.name} has no ```python block"


def test_readme_introduces_in_few_lines_and_its_blocks_are_tested():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    assert len(parse(README)) >= 2
    assert 'pip install -e ".[dev]"' in text and "python -m pytest" in text


def test_reference_pages_exist_and_have_runnable_blocks():
    for name in REFERENCE_PAGES:
        assert DOCS / name in doc_files(), f"docs/{name} is missing or has no ```python block"


LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", [README, *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_relative_links_point_to_files_in_the_repository(path):
    missing = []
    for target in LINK.findall(CODE.sub("", path.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        if not (path.parent / target.split("#")[0]).exists():
            missing.append(target)
    assert not missing, f"{path.name} links to files that do not exist: {missing}"


def test_guide_has_every_chapter():
    text = GUIDE.read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    missing = [s for s in GUIDE_SECTIONS if not any(h.startswith(s) for h in headings)]
    assert not missing
    assert "docs/" not in "".join(block.code for block in parse(GUIDE))  # the notebook runs outside the checkout
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


def test_separate_blocks_get_fresh_namespaces_and_fresh_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = "```python\nx = 1\nopen('made.txt', 'w').close()\n```\n\n```python\ny = x\n```\n"
    path = write(tmp_path, text)
    assert run_file(path, shared=True) == 2 and (tmp_path / "made.txt").exists()
    (tmp_path / "made.txt").unlink()
    with pytest.raises(DocBlockError, match=r"page\.md:6: the python block raised NameError"):
        run_file(path, shared=False, workdir=tmp_path / "blocks")
    assert (tmp_path / "blocks" / "page-line1" / "made.txt").exists()
    assert not (tmp_path / "made.txt").exists() and Path.cwd() == tmp_path
    reads = write(tmp_path, "```python\nopen('made.txt').read()\n```\n")
    with pytest.raises(DocBlockError, match="FileNotFoundError"):
        run_file(reads, shared=False, workdir=tmp_path / "again")
