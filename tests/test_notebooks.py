"""The guide as notebooks: generated from the markdown, and run in a real Jupyter kernel."""

import base64
import importlib.util
from pathlib import Path

import ipykernel  # noqa: F401 (the kernel the notebook runs in: part of the dev extra)
import nbformat
from nbclient import NotebookClient

from tests.helpers import training_xla_flags

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## 7 Convolutional networks"
WIDGET = "application/vnd.jupyter.widget-view+json"


def load_build():
    spec = importlib.util.spec_from_file_location("notebook_build", ROOT / "docs" / "notebooks" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notebooks_are_generated_from_the_markdown_and_up_to_date():
    build = load_build()
    assert build.build(check=True) == [], "run: python docs/notebooks/build.py"
    nb = nbformat.read(ROOT / "docs" / "notebooks" / "torch_to_jax.ipynb", as_version=4)
    nbformat.validate(nb)
    guide = (ROOT / "docs" / "torch_to_jax.md").read_text(encoding="utf-8")
    assert sum(cell.cell_type == "code" for cell in nb.cells) == guide.count("```python")
    assert not any("```output" in cell.source for cell in nb.cells)


def section_notebook() -> nbformat.NotebookNode:
    """The guide's CNN section (its code cells are self-contained), plus a cell comparing two runs."""
    build = load_build()
    nb = build.notebook((ROOT / "docs" / "torch_to_jax.md").read_text(encoding="utf-8"))
    start = next(i for i, cell in enumerate(nb.cells) if cell.source.startswith(SECTION))
    end = next(i for i in range(start + 1, len(nb.cells)) if nb.cells[i].source.startswith("## "))
    compare = nbformat.v4.new_code_cell(
        'from jaxdl import plots\nplots.plot_history({"sgd": cnn_result.history, "adam": cnn_result.history})'
    )
    nb.cells = [cell for cell in nb.cells[start:end] if cell.cell_type == "code"] + [compare]
    return nb


def images(cell) -> list[bytes]:
    return [base64.b64decode(out["data"]["image/png"]) for out in cell.outputs if "image/png" in out.get("data", {})]


def test_the_guide_runs_in_a_jupyter_kernel_with_progress_and_a_live_plot(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("XLA_FLAGS", training_xla_flags())  # the kernel trains a CNN over epochs
    nb = section_notebook()
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    summary_cell, fit_cell, compare_cell = nb.cells
    assert "Total params: 1,898" in "".join(out.get("text", "") for out in summary_cell.outputs)
    progress = [
        out
        for out in fit_cell.outputs
        if WIDGET in out.get("data", {}) or (out.get("name") == "stderr" and "8/8" in out["text"])
    ]
    assert progress, f"no progress output: {fit_cell.outputs}"
    live = images(fit_cell)
    assert len(live) == 1 and live[0][:4] == b"\x89PNG"  # one image, redrawn in place (update_display)
    assert "True" in "".join(out.get("text", "") for out in fit_cell.outputs if out.get("name") == "stdout")
    (figure,) = [out for out in compare_cell.outputs if out["output_type"] == "execute_result"]
    assert "image/png" in figure["data"]  # a returned figure renders as an image, not text
