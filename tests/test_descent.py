"""fastbp.descent (surfaces, paths), fastbp.plot.descent and `fastbp descent`."""
import pickle

import numpy as np
import pytest

import fastbp as fb
from fastbp import cli
from fastbp.descent import SURFACES, Surface, get_surface, numerical_gradient, paths


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.mark.parametrize("name", list(SURFACES))
def test_gradients_match_finite_differences(name):
    s = SURFACES[name]
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = np.array([rng.uniform(lo, hi) for lo, hi in s.bounds])
        np.testing.assert_allclose(s.grad(x), numerical_gradient(s, x), rtol=1e-6, atol=1e-5)
    assert s.x0.shape == (s.dim,) and all(lo < x < hi for x, (lo, hi) in zip(s.x0, s.bounds))
    if s.minimum is not None:
        np.testing.assert_allclose(s.grad(s.minimum), 0, atol=1e-3)
    clone = pickle.loads(pickle.dumps(s))
    assert clone(s.x0) == s(s.x0) and repr(clone) == repr(s)


def test_surfaces_evaluate_grids():
    s = get_surface("Rosenbrock")
    gx, gy = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(0, 2, 3))
    z = s(np.stack([gx, gy]))
    assert z.shape == (3, 4) and z[0, 0] == s([-1.0, 0.0])
    assert s.grad(np.stack([gx, gy])).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="unknown surface 'nope'"):
        get_surface("nope")
    with pytest.raises(ValueError, match="one coordinate per bound"):
        Surface("bad", abs, abs, (1.0, 2.0), ((0, 1),))


def test_paths_run_optimizer_step():
    race = paths("bowl", optimizers=["sgd", "adam"], steps=30, lr=0.1)
    assert list(race) == ["sgd", "adam"] and race["sgd"].shape == (31, 2)
    x, opt = SURFACES["bowl"].x0.copy(), fb.SGD(lr=0.1)
    for k in range(30):
        opt.step(x, SURFACES["bowl"].grad(x))
        np.testing.assert_array_equal(race["sgd"][k + 1], x)
    mine = paths(lambda p: (p[0] - 1) ** 2, x0=[3.0], optimizers={"gd": fb.SGD(0.25)}, steps=5)
    np.testing.assert_allclose(mine["gd"][:, 0], [3, 2, 1.5, 1.25, 1.125, 1.0625], rtol=1e-6)
    assert len(paths("saddle", optimizers="sgd", steps=5000, lr=0.5)["sgd"]) < 5001  # diverged
    with pytest.raises(ValueError, match="unknown optimizer 'foo'"):
        paths("bowl", optimizers=["foo"])
    with pytest.raises(ValueError, match="x0"):
        paths(lambda p: p[0] ** 2)
    with pytest.raises(ValueError, match="steps must be"):
        paths("bowl", steps=-1)


# --- figures ------------------------------------------------------------------------------
def test_contour_view_draws_one_labelled_path_per_optimizer(tmp_path):
    pytest.importorskip("matplotlib")
    from fastbp import plot

    names = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    fig, race = plot.descent("rosenbrock", optimizers=names, steps=50, path=tmp_path / "r.png")
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.lines] == names
    for line, pts in zip(ax.lines, race.values()):
        np.testing.assert_array_equal(line.get_xydata(), pts)
    assert ax.collections and ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == names
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_surface_view_is_3d():
    pytest.importorskip("matplotlib")
    from fastbp import plot

    fig, race = plot.descent("ravine", optimizers=["sgd", "adam"], steps=20, view="surface")
    ax = fig.axes[0]
    assert ax.name == "3d" and len(ax.lines) == 2 and ax.collections
    z = ax.lines[1].get_data_3d()[2]
    np.testing.assert_allclose(z, SURFACES["ravine"](race["adam"].T))


def test_one_dimensional_view_draws_tangents():
    pytest.importorskip("matplotlib")
    from fastbp import plot

    fig, race = plot.descent("double_well", optimizers=["sgd", "momentum"], steps=12)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.lines] == ["f", "sgd", "momentum"]
    tangents = ax.collections
    assert len(tangents) == 2 and all(len(c.get_segments()) == 13 for c in tangents)
    (a, b) = tangents[0].get_segments()[0]
    slope = (b[1] - a[1]) / (b[0] - a[0])
    assert slope == pytest.approx(SURFACES["double_well"].grad([2.0])[0])
    fig, _ = plot.descent(lambda p: np.cos(p[0]), x0=[0.5], optimizers=["sgd"], steps=3, lr=0.5)
    assert len(fig.axes[0].lines) == 2


def test_user_function_of_one_point():
    pytest.importorskip("matplotlib")
    from fastbp import plot

    def f(p):  # not vectorized: one point at a time
        return float(max(abs(p[0]), 0) ** 2 + (p[1] - 1) ** 2)

    fig, race = plot.descent(f, x0=[2.0, -1.0], optimizers=["adam"], steps=10, lr=0.2)
    assert race["adam"].shape == (11, 2) and len(fig.axes[0].lines) == 1
    with pytest.raises(ValueError, match="view must be"):
        plot.descent("bowl", view="top")
    with pytest.raises(ValueError, match="give its file name"):
        plot.descent("bowl", animate=True)


@pytest.mark.parametrize("name, view", [("beale", "contour"), ("bowl", "surface"),
                                        ("parabola", "contour")])
def test_animation_writes_a_gif(tmp_path, name, view):
    pytest.importorskip("matplotlib")
    Image = pytest.importorskip("PIL.Image")
    from fastbp import plot

    out = tmp_path / "race.gif"
    fig, race = plot.descent(name, steps=40, view=view, animate=True, path=out, max_frames=15)
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames == 15 and gif.is_animated
        assert gif.size == tuple(int(v) for v in fig.get_size_inches() * fig.dpi)
    assert out.stat().st_size > 10_000
    # after the animation the figure shows the whole paths again
    line = fig.axes[0].lines[-1]
    xs = line.get_data_3d()[0] if view == "surface" else line.get_xdata()
    np.testing.assert_array_equal(xs, race["adam"][:, 0])


def test_missing_pillow_names_the_extra(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    import sys

    from fastbp import plot

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install pillow  \(fastbp's 'plot' extra\)"):
        plot.descent("bowl", animate=True, path=tmp_path / "x.gif")


# --- command line -------------------------------------------------------------------------
def test_cli_writes_png_and_gif(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    Image = pytest.importorskip("PIL.Image")
    png, gif = tmp_path / "race.png", tmp_path / "race.gif"
    assert cli.main(["descent", "--surface", "rosenbrock", "--optimizers", "sgd,momentum,adam",
                     "--steps", "200", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "momentum    200 steps" in out and f"figure written to {png}" in out
    assert cli.main(["descent", "--surface", "double_well", "--optimizers", "sgd", "--steps",
                     "30", "--start", "1.5", "-o", str(gif)]) == 0
    with Image.open(gif) as im:
        assert im.n_frames == 31
    assert "animation written" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--surface", "nope"], "unknown --surface 'nope'"),
    (["--optimizers", "sgd,foo"], "unknown --optimizers foo"),
    (["--surface", "bowl", "--start", "1"], "--start needs 2 coordinates"),
    (["--lr", "-1"], "--lr must be > 0"),
])
def test_cli_errors_are_one_line(tmp_path, capsys, argv, message):
    status = cli.main(["descent", *argv, "-o", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and message in err


def test_cli_bad_start_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["descent", "--start", "a,b"])
    assert e.value.code == 2 and "comma-separated numbers" in capsys.readouterr().err
