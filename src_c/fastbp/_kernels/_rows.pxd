# One example's weight-gradient outer products: the per-example step's
# updates of one layer.  Inline, compiled twice from this one source: into
# the per-example loop (_train.pyx, scalar, for narrow layers) and into
# _network.pyx's ``*_wide`` functions (vectorized, for wide ones).
#
# W is (n_in, n_out) row-major with its bias b (n_out,) right after it; a is
# the layer's input (n_in,), d its error (n_out,).  The columns go in blocks
# of ROW_BLOCK, each block's d copied first: it then stays in registers down
# all the rows (a row at a time, the loop re-read d and checked it against W
# on every row).  The rest go a row at a time: a copy of fewer columns, a
# call to memcpy, costs more than it saves.

from cython cimport floating

from ._blas cimport ROW_BLOCK


cdef inline void sgd_columns(floating* W, const floating* a, const floating* d,
                             Py_ssize_t n_in, Py_ssize_t n_out, floating rate) noexcept nogil:
    """W[:, :ROW_BLOCK] -= rate (a d[:ROW_BLOCK]^T)."""
    cdef Py_ssize_t i, j
    cdef floating ai
    cdef floating dk[ROW_BLOCK]
    cdef floating* w
    for j in range(ROW_BLOCK):
        dk[j] = d[j]
    for i in range(n_in):
        ai, w = a[i], W + i * n_out
        for j in range(ROW_BLOCK):
            w[j] -= rate * (ai * dk[j])


cdef inline void sgd_outer(floating* W, const floating* a, const floating* d,
                           Py_ssize_t n_in, Py_ssize_t n_out, floating rate) noexcept nogil:
    """W -= rate (a d^T), then b -= rate d: plain SGD's step of one layer,
    without writing the gradient."""
    cdef Py_ssize_t i, j, j0 = 0
    cdef floating ai
    while j0 + ROW_BLOCK <= n_out:
        sgd_columns(W + j0, a, d + j0, n_in, n_out, rate)
        j0 += ROW_BLOCK
    if j0 < n_out:
        for i in range(n_in):
            ai = a[i]
            for j in range(j0, n_out):
                W[i * n_out + j] -= rate * (ai * d[j])
    for j in range(n_out):
        W[n_in * n_out + j] -= rate * d[j]


cdef inline void gradient_columns(floating* g, const floating* W, const floating* a,
                                  const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                                  floating alpha) noexcept nogil:
    """g[:, :ROW_BLOCK] = a d[:ROW_BLOCK]^T + alpha W[:, :ROW_BLOCK]."""
    cdef Py_ssize_t i, j
    cdef floating ai
    cdef floating dk[ROW_BLOCK]
    for j in range(ROW_BLOCK):
        dk[j] = d[j]
    for i in range(n_in):
        ai = a[i]
        for j in range(ROW_BLOCK):
            g[i * n_out + j] = ai * dk[j] + alpha * W[i * n_out + j]


cdef inline void outer_gradient(floating* g, const floating* W, const floating* a,
                                const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                                floating alpha) noexcept nogil:
    """g = a d^T + alpha W, then the bias's gradient d, in the layer's layout."""
    cdef Py_ssize_t i, j, j0 = 0
    cdef floating ai
    while j0 + ROW_BLOCK <= n_out:
        gradient_columns(g + j0, W + j0, a, d + j0, n_in, n_out, alpha)
        j0 += ROW_BLOCK
    if j0 < n_out:
        for i in range(n_in):
            ai = a[i]
            for j in range(j0, n_out):
                g[i * n_out + j] = ai * d[j] + alpha * W[i * n_out + j]
    for j in range(n_out):
        g[n_in * n_out + j] = d[j]
