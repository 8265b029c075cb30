"""Gradient checking: backpropagation against central finite differences.

Numerical caveats (see the user guide): a central difference has error
O(eps^2) from the curvature and O(u / eps) from rounding (u the unit
roundoff), so float64 wants eps near 1e-6 and float32 near 1e-2 with a
loose tolerance; a ReLU unit whose net input lies within eps of 0 sits on a
kink, where the two one-sided slopes differ and no difference quotient
matches the (one-sided) backprop gradient.
"""
import numpy as np

from fastbp._trace_tables import table
from fastbp._validation import check_alpha, check_real

__all__ = ["gradient_check", "GradientCheck", "DEFAULT_EPS", "DEFAULT_TOL"]

DEFAULT_EPS = {"float64": 1e-6, "float32": 1e-2}
DEFAULT_TOL = {"float64": 1e-6, "float32": 2e-2}


class GradientCheck:
    """The result of :func:`gradient_check`.

    Attributes
    ----------
    backprop, numeric : ndarray (n_params,)
        The two gradients, in the layout of ``net.params`` (float64).
    rows : list of dict
        Per layer and part ("weights", "biases"): "layer" (from 1), "part",
        "rel_error" = ||g_bp - g_fd|| / (||g_bp|| + ||g_fd||) (0 when both are
        0), "max_abs_error", and "ok" (rel_error <= tol).
    tol, eps : float
    ok : bool
        Whether every layer passed.
    """

    def __init__(self, backprop, numeric, slices, eps, tol):
        self.backprop, self.numeric, self.eps, self.tol = backprop, numeric, eps, tol
        self.rows = []
        for layer, part, sl in slices:
            a, b = backprop[sl], numeric[sl]
            scale = np.linalg.norm(a) + np.linalg.norm(b)
            rel = float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0
            self.rows.append({"layer": layer, "part": part, "rel_error": rel,
                              "max_abs_error": float(np.max(np.abs(a - b), initial=0.0)),
                              "ok": rel <= tol})
        self.ok = all(r["ok"] for r in self.rows)

    @property
    def failed(self):
        """The rows above the tolerance."""
        return [r for r in self.rows if not r["ok"]]

    def __bool__(self):
        return self.ok

    def __str__(self):
        rows = [[r["layer"], r["part"], f"{r['rel_error']:.3g}", f"{r['max_abs_error']:.3g}",
                 "ok" if r["ok"] else "FAILED"] for r in self.rows]
        verdict = "every layer agrees" if self.ok else f"{len(self.failed)} part(s) disagree"
        return table(f"Gradient check (central differences, eps {self.eps:g}, tolerance "
                     f"{self.tol:g}): {verdict}",
                     ["layer", "part", "relative error", "max abs error", "verdict"], rows)


def _slices(net):
    off, out = 0, []
    for l, (w, b) in enumerate(zip(net.weights, net.biases), start=1):
        out.append((l, "weights", slice(off, off + w.size)))
        out.append((l, "biases", slice(off + w.size, off + w.size + b.size)))
        off += w.size + b.size
    return out


def gradient_check(net, X, Y, alpha=0.0, eps=None, tol=None, sample_weight=None):
    """Compare ``net.gradients`` with central finite differences of ``net.loss``.

    Parameters
    ----------
    net : MLP
        Not modified (a copy is perturbed).
    X, Y, alpha, sample_weight
        As for ``net.loss``; a few examples suffice.
    eps : float, optional
        The step: default 1e-6 in float64, 1e-2 in float32.
    tol : float, optional
        The largest relative error a layer may have: default 1e-6 in
        float64, 2e-2 in float32.

    Returns
    -------
    GradientCheck
        True when every layer's weights and biases pass; ``print`` it for
        the table of relative errors per layer.

    Notes
    -----
    2 * n_params loss evaluations: meant for small networks.  A ReLU (or
    other kinked) unit with a net input within eps of its kink can fail
    without a bug; use smooth activations or move the data to check.
    """
    alpha = check_alpha(alpha)
    X = net._check_X(X)
    Y = net._check_Y(Y, X.shape[0])
    w = net._check_weights(sample_weight, X.shape[0])
    name = net.dtype.name
    eps = DEFAULT_EPS[name] if eps is None else check_real("eps", eps, 0.0, low_open=True)
    tol = DEFAULT_TOL[name] if tol is None else check_real("tol", tol, 0.0)
    dW, db = net.gradients(X, Y, alpha, w)
    backprop = np.concatenate([a.ravel() for pair in zip(dW, db) for a in pair]).astype(float)
    work = net.copy()
    p = work.params
    numeric = np.empty(p.shape[0])
    for k in range(p.shape[0]):
        orig = p[k]
        p[k] = orig + eps
        up, hi = work._loss(X, Y, alpha, w), float(p[k])
        p[k] = orig - eps
        down, lo = work._loss(X, Y, alpha, w), float(p[k])
        p[k] = orig
        numeric[k] = (up - down) / (hi - lo)  # the step as rounded to the dtype
    return GradientCheck(backprop, numeric, _slices(net), eps, tol)
