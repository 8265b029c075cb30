"""The estimators' 'lbfgs' solver: SciPy's L-BFGS-B on the full-batch loss,
each evaluation one compiled pass over the data (dense chunks for sparse X)."""
import warnings

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from fastbp._buffers import dense_rows
from fastbp.estimators._sklearn import ConvergenceWarning


def objective(net, X, Y, alpha, sw):
    """(weighted mean loss, sum ||W||^2, flat gradient of the weighted mean
    loss + alpha/2 sum ||W||^2) over dense X, or summed over dense chunks of
    sparse X."""
    if not sp.issparse(X):
        return net._objective(X, Y, alpha, sw)
    total, weight, grad = 0.0, 0.0, np.zeros_like(net.params)
    for start, rows in dense_rows(X, net.dtype):
        stop = start + rows.shape[0]
        ww = None if sw is None else sw[start:stop]
        k = rows.shape[0] if ww is None else float(ww.sum())
        if k == 0:
            continue
        loss, _, g = net._objective(rows, Y[start:stop], 0.0, ww)
        total, weight = total + loss * k, weight + k
        grad += g * k
    grad /= weight
    for w, gw in zip(net.weights, net._layer_views(grad)[0], strict=True):
        gw += alpha * w
    return total / weight, net._weights_sq_norm(), grad


def fit_lbfgs(est, X, Y, sw, alpha):
    """scikit-learn's _fit_lbfgs: L-BFGS-B on the full-batch loss with the
    L2 term alpha/2 ||W||^2 / sum(w), maxiter=max_iter, maxfun=max_fun,
    gtol=tol; loss_ and n_iter_ from its result.  (``alpha``: est.alpha,
    rescaled with the weights ``sw``.)"""
    net = est._net
    wsum = float(X.shape[0] if sw is None else sw.sum())
    minimize_lbfgs(est, wsum, alpha, lambda a: objective(net, X, Y, a, sw))


def minimize_lbfgs(est, wsum, alpha, evaluate, stacklevel=5):
    """fit_lbfgs over any objective: ``evaluate(alpha)`` returns
    :func:`objective`'s triple at the network's current parameters
    (fastbp.dask evaluates it on a cluster); ``wsum`` is the data's weight,
    ``alpha`` est.alpha rescaled with the weights; ``stacklevel`` points the
    ConvergenceWarning at the user's fit call."""
    net = est._net
    alpha = alpha / wsum
    scale = est._loss_scale

    def fun(p):
        np.copyto(net.params, p, casting="unsafe")
        loss, sq, grad = evaluate(alpha)
        return loss / scale + 0.5 * alpha * sq, grad.astype(np.float64)

    res = scipy.optimize.minimize(
        fun, net.params.astype(np.float64), method="L-BFGS-B", jac=True,
        options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol})
    if res.status != 0:
        # stacklevel: minimize_lbfgs <- fit_lbfgs <- _fit <- fit <- the user's fit call
        warnings.warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}): "
            f"{res.message}. Increase the number of iterations (max_iter) or scale the "
            f"data.", ConvergenceWarning, stacklevel=stacklevel)
    est.n_iter_ = min(int(res.nit), est.max_iter)
    est.loss_ = float(res.fun)
    np.copyto(net.params, res.x, casting="unsafe")
    if not np.isfinite(net.params).all():
        raise ValueError("Solver produced non-finite parameter weights. The input data "
                         "may contain large values and need to be preprocessed.")
