"""Loss surfaces and optimizer paths: the lecture's pictures of gradient descent,
without matplotlib (``fastbp.plot.descent`` draws them).

A :class:`Surface` is a small picklable object: a function of a point with its
gradient, a default start and a plotting window.  :func:`paths` runs fastbp's
optimizers on it through :meth:`fastbp.Optimizer.step` and returns the points
each one visits::

    from fastbp.descent import paths
    race = paths("ravine", optimizers=["sgd", "momentum", "adam"], steps=100)
    race["adam"][-1]      # where Adam is after 100 steps

Functions take a point ``x`` whose first axis holds the coordinates: shape
(d,) for one point, or (d, ...) for a grid of points (``np.stack([gx, gy])``).
"""
import numpy as np

from fastbp.optimizers import NAMED, Optimizer

__all__ = ["Surface", "SURFACES", "get_surface", "paths", "numerical_gradient"]


# --- the functions: value and gradient of x[0], x[1] (any trailing shape) ----------------
def _bowl(x):
    return x[0] ** 2 + x[1] ** 2


def _bowl_grad(x):
    return np.stack([2 * x[0], 2 * x[1]])


RAVINE_CURVATURE = 100.0  # the ravine's y curvature over its x curvature


def _ravine(x):
    return 0.5 * (x[0] ** 2 + RAVINE_CURVATURE * x[1] ** 2)


def _ravine_grad(x):
    return np.stack([x[0], RAVINE_CURVATURE * x[1]])


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _rosenbrock_grad(x):
    inner = x[1] - x[0] ** 2
    return np.stack([-2 * (1 - x[0]) - 400 * x[0] * inner, 200 * inner])


_BEALE = (1.5, 2.25, 2.625)


def _beale(x):
    return sum((c - x[0] + x[0] * x[1] ** k) ** 2 for k, c in enumerate(_BEALE, 1))


def _beale_grad(x):
    gx = gy = 0
    for k, c in enumerate(_BEALE, 1):
        r = c - x[0] + x[0] * x[1] ** k
        gx = gx + 2 * r * (x[1] ** k - 1)
        gy = gy + 2 * r * k * x[0] * x[1] ** (k - 1)
    return np.stack([gx, gy])


def _saddle(x):
    return x[0] ** 2 - x[1] ** 2


def _saddle_grad(x):
    return np.stack([2 * x[0], -2 * x[1]])


def _parabola(x):
    return x[0] ** 2


def _parabola_grad(x):
    return np.stack([2 * x[0]])


def _double_well(x):
    return x[0] ** 4 - 3 * x[0] ** 2 + x[0]


def _double_well_grad(x):
    return np.stack([4 * x[0] ** 3 - 6 * x[0] + 1])


class Surface:
    """A function to descend, with its gradient, start point and window.

    Parameters
    ----------
    name : str
    value, gradient : callable
        ``value(x)`` and ``gradient(x)`` of a point ``x`` of shape (d,), or of a
        grid of shape (d, ...); module-level functions keep the surface picklable.
    x0 : sequence of float
        The default start, length d (1 or 2).
    bounds : sequence of (low, high)
        The plotting window, one pair per coordinate.
    minimum : sequence of float or None
        The global minimum, if there is one.
    lr : dict {optimizer name: float}
        Learning rates that suit this surface for the named optimizers.
    """

    def __init__(self, name, value, gradient, x0, bounds, minimum=None, lr=None):
        self.name = name
        self.value = value
        self.gradient = gradient
        self.x0 = np.asarray(x0, dtype=np.float64)
        self.bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
        self.minimum = None if minimum is None else np.asarray(minimum, dtype=np.float64)
        self.lr = dict(lr or {})
        if self.x0.shape != (len(self.bounds),):
            raise ValueError(f"x0 needs one coordinate per bound ({len(self.bounds)})")

    @property
    def dim(self):
        """The number of coordinates (1 or 2)."""
        return len(self.bounds)

    def __call__(self, x):
        return self.value(np.asarray(x, dtype=np.float64))

    def grad(self, x):
        """The gradient at ``x`` (shape like ``x``)."""
        return self.gradient(np.asarray(x, dtype=np.float64))

    def __repr__(self):
        return f"Surface({self.name!r}, x0={self.x0.tolist()}, bounds={list(self.bounds)})"


def _rates(sgd, momentum, adaptive):
    return {"sgd": sgd, "momentum": momentum, "nesterov": momentum, "adagrad": adaptive,
            "rmsprop": adaptive / 5, "adam": adaptive / 5}


