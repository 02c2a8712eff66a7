"""MkDocs hook: the site has the repository's layout, with README.md as its home page.

The pages link to each other as files in the repository do (README.md to ``docs/cli.md``, ``docs/cli.md`` to
``../benchmarks/README.md``), so that the links work where the files are read. MkDocs only knows the pages
under ``docs_dir``; this hook moves them to ``docs/`` in the site and adds the pages that live elsewhere in the
repository. Every relative link then means the same file in the repository and in the site, and
``mkdocs build --strict`` checks them all.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_DOCS = ("README.md", "benchmarks/README.md", "benchmarks/results")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """The files of ``docs_dir`` under ``docs/``, plus ``OUTSIDE_DOCS``, each at its repository path."""
    docs = Path(config.docs_dir).resolve()
    moved = Files([])
    for file in files:
        if file.src_dir is not None and Path(file.src_dir).resolve() == docs:
            file = _at(f"{docs.relative_to(ROOT).as_posix()}/{file.src_uri}", config, file.inclusion)
        moved.append(file)
    for name in OUTSIDE_DOCS:
        path = ROOT / name
        for found in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
            moved.append(_at(found.relative_to(ROOT).as_posix(), config, InclusionLevel.UNDEFINED))
    return moved


def _at(src_uri: str, config: MkDocsConfig, inclusion: InclusionLevel) -> File:
    return File(src_uri, str(ROOT), config.site_dir, config.use_directory_urls, inclusion=inclusion)
