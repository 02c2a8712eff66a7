"""Figures in a real Jupyter kernel behave like pyplot's: shown where made, at ``plt.show()``, in loops, once each."""

import ipykernel  # noqa: F401 (the kernel the notebook runs in: part of the dev extra)
import nbformat
from nbclient import NotebookClient

CELLS = (
    'from jaxdl import plots\nfor name in ("relu", "sigmoid", "tanh"):\n    plots.plot_activation(name)',
    'import matplotlib.pyplot as plt\nfig = plots.plot_activation("relu")\nplt.show()\nprint("after show")',
    'plots.plot_history({"train_loss": [1.0, 0.5], "test_loss": [1.1, 0.7]})\nprint("printed")',
    'plots.plot_activation("tanh")',
    'figure = plots.plot_activation("sigmoid")\nfigure',
    'print("no figure here")',
)


def kinds(cell) -> list[str]:
    """The cell's outputs in order: "png" for an image, "text" for printed text."""
    out = []
    for output in cell.outputs:
        if "image/png" in output.get("data", {}):
            out.append("png")
        elif output.get("name") == "stdout":
            out.append("text")
    return out


def test_figures_show_where_made_at_plt_show_in_loops_and_once_as_a_cells_value(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    loop, shown, printed, value, named_value, plain = nb.cells
    assert kinds(loop) == ["png", "png", "png"]
    assert kinds(shown) == ["png", "text"]  # plt.show() draws it before the next print
    assert kinds(printed) == ["text", "png"]  # not the cell's value: shown when the cell ends
    assert kinds(value) == ["png"] and value.outputs[0]["output_type"] == "execute_result"
    assert kinds(named_value) == ["png"]
    assert kinds(plain) == ["text"]  # figures of earlier cells do not come back