SURFACES = {s.name: s for s in [
    Surface("bowl", _bowl, _bowl_grad, (-4.0, 3.0), ((-5, 5), (-5, 5)), (0.0, 0.0),
            _rates(0.1, 0.02, 1.0)),
    Surface("ravine", _ravine, _ravine_grad, (-4.5, 1.5), ((-5, 5), (-2, 2)), (0.0, 0.0),
            _rates(0.019, 0.01, 0.5)),
    Surface("rosenbrock", _rosenbrock, _rosenbrock_grad, (-1.2, 1.0), ((-2, 2), (-1, 3)),
            (1.0, 1.0), {**_rates(0.001, 0.0003, 0.3), "rmsprop": 0.005, "adam": 0.05}),
    Surface("beale", _beale, _beale_grad, (1.0, 1.5), ((-4.5, 4.5), (-4.5, 4.5)), (3.0, 0.5),
            _rates(0.005, 0.001, 0.5)),
    Surface("saddle", _saddle, _saddle_grad, (-1.5, 0.01), ((-2, 2), (-2, 2)), None,
            _rates(0.05, 0.01, 0.5)),
    Surface("parabola", _parabola, _parabola_grad, (4.0,), ((-5, 5),), (0.0,),
            _rates(0.1, 0.02, 1.0)),
    Surface("double_well", _double_well, _double_well_grad, (2.0,), ((-2.2, 2.2),),
            (-1.3008,), _rates(0.02, 0.005, 0.5)),
]}


def get_surface(surface):
    """A :class:`Surface` from an instance or a name in :data:`SURFACES`."""
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str) and surface.lower() in SURFACES:
        return SURFACES[surface.lower()]
    raise ValueError(f"unknown surface {surface!r}; expected one of {sorted(SURFACES)}")


def numerical_gradient(f, x, h=1e-6):
    """Central differences of ``f`` at the point ``x`` (shape (d,))."""
    x = np.asarray(x, dtype=np.float64)
    g = np.empty_like(x)
    for i in range(x.shape[0]):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _optimizers(optimizers, lr, surface):
    """{label: Optimizer} from names, instances or a dict of either."""
    if isinstance(optimizers, (str, Optimizer)):
        optimizers = [optimizers]
    items = optimizers.items() if isinstance(optimizers, dict) else (
        (o if isinstance(o, str) else repr(o), o) for o in optimizers)
    built = {}
    for label, opt in items:
        if isinstance(opt, str):
            if opt.lower() not in NAMED:
                raise ValueError(f"unknown optimizer {opt!r}; expected one of {sorted(NAMED)}")
            cls, preset = NAMED[opt.lower()]
            rate = lr.get(opt.lower(), 0.01) if isinstance(lr, dict) else lr
            if rate is None:
                rate = surface.lr.get(opt.lower(), 0.01) if surface is not None else 0.01
            opt = cls(lr=rate, **preset)
        elif not isinstance(opt, Optimizer):
            raise TypeError(f"optimizers must hold names or fastbp optimizers, got {opt!r}")
        built[label] = opt
    if not built:
        raise ValueError("optimizers is empty: give at least one optimizer")
    return built


def _function(f, grad, x0):
    """(value, gradient, start, Surface or None) from the arguments of paths."""
    if isinstance(f, (str, Surface)):
        surface = get_surface(f)
        start = surface.x0 if x0 is None else x0
        return surface, grad or surface.grad, start, surface
    if not callable(f):
        raise TypeError(f"f must be a surface name, a Surface or a function, got {f!r}")
    if x0 is None:
        raise ValueError("x0 (the start point) is needed with your own function f")
    if grad is None:
        def grad(x):
            return numerical_gradient(f, x)
    return f, grad, x0, None


def paths(f, grad=None, x0=None, optimizers=("sgd", "momentum", "adam"), steps=100, lr=None):
    """The points each optimizer visits descending ``f``.

    Parameters
    ----------
    f : str, Surface or callable
        A built-in surface by name (see :data:`SURFACES`), a :class:`Surface`,
        or a function of a point of shape (d,).
    grad : callable, optional
        The gradient of ``f`` (default: the surface's, or central differences).
    x0 : sequence of float, optional
        The start (default: the surface's); needed with a function ``f``.
    optimizers : names, fastbp optimizers, or dict {label: either}
        Names as for :func:`fastbp.optimizers.get_optimizer` ('sgd',
        'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam').
    steps : int
        Updates per optimizer.
    lr : float or dict {name: float}, optional
        The rate of the optimizers given by name (default: the surface's
        suggestion, else 0.01).  Optimizer instances keep their own.

    Returns
    -------
    dict {label: ndarray (n + 1, d)}
        Row 0 is the start, row k the point after k :meth:`Optimizer.step`
        calls; n is ``steps``, or fewer when a path leaves the finite numbers.
    """
    _, gradient, start, surface = _function(f, grad, x0)
    start = np.atleast_1d(np.asarray(start, dtype=np.float64))
    if start.ndim != 1:
        raise ValueError(f"x0 must be a point (1-D), got shape {start.shape}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    result = {}
    for label, opt in _optimizers(optimizers, lr, surface).items():
        x = start.copy()
        points = [x.copy()]
        with np.errstate(all="ignore"):
            for _ in range(steps):
                g = np.asarray(gradient(x), dtype=np.float64).reshape(x.shape)
                if not np.isfinite(g).all():
                    break
                opt.step(x, g)
                if not np.isfinite(x).all():
                    break
                points.append(x.copy())
        result[label] = np.array(points)
    return result
