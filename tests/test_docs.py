"""Every ```python block of README.md and docs/*.md but the guide runs and prints what its ```output block shows.

README.md and every page but the guide are read a section at a time: each block runs on its own, in a fresh
namespace and a fresh empty working folder, as a reader would paste it (tests/docblocks.py has the output
rules). The guide, docs/torch_to_jax.md, runs as a notebook in tests/test_guide.py: its own file, so the two
slowest parts of the docs run in parallel under xdist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docblocks import DOCS, GUIDE, README, DocBlockError, doc_files, parse, run_file

REFERENCE_PAGES = ("optim.md", "errors.md", "scale.md")
README_MAX_LINES = 200


@pytest.mark.parametrize("path", [p for p in doc_files() if p != GUIDE], ids=lambda p: p.name)
def test_doc_blocks_run_and_print_their_output(path, tmp_path, monkeypatch):
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
