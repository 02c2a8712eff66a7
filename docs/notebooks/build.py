"""Generate the guide's notebooks (``docs/notebooks/*.ipynb``) from its markdown with jupytext.

The markdown page is the one source: ``python docs/notebooks/build.py`` rewrites the notebooks,
``--check`` fails when one is out of date (tests/test_notebooks.py runs the check). Each
```python block becomes a code cell, the prose between blocks and the shell blocks (```bash)
markdown cells; the ```output blocks are left out (running the notebook prints them). The guide reads no file
of the repository, so a notebook runs on its own (Colab included).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent
GUIDES = ("torch_to_jax",)
"""The pages of docs/ that read as notebooks (their blocks share one namespace, in order)."""

OUTPUT_BLOCK = re.compile(r"^```output\n.*?^```\n?", re.S | re.M)
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def notebook(markdown: str) -> nbformat.NotebookNode:
    """The notebook of one guide page's ``markdown`` text (nbformat 4)."""
    nb = jupytext.reads(OUTPUT_BLOCK.sub("", markdown), fmt="md")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith("%%"):
            language, _, body = cell.source[2:].partition("\n")
            cell = nb.cells[index] = nbformat.v4.new_markdown_cell(f"```{language}\n{body}\n```")
        cell.id, cell.metadata = f"cell-{index}", {}
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    return nb


def text_of(nb: nbformat.NotebookNode) -> str:
    """The ``.ipynb`` file text of ``nb`` (stable: no cell ids or outputs that change)."""
    return nbformat.writes(nb, version=4) + "\n"


def build(check: bool = False) -> list[Path]:
    """Write each guide's notebook into this folder; with ``check``, return the stale ones instead."""
    stale = []
    for name in GUIDES:
        target = HERE / f"{name}.ipynb"
        text = text_of(notebook((DOCS / f"{name}.md").read_text(encoding="utf-8")))
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not check:
            target.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that differ from the markdown")
    args = parser.parse_args(argv)
    stale = build(check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path.relative_to(DOCS.parent)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
