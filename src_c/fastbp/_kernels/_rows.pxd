# One example's weight-gradient outer products: the per-example step's
# updates of one layer.  Inline, compiled twice from this one source: into
# the per-example loop (_train.pyx, scalar, for narrow layers) and into
# _network.pyx's ``*_wide`` functions (vectorized, for wide ones).
#
# W is (n_in, n_out) row-major with its bias b (n_out,) right after it; a is
# the layer's input (n_in,), d its error (n_out,).

from cython cimport floating


cdef inline void sgd_outer(floating* W, const floating* a, const floating* d,
                           Py_ssize_t n_in, Py_ssize_t n_out, floating rate) noexcept nogil:
    """W -= rate (a d^T), then b -= rate d: plain SGD's step of one layer,
    without writing the gradient."""
    cdef Py_ssize_t i, j
    cdef floating ai
    for i in range(n_in):
        ai = a[i]
        for j in range(n_out):
            W[i * n_out + j] -= rate * (ai * d[j])
    for j in range(n_out):
        W[n_in * n_out + j] -= rate * d[j]


cdef inline void outer_gradient(floating* g, const floating* W, const floating* a,
                                const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                                floating alpha) noexcept nogil:
    """g = a d^T + alpha W, then the bias's gradient d, in the layer's layout."""
    cdef Py_ssize_t i, j
    cdef floating ai
    for i in range(n_in):
        ai = a[i]
        for j in range(n_out):
            g[i * n_out + j] = ai * d[j] + alpha * W[i * n_out + j]
    for j in range(n_out):
        g[n_in * n_out + j] = d[j]
