"""Figures: learning curves and image grids with true / predicted titles."""

import numpy as np

from jaxdl.plots import plot_history, show_images


def test_plot_history_draws_train_and_test_curves():
    history = {"train_loss": [1.0, 0.5, 0.3], "test_loss": [1.1, 0.7, 0.6],
               "train_acc": [0.5, 0.8, 0.9], "test_acc": [0.4, 0.7, 0.8], "epoch_time": [1.0, 0.1, 0.1]}
    fig = plot_history(history)
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train loss", "test loss"]
    np.testing.assert_array_equal(acc_ax.get_lines()[1].get_ydata(), [0.4, 0.7, 0.8])


def test_show_images_marks_wrong_predictions():
    names = ("t-shirt", "trouser", "pullover")
    fig = show_images(np.zeros((3, 4, 4, 1)), [0, 1, 2], class_names=names, predictions=[0, 2, 2])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["t-shirt", "trouser / pullover", "pullover"]
    assert fig.axes[1].title.get_color() == "red"
