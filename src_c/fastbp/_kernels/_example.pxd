# One training step on one example (per-example SGD and its relatives),
# inline so that the epoch loop in _train.pyx compiles it into its own body.
#
# A narrow layer is a handful of multiply-adds, where a loop vectorized over
# its outputs costs more in set-up than its arithmetic: it runs here, a dot
# product per unit, in _train.pyx's scalar code (built without
# auto-vectorization).
# A wide layer calls _network's vectorized ``row_forward`` and ``*_wide``.
# Every sum runs left to right from 0, as matmul's: the same bits either way.

from cython cimport floating
from libc.math cimport isfinite

from ._activations cimport LEAKY_RELU, add_bias_activate, modern_units, mul_derivative
from ._loss cimport example_loss
from ._network cimport Net, outer_gradient_wide, row_forward, sgd_outer_wide
from ._optimizers cimport SGD, apply_update
from ._rows cimport outer_gradient, sgd_outer

cdef enum:
    NARROW = 8  # a layer with fewer outputs runs one unit at a time


cdef inline void layer_forward(const floating* a, const floating* W, Py_ssize_t n_in,
                               Py_ssize_t n_out, int act, double param,
                               floating* z) noexcept nogil:
    """z = f(a . W + b) for one row a (n_in,); W (n_in, n_out), b after it."""
    cdef Py_ssize_t i, j
    cdef floating s
    if n_out >= NARROW:
        row_forward(a, W, n_in, n_out, act, param, z)
        return
    for j in range(n_out):
        s = 0
        for i in range(n_in):
            s = s + a[i] * W[i * n_out + j]
        z[j] = s
    if act < LEAKY_RELU:
        add_bias_activate(act, param, z, W + n_in * n_out, 1, n_out)
    else:
        modern_units(act, <floating>param, z, W + n_in * n_out, n_out)


cdef inline void errors_below(const floating* d, const floating* W, Py_ssize_t n_in,
                              Py_ssize_t n_out, int act, double param, const floating* o,
                              floating* e) noexcept nogil:
    """e = (W . d) f'(z) of the layer below, f' from its outputs o (n_in,).
    Each sum runs over j in order (no vectors: their sums would reorder), four
    rows at a time so that four chains of adds overlap."""
    cdef Py_ssize_t i = 0, j
    cdef floating s0, s1, s2, s3, dj
    cdef const floating* w
    while i + 4 <= n_in:
        s0 = s1 = s2 = s3 = 0
        w = W + i * n_out
        for j in range(n_out):
            dj = d[j]
            s0 = s0 + dj * w[j]
            s1 = s1 + dj * w[n_out + j]
            s2 = s2 + dj * w[2 * n_out + j]
            s3 = s3 + dj * w[3 * n_out + j]
        e[i], e[i + 1], e[i + 2], e[i + 3] = s0, s1, s2, s3
        i += 4
    for i in range(i, n_in):
        s0 = 0
        for j in range(n_out):
            s0 = s0 + d[j] * W[i * n_out + j]
        e[i] = s0
    mul_derivative(act, param, e, o, <floating*>NULL, n_in)


cdef inline double add_squares(double total, const floating* W, Py_ssize_t n) noexcept nogil:
    """total + sum W_i^2, added one by one (the layers' sums run on)."""
    cdef Py_ssize_t i
    for i in range(n):
        total += W[i] * W[i]
    return total


cdef inline double example_step(const Net* net, floating* params, floating* grads,
                                floating* s1, floating* s2, const floating* x,
                                const floating* y, floating* acts, floating* deltas,
                                int rule, double lr, double eps, double h1, double h2,
                                double alpha, double* sq, bint* ok) noexcept nogil:
    """One step on one example, for a network whose units need nothing kept
    (no GELU or SiLU; no dropout): forward, then, layer by layer from the top,
    the errors of the layer below (from the weights before their update) and
    the layer's update right away, while its gradient is still in cache.

    The gradient of W_l is the outer product a_{l-1} d_l (+ alpha W_l).  Plain
    SGD without L2 applies it in the same pass; other rules write it into
    ``grads`` and update the layer's W_l and b_l in one call.  Returns the
    example's loss; ``ok`` is cleared, and nothing is updated, when the loss
    is not finite.  ``sq`` receives sum ||W||^2 when alpha != 0.
    """
    cdef Py_ssize_t L = net.n_layers, l, n_in, n_out, off
    cdef floating* d
    cdef floating* w
    cdef const floating* a_in = x
    cdef double loss, norm = 0
    for l in range(L):
        layer_forward(a_in, params + net.param_off[l], net.sizes[l], net.sizes[l + 1],
                      net.acts[l], net.act_params[l], acts + net.unit_off[l])
        a_in = acts + net.unit_off[l]
    loss = example_loss(net.loss, net.acts[L - 1], net.act_params[L - 1],
                        acts + net.unit_off[L - 1], y, net.sizes[L],
                        deltas + net.unit_off[L - 1], <floating>1)
    if not isfinite(loss):
        ok[0] = False
        return loss
    for l in range(L - 1, -1, -1):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        off = net.param_off[l]
        w = params + off
        d = deltas + net.unit_off[l]
        a_in = x if l == 0 else acts + net.unit_off[l - 1]
        if l > 0:
            errors_below(d, w, n_in, n_out, net.acts[l - 1], net.act_params[l - 1], a_in,
                         deltas + net.unit_off[l - 1])
        if alpha != 0:
            norm = add_squares(norm, w, n_in * n_out)
        if rule == SGD and alpha == 0:
            if n_out < NARROW:
                sgd_outer(w, a_in, d, n_in, n_out, <floating>lr)
            else:
                sgd_outer_wide(w, a_in, d, n_in, n_out, <floating>lr)
            continue
        if n_out < NARROW:
            outer_gradient(grads + off, w, a_in, d, n_in, n_out, <floating>alpha)
        else:
            outer_gradient_wide(grads + off, w, a_in, d, n_in, n_out, <floating>alpha)
        apply_update(rule, w, grads + off, s1 + off if s1 != NULL else NULL,
                     s2 + off if s2 != NULL else NULL, (n_in + 1) * n_out, lr, eps, h1, h2)
    sq[0] = norm
    return loss
