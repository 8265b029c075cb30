"""One epoch of training in one compiled call.

For every batch: gather its rows, forward, backward, L2 term, optimizer
update, with the GIL released and no Python object touched.  Python decides
everything else beforehand: the epoch's sample order, the learning rate of
every step (one rate when it is constant over the epoch), and the buffers,
which are allocated once per fit.

Invariants: params, grads, s1, s2, X, Y and the buffers share one dtype
(float32 or float64) and are C-contiguous; ``order`` (or None for the rows in
their stored order) holds row indices in [0, n).  The shapes are checked here,
the values by the Python layer.
"""

from cython cimport floating
from libc.math cimport isfinite

from ._network cimport (
    Net, Topology, add_l2_gradient, batch_gradient, example_step, weight_sum)
from ._optimizers cimport apply_update, step_scalars


cdef extern from *:
    void __builtin_prefetch(const void* address) noexcept nogil

cdef extern from "Python.h":
    int PyErr_CheckSignals()
    void PyErr_Clear()

# status of an epoch stopped by a signal handler that raised (Ctrl-C)
cdef enum:
    STOPPED_BY_SIGNAL = -2
INTERRUPTED = STOPPED_BY_SIGNAL


cdef bint signalled() noexcept nogil:
    """Whether a Python signal handler raised (KeyboardInterrupt on Ctrl-C).
    Takes the GIL for a moment; the exception is cleared, and the Python
    layer raises KeyboardInterrupt once the model is consistent."""
    cdef int raised
    with gil:
        raised = PyErr_CheckSignals()
        if raised != 0:
            PyErr_Clear()
    return raised != 0

# Rows this many steps ahead in a shuffled order are prefetched.
cdef enum:
    PREFETCH_AHEAD = 8

from ._optimizers import STATE_VECTORS


