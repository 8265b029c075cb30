"""One epoch of training in one compiled call.

For every batch: gather its rows, forward, backward, L2 term, optimizer
update, with the GIL released and no Python object touched.  Python decides
everything else beforehand: the epoch's sample order, the learning rate (and
for Adam the bias-corrected step size and epsilon) of every step, and the
buffers, which are allocated once per fit.

Invariants: params, grads, s1, s2, X, Y and the buffers share one dtype
(float32 or float64) and are C-contiguous; ``order`` (or None for the rows in
their stored order) holds row indices in [0, n).  The shapes are checked here,
the values by the Python layer.
"""

from cython cimport floating
from libc.math cimport isfinite

from fastbp._kernels._network cimport Net, Topology, add_l2_gradient, batch_gradient
from fastbp._kernels._optimizers cimport apply_update

from fastbp._kernels._optimizers import STATE_VECTORS


def train_epoch(Topology top, floating[::1] params, floating[::1] grads,
                floating[::1] s1, floating[::1] s2,
                const floating[:, ::1] X, const floating[:, ::1] Y,
                const Py_ssize_t[::1] order, Py_ssize_t batch_size,
                int rule, const double[::1] lr, const double[::1] eps,
                double h1, double h2, double alpha,
                floating[::1] acts, floating[::1] deltas,
                floating[::1] xbuf, floating[::1] ybuf):
    """Run every step of one epoch; returns (status, loss_sum, sq_sum).

    ``status`` is 0 when every batch loss was finite, else 1 + the index of
    the first step whose loss (or L2 term) was NaN or infinite: training
    stopped there, before that step's update.  ``loss_sum`` adds up the
    per-example losses of the steps run, each at the parameters its batch saw;
    ``sq_sum`` adds up batch size * sum ||W||^2 (only computed when alpha != 0).
    """
    cdef Py_ssize_t cap = top.check(params, X, Y, acts, deltas, grads)
    cdef const Net* net = &top.net
    cdef Py_ssize_t n = X.shape[0], n_params = params.shape[0]
    cdef Py_ssize_t n_steps, s, start, count, n_in = X.shape[1], n_out = Y.shape[1]
    cdef double loss_sum = 0, sq_sum = 0, batch_loss, sq
    cdef int status = 0
    cdef const Py_ssize_t* order_p = NULL
    cdef floating* s1_p = NULL
    cdef floating* s2_p = NULL
    cdef floating* xbuf_p = NULL
    cdef floating* ybuf_p = NULL

    if n == 0:
        raise ValueError("X has no rows")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n_steps = (n + batch_size - 1) // batch_size
    if lr.shape[0] != n_steps or eps.shape[0] != n_steps:
        raise ValueError(f"need {n_steps} step rates, got {lr.shape[0]} and {eps.shape[0]}")
    needed = STATE_VECTORS.get(rule)
    if needed is None:
        raise ValueError(f"unknown update rule {rule}")
    if needed >= 1:
        if s1.shape[0] != n_params:
            raise ValueError(f"s1 has {s1.shape[0]} entries, expected {n_params}")
        s1_p = &s1[0]
    if needed >= 2:
        if s2.shape[0] != n_params:
            raise ValueError(f"s2 has {s2.shape[0]} entries, expected {n_params}")
        s2_p = &s2[0]
    if order is not None:
        if order.shape[0] != n:
            raise ValueError(f"order has {order.shape[0]} entries, expected {n}")
        order_p = &order[0]
        if cap > 1 and batch_size > 1:
            if xbuf.shape[0] < cap * n_in or ybuf.shape[0] < cap * n_out:
                raise ValueError("gather buffers are too small for the batch")
            xbuf_p, ybuf_p = &xbuf[0], &ybuf[0]

    with nogil:
        for s in range(n_steps):
            start = s * batch_size
            count = n - start if n - start < batch_size else batch_size
            batch_loss = batch_gradient(
                net, &params[0], &X[0, 0], &Y[0, 0], order_p, start, count,
                <floating>(1.0 / count), &grads[0], &acts[0], &deltas[0],
                xbuf_p, ybuf_p, cap)
            sq = 0
            if alpha != 0:
                sq = add_l2_gradient(net, &params[0], &grads[0], alpha)
            if not (isfinite(batch_loss) and isfinite(sq)):
                status = s + 1
                break
            loss_sum += batch_loss
            sq_sum += count * sq
            apply_update(rule, &params[0], &grads[0], s1_p, s2_p, n_params,
                         lr[s], eps[s], h1, h2)
    return status, loss_sum, sq_sum
