"""The course plot helpers (dlref.plot): regions that match the classifier, boundaries,
histories, image grids, clear errors, and no matplotlib import on `import dlref`."""
import subprocess
import sys
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

from dlref import plot
from dlref.neuron import perceptron_predict

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    yield ax
    plt.close(fig)


def rendered_colour(ax, point):
    """The RGB colour drawn at data coordinates ``point`` of ``ax``."""
    fig = ax.figure
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255
    px, py = ax.transData.transform(point)
    return img[int(round(img.shape[0] - py)), int(round(px))]


def three_classes(p):
    p = np.asarray(p)
    return np.where(p[:, 0] < -0.3, 0, np.where(p[:, 1] < 0.2, 1, 2))


@pytest.mark.parametrize("predict, k", [
    (lambda p: perceptron_predict(p, np.array([1.0, 1.0]), -1.5), 2),   # AND
    (three_classes, 3),
])
def test_regions_drawn_match_predict(ax, predict, k):
    X = np.array([[-0.9, -0.9], [0.9, -0.9], [0.9, 0.9]])
    y = predict(X)
    plot.decision_regions(ax, predict, X, y, lims=(-1, 1.5))
    shades = plot.region_colors(k)
    grid = np.linspace(-0.8, 1.3, 8)
    probes = np.array([[a, b] for a in grid for b in grid])
    far = np.min(np.linalg.norm(probes[:, None] - X[None], axis=-1), axis=1) > 0.2
    labels = predict(probes)
    checked = 0
    for point, label in zip(probes[far], labels[far]):
        # skip probes next to a region border, where the edge is anti-aliased
        near = predict(point + 0.05 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]]))
        if np.all(near == label):
            np.testing.assert_allclose(rendered_colour(ax, point), to_rgb(shades[label]),
                                       atol=2 / 255, err_msg=f"at {point}")
            checked += 1
    assert checked > 30
    assert len(set(map(tuple, shades))) == k


def test_points_differ_in_colour_and_marker(ax):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    plot.decision_regions(ax, three_classes, X, [0, 1, 1, 2], class_names=["a", "b", "c"])
    scatters = ax.collections[1:]
    assert len(scatters) == 3
    colours = [matplotlib.colors.to_hex(s.get_facecolor()[0]) for s in scatters]
    assert colours == [c.lower() for c in plot.CLASS_COLORS[:3]]
    paths = [s.get_paths()[0].vertices.tobytes() for s in scatters]
    assert len(set(paths)) == 3                       # three different marker shapes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x_1$", "$x_2$")


def test_palette_is_distinct():
    assert len(set(plot.CLASS_COLORS)) == len(plot.CLASS_COLORS) == len(plot.MARKERS)
    assert len(set(plot.MARKERS)) == len(plot.MARKERS)
    assert set(plot.CLASS_COLORS) <= set(plot.PALETTE.values())
    assert plot.region_colors(2) == list(plot.REGION_COLORS)


def test_boundary_line_slanted_and_vertical(ax):
    ax.set(xlim=(-1, 2), ylim=(-1, 2))
    slanted = plot.boundary_line(ax, [1.0, 2.0], -1.0)
    (x0, y0), slope = slanted.get_xy1(), slanted.get_slope()
    for x in (-1.0, 0.5, 2.0):                        # points of the line satisfy w.x + b = 0
        assert 1.0 * x + 2.0 * (y0 + slope * (x - x0)) - 1.0 == pytest.approx(0)
    vertical = plot.boundary_line(ax, [2.0, 0.0], -2.0, ls="--")
    assert list(vertical.get_xdata()) == [1.0, 1.0]
    assert vertical.get_linestyle() == "--"