def train_epoch(Topology top, floating[::1] params, floating[::1] grads,
                floating[::1] s1, floating[::1] s2,
                const floating[:, ::1] X, const floating[:, ::1] Y,
                const floating[::1] weights, const Py_ssize_t[::1] order,
                Py_ssize_t batch_size, int rule, const double[::1] lr,
                Py_ssize_t t0, double eps, double h1, double h2, bint eps_hat,
                double alpha, bint l2_per_weight,
                floating[::1] acts, floating[::1] deltas, floating[::1] gather,
                Py_ssize_t check_every=0):
    """Run every step of one epoch; returns (status, loss_sum, sq_sum, updates).

    ``weights`` (or None) weighs the examples: a batch minimizes
    sum_i w_i loss_i / sum_i w_i.  A batch whose weights sum to zero is
    skipped: no update, and the update count ``updates`` (which the
    schedule and Adam's bias correction follow) does not advance.  ``l2_per_weight`` divides alpha by that sum (scikit-learn's
    convention); otherwise each batch adds alpha/2 sum ||W||^2.

    ``lr`` holds the schedule's rate of every update, or one rate for all;
    ``t0`` is the number of updates applied before this epoch (Adam's bias
    correction counts from it).

    Every ``check_every`` steps (0: never) the loop lets Python's signal
    handlers run; when one raises (Ctrl-C), the epoch stops between two
    steps with status INTERRUPTED (-2): every update is whole, ``updates``
    says how many were applied.

    ``status`` is 0 when every batch loss was finite and the parameters are
    finite at the end; 1 + the index of the first step whose loss (or L2
    term) was NaN or infinite (training stopped there, before that step's
    update); -1 when the losses were finite but the last updates made a
    parameter NaN or infinite; or INTERRUPTED.  ``loss_sum`` adds up, over the batches, the
    batch size times its (weighted) mean loss, each at the parameters the batch
    saw; ``sq_sum`` adds up batch size * sum ||W||^2 (divided by the batch's
    weight sum with ``l2_per_weight``; only computed when alpha != 0).
    """
    cdef Py_ssize_t cap = top.check(params, X, Y, acts, deltas, grads, weights)
    cdef const Net* net = &top.net
    cdef Py_ssize_t n = X.shape[0], n_params = params.shape[0]
    cdef Py_ssize_t n_steps, s, start, count, n_in = X.shape[1], n_out = Y.shape[1]
    cdef double loss_sum = 0, sq_sum = 0, batch_loss, sq = 0, wsum, step_alpha
    cdef int status = 0
    cdef bint ok = True
    cdef Py_ssize_t row, lr_stride, i, updates = 0
    cdef double step_lr, step_eps
    cdef const Py_ssize_t* order_p = NULL
    cdef const floating* w_p = NULL
    cdef floating* s1_p = NULL
    cdef floating* s2_p = NULL
    cdef floating* gather_p = NULL

    if n == 0:
        raise ValueError("X has no rows")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n_steps = (n + batch_size - 1) // batch_size
    if lr.shape[0] != n_steps and lr.shape[0] != 1:
        raise ValueError(f"need {n_steps} step rates (or one for all), got {lr.shape[0]}")
    lr_stride = 1 if lr.shape[0] == n_steps else 0
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
    if weights is not None:
        w_p = &weights[0]
    if order is not None:
        if order.shape[0] != n:
            raise ValueError(f"order has {order.shape[0]} entries, expected {n}")
        order_p = &order[0]
        if cap > 1 and batch_size > 1:
            if gather.shape[0] < cap * (n_in + n_out + 1):
                raise ValueError("the gather buffer is too small for the batch")
            gather_p = &gather[0]

    with nogil:
        if batch_size == 1:
            for s in range(n_steps):
                if check_every and s % check_every == check_every - 1 and signalled():
                    status = STOPPED_BY_SIGNAL
                    break
                row = order_p[s] if order_p != NULL else s
                if order_p != NULL and s + PREFETCH_AHEAD < n:
                    __builtin_prefetch(&X[order_p[s + PREFETCH_AHEAD], 0])
                    __builtin_prefetch(&Y[order_p[s + PREFETCH_AHEAD], 0])
                # one example: its weight cancels out of the weighted mean
                step_alpha = alpha
                if w_p != NULL:
                    if w_p[row] == 0:
                        continue
                    if l2_per_weight:
                        step_alpha = alpha / w_p[row]
                step_scalars(rule, lr[updates * lr_stride], eps, h1, h2, eps_hat,
                             <double>(t0 + updates + 1), &step_lr, &step_eps)
                batch_loss = example_step(
                    net, &params[0], &grads[0], s1_p, s2_p, &X[row, 0], &Y[row, 0],
                    &acts[0], &deltas[0], rule, step_lr, step_eps, h1, h2,
                    step_alpha, &sq, &ok)
                if not ok:
                    status = s + 1
                    break
                updates += 1
                loss_sum += batch_loss
                sq_sum += sq if not l2_per_weight or w_p == NULL else sq / w_p[row]
        for s in range(n_steps if batch_size > 1 else 0):
            if check_every and s % check_every == check_every - 1 and signalled():
                status = STOPPED_BY_SIGNAL
                break
            start = s * batch_size
            count = n - start if n - start < batch_size else batch_size
            wsum = weight_sum(w_p, order_p, start, count)
            if not wsum > 0:
                continue
            batch_loss = batch_gradient(
                net, &params[0], &X[0, 0], &Y[0, 0], w_p, order_p, start, count,
                <floating>(1.0 / wsum), &grads[0], &acts[0], &deltas[0], gather_p, cap)
            sq = 0
            if alpha != 0:
                sq = add_l2_gradient(net, &params[0], &grads[0],
                                     alpha / wsum if l2_per_weight else alpha)
            if not (isfinite(batch_loss) and isfinite(sq)):
                status = s + 1
                break
            # count / wsum is exactly 1 without weights
            loss_sum += batch_loss * (count / wsum)
            sq_sum += count * (sq / wsum if l2_per_weight else sq)
            step_scalars(rule, lr[updates * lr_stride], eps, h1, h2, eps_hat,
                         <double>(t0 + updates + 1), &step_lr, &step_eps)
            apply_update(rule, &params[0], &grads[0], s1_p, s2_p, n_params,
                         step_lr, step_eps, h1, h2)
            updates += 1
        if status == 0:
            for i in range(n_params):
                if not isfinite(params[i]):
                    status = -1
                    break
    return status, loss_sum, sq_sum, updates
