# One example's weight-gradient outer products: the per-example step's
# updates of one layer.  Inline, compiled twice from this one source: into
# the per-example loop (_train.pyx, scalar, for narrow layers: a row at a
# time) and into _network.pyx's ``*_wide`` functions (vectorized, for wide
# ones: ``*_blocked``).
#
# W is (n_in, n_out) row-major with its bias b (n_out,) right after it; a is
# the layer's input (n_in,), d its error (n_out,).  A wide layer's columns go
# in blocks of ROW_BLOCK, then the rest, each block's d copied first: it then
# stays in registers down all the rows, where a row at a time re-read d and
# checked it against W on every row.

from cython cimport floating

from ._blas cimport ROW_BLOCK


cdef inline void copy_block(const floating* d, Py_ssize_t width, floating* dk) noexcept nogil:
    """dk[:width] = d[:width], the rest of dk's ROW_BLOCK zero (never loaded):
    in vectors, without the call to memcpy that a loop of ``width`` becomes."""
    cdef Py_ssize_t j
    for j in range(ROW_BLOCK):
        dk[j] = d[j] if j < width else 0


cdef inline void sgd_columns(floating* W, const floating* a, const floating* d,
                             Py_ssize_t n_in, Py_ssize_t n_out, Py_ssize_t width,
                             floating rate) noexcept nogil:
    """W[:, :width] -= rate (a d[:width]^T), width <= ROW_BLOCK."""
    cdef Py_ssize_t i, j
    cdef floating ai
    cdef floating dk[ROW_BLOCK]
    cdef floating* w
    copy_block(d, width, dk)
    for i in range(n_in):
        ai, w = a[i], W + i * n_out
        for j in range(width):
            w[j] -= rate * (ai * dk[j])


cdef inline void sgd_outer(floating* W, const floating* a, const floating* d,
                           Py_ssize_t n_in, Py_ssize_t n_out, floating rate) noexcept nogil:
    """W -= rate (a d^T), then b -= rate d: plain SGD's step of one narrow
    layer, a row at a time, without writing the gradient."""
    cdef Py_ssize_t i, j
    cdef floating ai
    for i in range(n_in):
        ai = a[i]
        for j in range(n_out):
            W[i * n_out + j] -= rate * (ai * d[j])
    for j in range(n_out):
        W[n_in * n_out + j] -= rate * d[j]


cdef inline void sgd_outer_blocked(floating* W, const floating* a, const floating* d,
                                   Py_ssize_t n_in, Py_ssize_t n_out,
                                   floating rate) noexcept nogil:
    """sgd_outer of a wide layer, in blocks of columns."""
    cdef Py_ssize_t j, j0 = 0
    while j0 + ROW_BLOCK <= n_out:
        sgd_columns(W + j0, a, d + j0, n_in, n_out, ROW_BLOCK, rate)
        j0 += ROW_BLOCK
    if j0 < n_out:
        sgd_columns(W + j0, a, d + j0, n_in, n_out, n_out - j0, rate)
    for j in range(n_out):
        W[n_in * n_out + j] -= rate * d[j]


cdef inline void gradient_columns(floating* g, const floating* W, const floating* a,
                                  const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                                  Py_ssize_t width, floating alpha) noexcept nogil:
    """g[:, :width] = a d[:width]^T + alpha W[:, :width], width <= ROW_BLOCK."""
    cdef Py_ssize_t i, j
    cdef floating ai
    cdef floating dk[ROW_BLOCK]
    copy_block(d, width, dk)
    for i in range(n_in):
        ai = a[i]
        for j in range(width):
            g[i * n_out + j] = ai * dk[j] + alpha * W[i * n_out + j]


cdef inline void outer_gradient(floating* g, const floating* W, const floating* a,
                                const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                                floating alpha) noexcept nogil:
    """g = a d^T + alpha W, then the bias's gradient d, in the layer's layout:
    a narrow layer, a row at a time."""
    cdef Py_ssize_t i, j
    cdef floating ai
    for i in range(n_in):
        ai = a[i]
        for j in range(n_out):
            g[i * n_out + j] = ai * d[j] + alpha * W[i * n_out + j]
    for j in range(n_out):
        g[n_in * n_out + j] = d[j]


cdef inline void outer_gradient_blocked(floating* g, const floating* W, const floating* a,
                                        const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                                        floating alpha) noexcept nogil:
    """outer_gradient of a wide layer, in blocks of columns."""
    cdef Py_ssize_t j, j0 = 0
    while j0 + ROW_BLOCK <= n_out:
        gradient_columns(g + j0, W + j0, a, d + j0, n_in, n_out, ROW_BLOCK, alpha)
        j0 += ROW_BLOCK
    if j0 < n_out:
        gradient_columns(g + j0, W + j0, a, d + j0, n_in, n_out, n_out - j0, alpha)
    for j in range(n_out):
        g[n_in * n_out + j] = d[j]