def test_vertical_boundary_in_decision_regions(ax):
    w, b = np.array([-1.0, 0.0]), 1.0                 # where chapter 1's XOR perceptron stops
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    plot.decision_regions(ax, lambda p: perceptron_predict(p, w, b), X, [0, 1, 1, 0],
                          lims=(-0.5, 1.5), lines=[(w, b)])
    assert list(ax.get_lines()[0].get_xdata()) == [1.0, 1.0]
    assert ax.get_xlim() == (-0.5, 1.5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(X=np.zeros((4, 3)), y=[0, 1, 1, 0]), r"shape \(n, 2\)"),
    (dict(X=np.zeros(4), y=[0, 1, 1, 0]), "dimensions"),
    (dict(X=np.zeros((4, 2)), y=[0, 1, 1]), "one label per row"),
    (dict(X=np.zeros((4, 2)), y=[0, 1, 1, -1]), "class labels"),
    (dict(X=np.zeros((4, 2)), y=[0, 1, 1, 0], lines=(np.ones(2), 0.5)), r"shape \(2,\)"),
    (dict(X=np.zeros((4, 2)), y=[0, 1, 1, 0], lims=(1, 0)), "lo < hi"),
    (dict(X=np.zeros((4, 2)), y=[0, 1, 1, 0], lims=(0, 1, 2)), "lo < hi"),
])
def test_bad_input_raises_clear_error(ax, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot.decision_regions(ax, three_classes, **kwargs)


def test_predict_returning_probabilities_is_refused(ax):
    with pytest.raises(ValueError, match="one label per point"):
        plot.decision_regions(ax, lambda p: np.ones((len(p), 2)), np.zeros((2, 2)), [0, 1])


def test_zero_weights_have_no_line(ax):
    with pytest.raises(ValueError, match="no line"):
        plot.boundary_line(ax, [0.0, 0.0], 1.0)


def test_history_plots_train_and_validation():
    logs = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6],
            "accuracy": [0.6, 0.8, 0.9]}
    fig, axes = plt.subplots(1, 2)
    plot.history(axes, SimpleNamespace(history=logs), metrics=("loss", "accuracy"))
    loss_lines, acc_lines = axes[0].get_lines(), axes[1].get_lines()
    assert [line.get_label() for line in loss_lines] == ["train", "validation"]
    np.testing.assert_array_equal(loss_lines[0].get_ydata(), logs["loss"])
    np.testing.assert_array_equal(loss_lines[1].get_ydata(), logs["val_loss"])
    np.testing.assert_array_equal(loss_lines[0].get_xdata(), [1, 2, 3])
    assert len(acc_lines) == 1 and list(acc_lines[0].get_ydata()) == logs["accuracy"]
    assert (axes[0].get_xlabel(), axes[0].get_ylabel()) == ("epoch", "loss")
    assert axes[0].get_legend() is not None
    with pytest.raises(KeyError, match="holds"):
        plot.history(axes[0], logs, metrics="mae")
    with pytest.raises(ValueError, match="one Axes per metric"):
        plot.history(axes[0], logs, metrics=("loss", "accuracy"))
    plt.close(fig)


def test_loss_curve_one_line_per_series(ax):
    plot.loss_curve(ax, {"AND": [1, 3, 0], "XOR": [2, 2, 2]}, xlabel="epoch", markers=True)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["AND", "XOR"]
    assert lines[0].get_marker() != lines[1].get_marker()
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2, 3])
    assert ax.get_xlabel() == "epoch"


def test_image_grid_layout_and_errors():
    images = np.arange(12 * 8 * 8, dtype=np.uint8).reshape(12, 8, 8, 1)
    fig = plot.image_grid(images, labels=list(range(12)), ncols=5)
    assert len(fig.axes) == 15
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 12
    assert shown[7].get_title() == "7"
    np.testing.assert_array_equal(shown[3].get_images()[0].get_array(), images[3, ..., 0])
    assert shown[0].get_images()[0].get_cmap().name == "gray"
    plt.close(fig)
    with pytest.raises(ValueError, match="grey-scale"):
        plot.image_grid(np.zeros((3, 8, 8, 3)))
    with pytest.raises(ValueError, match="labels"):
        plot.image_grid(np.zeros((3, 8, 8)), labels=[1, 2])


def test_import_dlref_does_not_import_matplotlib():
    code = "import dlref, dlref.plot, sys; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
