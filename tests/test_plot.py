"""fastbp.plot: the figures' content (lines, images, points), not pixels."""
import sys

import numpy as np
import pytest
from helpers import run_python

import fastbp as fb
from fastbp.datasets import spirals

pytest.importorskip("matplotlib")
from fastbp import plot  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_loss_curve_draws_the_history():
    h = fb.History()
    h.loss, h.val_loss = [0.9, 0.5, 0.3], [1.0, 0.7, 0.6]
    fig = plot.loss_curve(h)
    train, val = fig.axes[0].lines
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(train.get_ydata(), h.loss)
    np.testing.assert_array_equal(val.get_ydata(), h.val_loss)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["training loss",
                                                                             "validation loss"]
    h.val_loss = []
    assert len(plot.loss_curve(h, log_scale=True).axes[0].lines) == 1
    with pytest.raises(ValueError, match="no epochs"):
        plot.loss_curve(fb.History())


def test_loss_curve_on_a_given_axes_returns_its_figure():
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    h = fb.History()
    h.loss = [1.0, 0.5]
    assert plot.loss_curve(h, ax=b) is fig and len(b.lines) == 1 and not a.lines


def test_decision_boundary_of_a_known_softmax_network():
    # o0 > o1 exactly where x0 > x1: class 0 below the diagonal, class 1 above
    net = fb.MLP([2, 2], output="softmax", loss="cross_entropy", hidden=[])
    net.weights[0][...] = [[1, -1], [-1, 1]]
    X = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 1.0]])
    fig = plot.decision_boundary(net, X, [0, 1, 0], resolution=50, padding=0.0)
    ax = fig.axes[0]
    regions = ax.images[0].get_array()
    g = np.linspace(0, 2, 50)  # row i is y = g[i], column j is x = g[j]; ties go to class 0
    np.testing.assert_array_equal(regions, (g[None, :] < g[:, None]).astype(int))
    assert ax.images[0].get_extent() == [0, 2, 0, 2]
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), X)


def test_decision_boundary_of_a_single_sigmoid_output():
    net = fb.MLP([2, 1], hidden=[], output="sigmoid")
    net.weights[0][...] = [[1], [1]]
    net.biases[0][...] = [-1]   # class 1 where x0 + x1 > 1
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    regions = plot.decision_boundary(net, X, [0, 1], resolution=11,
                                     padding=0.0).axes[0].images[0].get_array()
    g = np.linspace(0, 1, 11)
    expected = (g[None, :] + g[:, None] > 1 + 1e-12).astype(int)
    off_line = np.abs(g[None, :] + g[:, None] - 1) > 1e-9
    np.testing.assert_array_equal(regions[off_line], expected[off_line])


def test_decision_boundary_refuses_other_inputs():
    with pytest.raises(ValueError, match="needs a network with 2 inputs, this one has 3"):
        plot.decision_boundary(fb.MLP([3, 2]), np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="one label per row of X"):
        plot.decision_boundary(fb.MLP([2, 2]), np.zeros((2, 2)), [0, 1, 1])


def test_compare_optimizers_draws_each_optimizers_own_run():
    X, y = spirals(n_per_class=30, n_classes=2, seed=0)
    kwargs = dict(hidden="tanh", output="softmax", loss="cross_entropy")
    fig = plot.compare_optimizers(X, y, [2, 8, 2], epochs=5, batch_size=16, seed=3, **kwargs)
    ax = fig.axes[0]
    labels = list(plot.default_optimizers())
    assert [ln.get_label() for ln in ax.lines] == labels and len(labels) == 5
    for line, opt in zip(ax.lines, plot.default_optimizers().values()):
        h = fb.MLP([2, 8, 2], seed=3, **kwargs).fit(X, y, optimizer=opt, epochs=5, batch_size=16,
                                                     shuffle=True, seed=3)
        np.testing.assert_array_equal(line.get_ydata(), h.loss)
    # the optimizers really differ
    assert len({tuple(ln.get_ydata()) for ln in ax.lines}) == 5
    fig = plot.compare_optimizers(X, y, [2, 8, 2], optimizers={"adam": fb.Adam(0.01)}, epochs=3,
                                  validation_data=(X, y), **kwargs)
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["adam", "adam, validation"]
    with pytest.raises(ValueError, match="optimizers is empty"):
        plot.compare_optimizers(X, y, [2, 2], optimizers={})


def test_regularization_grid_trains_every_cell():
    X, y = spirals(n_per_class=25, n_classes=2, seed=0)
    fig = plot.regularization_grid(X, y, hidden_sizes=(2, 8), alphas=(0.0, 0.1), epochs=20,
                                   resolution=20)
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split(":")[0] for t in titles] == ["hidden 2, alpha 0", "hidden 2, alpha 0.1",
                                                  "hidden 8, alpha 0", "hidden 8, alpha 0.1"]
    # the last cell, trained independently
    net = fb.MLP([2, 8, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    net.fit(X, y, optimizer=fb.Adam(lr=0.01), epochs=20, batch_size=32, alpha=0.1, shuffle=True,
            seed=0)
    acc = (net.forward(X).argmax(1) == y).mean()
    assert titles[3].endswith(f"acc {acc:.2f}")
    g0 = np.linspace(X[:, 0].min() - 0.25 * np.ptp(X[:, 0]),
                     X[:, 0].max() + 0.25 * np.ptp(X[:, 0]), 20)
    g1 = np.linspace(X[:, 1].min() - 0.25 * np.ptp(X[:, 1]),
                     X[:, 1].max() + 0.25 * np.ptp(X[:, 1]), 20)
    gx, gy = np.meshgrid(g0, g1)
    want = net.forward(np.c_[gx.ravel(), gy.ravel()]).argmax(1).reshape(20, 20)
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), want)
    with pytest.raises(ValueError, match="integer class labels"):
        plot.regularization_grid(X, y.astype(float))


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    h = fb.History()
    h.loss = [1.0]
    with pytest.raises(ImportError, match=r"pip install matplotlib  \(fastbp's 'plot' extra\)"):
        plot.loss_curve(h)


def test_headless_plotting_uses_agg(tmp_path):
    code = ("import fastbp as fb, fastbp.plot as p, matplotlib; h = fb.History(); "
            "h.loss = [1.0, 0.5]; p.loss_curve(h).savefig('x.png'); "
            "print(matplotlib.get_backend())")
    out = run_python(["-c", code], tmp_path, env_drop=("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "agg"
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_activations_histograms_per_layer():
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    net = fb.MLP([4, 6, 6, 2], hidden="tanh", output="identity", seed=0)
    X, Y = rng.normal(size=(50, 4)), rng.normal(size=(50, 2))
    fig = fb.plot.activations(net, X)
    assert len(fig.axes) == 3
    # each panel's bars count every activation of its layer
    heights = [sum(p.get_height() for p in ax.patches) for ax in fig.axes]
    assert heights == [50 * 6, 50 * 6, 50 * 2]
    o1 = np.tanh(X @ net.weights[0] + net.biases[0])
    assert fig.axes[0].get_title() == f"layer 1: mean {o1.mean():.2g}\nstd {o1.std():.2g}"
    fig = fb.plot.activations(net, X, Y)
    assert len(fig.axes) == 6 and fig.axes[3].get_ylabel() == "dE/dI"
    d3 = net.forward(X) - Y  # identity output, squared loss: dE/dI = o - t
    assert fig.axes[5].get_title() == f"layer 3: mean {d3.mean():.2g}\nstd {d3.std():.2g}"
    with pytest.raises(ValueError, match="X has 3 features"):
        fb.plot.activations(net, X[:, :3])
