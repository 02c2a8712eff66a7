"""Figures: learning curves and image grids with true / predicted titles."""

import numpy as np
import pytest

from jaxdl.plots import plot_history, show_images


def test_plot_history_draws_train_and_test_curves():
    history = {
        "train_loss": [1.0, 0.5, 0.3],
        "test_loss": [1.1, 0.7, 0.6],
        "train_acc": [0.5, 0.8, 0.9],
        "test_acc": [0.4, 0.7, 0.8],
        "epoch_time": [1.0, 0.1, 0.1],
    }
    fig = plot_history(history)
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train loss", "test loss"]
    np.testing.assert_array_equal(acc_ax.get_lines()[1].get_ydata(), [0.4, 0.7, 0.8])


def test_show_images_marks_wrong_predictions():
    names = ("t-shirt", "trouser", "pullover")
    fig = show_images(np.zeros((3, 4, 4, 1)), [0, 1, 2], class_names=names, predictions=[0, 2, 2])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["t-shirt", "true trouser, pred pullover", "pullover"]
    assert fig.axes[1].title.get_color() == "red"


def test_a_returned_figure_renders_as_png_in_ipython_not_as_text():
    from IPython.core.formatters import DisplayFormatter

    fig = plot_history({"train_loss": [1.0, 0.5], "test_loss": [1.1, 0.7]})
    data, _ = DisplayFormatter().format(fig)
    assert data["image/png"][:4] == b"\x89PNG"


def test_plot_history_draws_several_runs_on_shared_axes_with_a_legend_by_run():
    sgd = {"train_loss": [1.0, 0.8], "test_loss": [1.1, 0.9], "train_acc": [0.5, 0.6], "test_acc": [0.4, 0.5]}
    adam = {"train_loss": [0.7, 0.3], "test_loss": [0.8, 0.5], "train_acc": [0.7, 0.9], "test_acc": [0.6, 0.8]}
    for runs, names in (({"sgd": sgd, "adam": adam}, ("sgd", "adam")), ([sgd, adam], ("run 0", "run 1"))):
        fig = plot_history(runs)
        loss_ax, acc_ax = fig.axes
        labels = [line.get_label() for line in loss_ax.get_lines()]
        assert labels == [
            f"{names[0]} train loss",
            f"{names[0]} test loss",
            f"{names[1]} train loss",
            f"{names[1]} test loss",
        ]
        lines = loss_ax.get_lines()
        assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()  # one colour per run
        np.testing.assert_array_equal(acc_ax.get_lines()[3].get_ydata(), [0.6, 0.8])
        assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == labels


def test_plot_history_draws_validation_curves_and_refuses_what_is_not_a_history():
    from jaxdl.errors import ConfigError

    fig = plot_history({"train_loss": [1.0], "val_loss": [1.2], "test_loss": [1.3]})
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train loss", "val loss", "test loss"]
    with pytest.raises(ConfigError, match="history"):
        plot_history([1.0, 0.5])


def test_live_plot_outside_a_notebook_draws_nothing_but_keeps_the_curves(monkeypatch):
    import IPython.display

    from jaxdl.callbacks import LivePlot, TrainInfo

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: pytest.fail("displayed outside a notebook"))
    live = LivePlot(min_interval=0.0)
    live.on_train_begin(TrainInfo(total_epochs=2, first_epoch=1, steps_per_epoch=1, label="fit"))
    history = {"train_loss": [1.0, 0.5], "test_loss": [1.1, 0.6]}
    live.on_epoch_end(2, {"train_loss": 0.5, "test_loss": 0.6}, None, history)
    np.testing.assert_array_equal(live.figure.axes[0].get_lines()[0].get_ydata(), [1.0, 0.5])
