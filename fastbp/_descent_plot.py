"""fastbp.plot.descent: optimizer paths drawn over the function they descend.

The paths come from :func:`fastbp.descent.paths`; this module only draws them
(contour, 3-D surface, or the 1-D curve with tangents) and animates them.
"""
import numpy as np

from fastbp._figures import pyplot
from fastbp._optional import require
from fastbp.descent import _function, paths


def descent(f, grad=None, x0=None, optimizers=("sgd", "momentum", "adam"), steps=100, lr=None,
            view="contour", animate=False, path=None, bounds=None, fps=20, max_frames=100,
            resolution=120):
    """Draw the paths of several optimizers descending ``f``.

    Parameters
    ----------
    f, grad, x0, optimizers, steps, lr
        As for :func:`fastbp.descent.paths`: a built-in surface by name
        (``"rosenbrock"``), a :class:`fastbp.descent.Surface`, or your own
        function of a point (with its gradient, else central differences).
    view : {"contour", "surface"}
        For 2-D functions: the paths over a contour plot, or over the 3-D
        surface.  1-D functions are drawn as a curve with each optimizer's
        points and the tangent at every step.
    animate : bool
        Write an animated GIF of the descent to ``path`` (needs Pillow).
    path : str or os.PathLike, optional
        Where to save: the GIF when ``animate``, else the figure (PNG, ...).
    bounds : sequence of (low, high), optional
        The window (default: the surface's, else the paths' extent).
    fps, max_frames : int
        The GIF's frame rate and at most how many frames it holds (steps
        are sampled evenly; the first and last are always shown).
    resolution : int
        Grid points per axis of the contour or surface.

    Returns
    -------
    (matplotlib.figure.Figure, dict {label: ndarray (n + 1, d)})
        The figure (one line per optimizer, labelled, in ``ax.lines``) and
        the paths.
    """
    if view not in ("contour", "surface"):
        raise ValueError(f"view must be 'contour' or 'surface', got {view!r}")
    if animate and path is None:
        raise ValueError("animate=True writes a GIF: give its file name as path")
    if animate:
        require("PIL", "an animated GIF")
    found = paths(f, grad, x0, optimizers, steps, lr)
    value, gradient, _, surface = _function(f, grad, x0)
    dim = next(iter(found.values())).shape[1]
    if dim not in (1, 2):
        raise ValueError(f"descent draws functions of 1 or 2 variables, got {dim}")
    window = _window(bounds, surface, found, dim)
    if dim == 1:
        fig, update = _draw_1d(value, gradient, found, window)
    elif view == "surface":
        fig, update = _draw_surface(value, found, window, resolution)
    else:
        fig, update = _draw_contour(value, found, window, resolution, surface)
    fig.axes[0].set_title(_title(surface, steps))
    if animate:
        _animate(fig, update, found, path, fps, max_frames, _title(surface, steps))
    elif path is not None:
        fig.savefig(path, dpi=100)
    return fig, found


def _title(surface, steps):
    return f"{surface.name if surface else 'f'}: {steps} steps"


def _window(bounds, surface, found, dim):
    if bounds is not None:
        window = tuple((float(lo), float(hi)) for lo, hi in bounds)
        if len(window) != dim or any(lo >= hi for lo, hi in window):
            raise ValueError(f"bounds must hold {dim} pairs (low, high) with low < high")
        return window
    if surface is not None:
        return surface.bounds
    points = np.concatenate(list(found.values()))
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * (hi - lo) + 0.5 * (hi == lo)
    return tuple(zip(lo - pad, hi + pad))


def _evaluate(value, points):
    """``value`` at a grid of points of shape (d, ...): vectorized if it can."""
    try:
        with np.errstate(all="ignore"):
            z = np.asarray(value(points), dtype=np.float64)
        if z.shape == points.shape[1:]:
            return z
    except Exception:  # a function of one point only: evaluate point by point
        pass
    flat = points.reshape(points.shape[0], -1).T
    return np.array([float(value(p)) for p in flat]).reshape(points.shape[1:])


def _grid(value, window, resolution):
    axes = [np.linspace(lo, hi, resolution) for lo, hi in window]
    gx, gy = np.meshgrid(*axes)
    return gx, gy, _evaluate(value, np.stack([gx, gy]))


