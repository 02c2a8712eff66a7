"""The guide, docs/torch_to_jax.md, runs like a notebook and prints what its ```output blocks show.

Its blocks share one namespace, in order, run from the repository root (it reads no file of the repository,
so its notebook runs anywhere); tests/docblocks.py has the output rules.
"""

from __future__ import annotations

from tests.docblocks import GUIDE, ROOT, parse, run_file

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


def test_guide_blocks_run_as_a_notebook_and_print_their_output(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert run_file(GUIDE) > 0


def test_guide_has_every_chapter():
    text = GUIDE.read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    missing = [s for s in GUIDE_SECTIONS if not any(h.startswith(s) for h in headings)]
    assert not missing
    assert "docs/" not in "".join(block.code for block in parse(GUIDE))  # the notebook runs outside the checkout
    assert len(parse(GUIDE)) >= 40