def _levels(z):
    """Contour levels dense where the function is low (quantiles of the grid)."""
    finite = z[np.isfinite(z)]
    levels = np.unique(np.quantile(finite, np.linspace(0, 1, 30) ** 2))
    return levels if levels.size > 1 else 10


def _draw_contour(value, found, window, resolution, surface):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    gx, gy, z = _grid(value, window, resolution)
    ax.contour(gx, gy, z, levels=_levels(z), cmap="viridis", linewidths=0.7)
    if surface is not None and surface.minimum is not None:
        ax.scatter(*surface.minimum, marker="*", s=150, color="k", zorder=3)
    lines = []
    for label, pts in found.items():
        (line,) = ax.plot(pts[:, 0], pts[:, 1], "o-", markersize=2.5, linewidth=1.2, label=label)
        lines.append((line, pts))
    ax.set_xlim(*window[0])
    ax.set_ylim(*window[1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper right", fontsize="small")

    def update(k):
        for line, pts in lines:
            line.set_data(pts[: k + 1, 0], pts[: k + 1, 1])

    return fig, update


def _draw_surface(value, found, window, resolution):
    plt = pyplot()
    fig = plt.figure(figsize=(7, 5.5))
    ax = fig.add_subplot(projection="3d")
    gx, gy, z = _grid(value, window, min(resolution, 60))
    ax.plot_surface(gx, gy, z, cmap="viridis", alpha=0.55, linewidth=0, antialiased=True)
    lines = []
    for label, pts in found.items():
        height = _evaluate(value, pts.T.copy())
        (line,) = ax.plot(pts[:, 0], pts[:, 1], height, "o-", markersize=2, linewidth=1.5,
                          label=label, zorder=5)
        lines.append((line, pts, height))
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("f")
    ax.legend(loc="upper right", fontsize="small")

    def update(k):
        for line, pts, height in lines:
            line.set_data_3d(pts[: k + 1, 0], pts[: k + 1, 1], height[: k + 1])

    return fig, update


def _tangents(x, y, slope, window, y_span):
    """Segments of equal drawn length along the tangent at each point."""
    half = 0.06 * (window[0][1] - window[0][0])
    scale = (window[0][1] - window[0][0]) / y_span
    dx = half / np.sqrt(1 + (slope * scale) ** 2)
    return np.stack([np.c_[x - dx, y - slope * dx], np.c_[x + dx, y + slope * dx]], axis=1)


def _draw_1d(value, gradient, found, window):
    from matplotlib.collections import LineCollection

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    xs = np.linspace(*window[0], 400)
    ys = _evaluate(value, xs[None, :])
    ax.plot(xs, ys, color="0.4", linewidth=1.5, label="f")
    y_span = float(np.ptp(ys[np.isfinite(ys)])) or 1.0
    drawn = []
    for label, pts in found.items():
        x = pts[:, 0]
        y = _evaluate(value, x[None, :])
        slope = np.array([float(np.ravel(gradient(np.array([p])))[0]) for p in x])
        (line,) = ax.plot(x, y, "o-", markersize=4, linewidth=0.8, label=label)
        segments = _tangents(x, y, slope, window, y_span)
        tangents = LineCollection(segments, colors=line.get_color(), linewidths=1.2, alpha=0.7)
        ax.add_collection(tangents)
        drawn.append((line, tangents, x, y, segments))
    ax.set_xlim(*window[0])
    ax.set_ylim(np.nanmin(ys) - 0.1 * y_span, np.nanmax(ys) + 0.1 * y_span)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize="small")

    def update(k):
        for line, tangents, x, y, segments in drawn:
            line.set_data(x[: k + 1], y[: k + 1])
            tangents.set_segments(segments[k: k + 1])

    return fig, update


def _animate(fig, update, found, path, fps, max_frames, title):
    from matplotlib.animation import FuncAnimation, PillowWriter

    n = max(len(p) for p in found.values())
    frames = np.unique(np.linspace(0, n - 1, max(2, min(n, int(max_frames)))).round().astype(int))
    ax = fig.axes[0]

    def frame(k):
        update(int(k))
        ax.set_title(f"{title.rsplit(':', 1)[0]}: step {k} of {n - 1}")

    animation = FuncAnimation(fig, frame, frames=frames, blit=False, repeat=False)
    animation.save(path, writer=PillowWriter(fps=fps))
    update(n - 1)
    ax.set_title(title)
