"""A batch's gradient, pass by pass (``batch_gradient``), each pass of at
least 2 PART_ROWS rows split into parts of rows for threads in a way fixed
by the pass alone (see _passes.pxd), so that the number of threads never
changes a bit; and on one thread, where BLAS allows it, the same bits with
each product taken over all the pass's rows at once (``whole_pass``).

Layouts and math: _network.pyx.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.string cimport memcmp, memcpy

from ._blas cimport matmul, matmul_nt, matmul_tn_block
from ._fpstate cimport flush_subnormals, restore_fp
from ._network cimport (
    Net, Topology, add_l2_gradient, backward, forward, layer_errors, layer_gradient, output_loss)

import numpy as np


def splits(Py_ssize_t rows):
    """Whether a pass of ``rows`` rows is split into parts (and threads)."""
    return parts_of(rows) > 1


cdef struct RowSource:
    # Where a gathered pass's rows come from: rows[i] of the data set's X, Y
    # and W (NULL: no weights); the (fused-type) arrays as untyped pointers.
    const void* X
    const void* Y
    const void* W
    const Py_ssize_t* rows


cdef inline void _gather(const floating* src, Py_ssize_t width,
                         const Py_ssize_t* rows, Py_ssize_t count,
                         floating* dst) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(count):
        memcpy(dst + i * width, src + rows[i] * width, width * sizeof(floating))


cdef void gather_rows(const RowSource* src, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t n_in,
                      Py_ssize_t n_out, Py_ssize_t cap, floating* gather) noexcept nogil:
    """Rows lo..hi of a pass into ``gather`` ([cap rows of X | cap rows of Y |
    cap weights]), from src.rows[lo..hi] of the data set."""
    cdef const floating* W = <const floating*>src.W
    cdef Py_ssize_t i
    _gather(<const floating*>src.X, n_in, src.rows + lo, hi - lo, gather + lo * n_in)
    _gather(<const floating*>src.Y, n_out, src.rows + lo, hi - lo,
            gather + cap * n_in + lo * n_out)
    if W != NULL:
        for i in range(lo, hi):
            gather[cap * (n_in + n_out) + i] = W[src.rows[i]]


cdef double weight_sum(const floating* W, const Py_ssize_t* order,
                       Py_ssize_t start, Py_ssize_t count) noexcept nogil:
    """Sum of the weights of examples start..start+count (of ``order`` when
    not NULL); ``count`` when there are no weights."""
    cdef Py_ssize_t i
    cdef double total = 0
    if W == NULL:
        return <double>count
    for i in range(start, start + count):
        total += W[order[i] if order != NULL else i]
    return total


cdef double batch_gradient(const Net* net, const Extras* ex, const floating* params,
                           const floating* X, const floating* Y,
                           const floating* W, const Py_ssize_t* order,
                           Py_ssize_t start, Py_ssize_t count, floating scale,
                           floating* grads, floating* part_grads, floating* acts,
                           floating* deltas, floating* gather, Py_ssize_t cap,
                           int n_threads, bint whole=False) noexcept nogil:
    """Gradient of scale * (sum of the (weighted) losses of ``count``
    examples) into ``grads``; returns the sum of their (weighted) losses.
    ``part_grads`` ((MAX_PARTS - 1) gradients' room, or NULL: never used)
    holds the later parts' gradients of split passes that add them up.

    The examples are rows order[start:start+count] of X, Y and W (weights, or
    NULL), or rows start:start+count when ``order`` is NULL.  They run
    through the buffers ``cap`` rows at a time (a pass); rows of a shuffled
    order are copied into ``gather`` ([cap rows of X | cap rows of Y | cap
    weights]), except single rows, which are read in place.  A pass of at
    least 2 PART_ROWS rows runs split (``split_pass``) on ``n_threads``.
    """
    cdef Py_ssize_t n_in = net.sizes[0], n_out = net.sizes[net.n_layers]
    cdef Py_ssize_t done = 0, m, first
    cdef const floating* x
    cdef const floating* y
    cdef const floating* w
    cdef RowSource src
    cdef double loss = 0
    cdef Py_ssize_t out_block = cap * net.unit_off[net.n_layers - 1]
    while done < count:
        m = count - done if count - done < cap else cap
        if order == NULL:
            first = start + done
        elif m == 1:
            first = order[start + done]
        src.X, src.Y, src.W, src.rows = X, Y, W, NULL
        if order == NULL or m == 1:
            x, y = X + first * n_in, Y + first * n_out
            w = W + first if W != NULL else NULL
        else:
            src.rows = order + start + done
            x, y = gather, gather + cap * n_in
            w = gather + cap * (n_in + n_out) if W != NULL else NULL
            if parts_of(m) == 1:
                gather_rows(&src, 0, m, n_in, n_out, cap, gather)
        if parts_of(m) > 1:
            # a split pass's parts gather their own rows (src.rows not NULL)
            loss += split_pass(net, ex, params, x, y, w, &src, m, scale, grads,
                               part_grads if part_gradients(net, m) else NULL, acts, deltas,
                               cap, done, done > 0, n_threads, whole)
        else:
            forward(net, ex, params, x, m, acts, cap, done, 0)
            loss += output_loss(net, acts + out_block, y, w, m, deltas + out_block, scale)
            backward(net, ex, params, x, m, acts, deltas, cap, grads, done > 0)
        done += m
    return loss


cdef double part_errors(const Net* net, const Extras* ex, const floating* params,
                        const floating* x, const floating* y, const floating* w,
                        Py_ssize_t m, Py_ssize_t k, floating scale, floating* acts,
                        floating* deltas, Py_ssize_t cap, Py_ssize_t row0) noexcept nogil:
    """Part k of a split pass of m rows: forward, loss and the errors of every
    layer, in rows lo..hi of the buffers; returns the part's loss."""
    cdef Py_ssize_t lo = k * m // MAX_PARTS, hi = (k + 1) * m // MAX_PARTS, l
    cdef Py_ssize_t n_out = net.sizes[net.n_layers]
    cdef Py_ssize_t out_block = cap * net.unit_off[net.n_layers - 1] + lo * n_out
    cdef unsigned int fp = flush_subnormals()
    cdef double loss
    forward(net, ex, params, x + lo * net.sizes[0], hi - lo, acts, cap, row0 + lo, lo)
    loss = output_loss(net, acts + out_block, y + lo * n_out, w + lo if w != NULL else NULL,
                       hi - lo, deltas + out_block, scale)
    for l in range(net.n_layers - 1, 0, -1):
        layer_errors(net, ex, params, l, x, hi - lo, acts, deltas, cap, lo)
    restore_fp(fp)
    return loss


cdef inline Py_ssize_t gradient_blocks(const Net* net, Py_ssize_t l) noexcept nogil:
    """The tasks layer l's weight gradient is split into: two when dW has a
    side of at least 2 BLOCK_WIDTH."""
    cdef Py_ssize_t longer = net.sizes[l] if net.sizes[l] > net.sizes[l + 1] else net.sizes[l + 1]
    return 2 if longer >= 2 * BLOCK_WIDTH else 1


cdef void gradient_task(const Net* net, const Extras* ex, const floating* x, Py_ssize_t m,
                        const floating* acts, const floating* deltas, Py_ssize_t cap,
                        floating* grads, bint accumulate, Py_ssize_t task) noexcept nogil:
    """Task number ``task`` of a split pass's weight gradients: a block of one
    layer's dW (and its part of db), over all m rows."""
    cdef Py_ssize_t l = 0
    cdef unsigned int fp = flush_subnormals()
    while task >= gradient_blocks(net, l):
        task -= gradient_blocks(net, l)
        l += 1
    layer_gradient(net, ex, l, x, m, acts, deltas, cap, grads, accumulate, task,
                   gradient_blocks(net, l))
    restore_fp(fp)


cdef double part_pass(const Net* net, const Extras* ex, const floating* params,
                      const floating* x, const floating* y, const floating* w,
                      const RowSource* src, Py_ssize_t m, Py_ssize_t k, floating scale,
                      floating* grads, floating* part_grads, floating* acts, floating* deltas,
                      Py_ssize_t cap, Py_ssize_t row0, bint accumulate) noexcept nogil:
    """Part k of a split pass of m rows: its rows lo..hi gathered (when
    src.rows is not NULL: x, y and w then point into the gather buffer), its
    forward pass, loss and errors, and with ``part_grads`` its own gradient
    over its rows (part 0's into ``grads``, written or added with
    ``accumulate``; part k's written into the (k-1)-th gradient of
    ``part_grads``).  Returns its loss."""
    cdef Py_ssize_t lo = k * m // MAX_PARTS, hi = (k + 1) * m // MAX_PARTS
    cdef double loss
    if src.rows != NULL:
        gather_rows(src, lo, hi, net.sizes[0], net.sizes[net.n_layers], cap, <floating*>x)
    loss = part_errors(net, ex, params, x, y, w, m, k, scale, acts, deltas, cap, row0)
    if part_grads != NULL:
        part_gradient(net, ex, x, m, k, acts, deltas, cap, grads, part_grads, accumulate)
    return loss


cdef void part_gradient(const Net* net, const Extras* ex, const floating* x, Py_ssize_t m,
                        Py_ssize_t k, const floating* acts, const floating* deltas,
                        Py_ssize_t cap, floating* grads, floating* part_grads,
                        bint accumulate) noexcept nogil:
    """Part k's own gradient over its rows: part 0's into ``grads`` (written,
    or added with ``accumulate``), part k's written into the (k-1)-th
    gradient of ``part_grads``."""
    cdef Py_ssize_t lo = k * m // MAX_PARTS, hi = (k + 1) * m // MAX_PARTS, l
    cdef unsigned int fp = flush_subnormals()
    if k > 0:
        grads, accumulate = part_grads + (k - 1) * net.param_off[net.n_layers], False
    for l in range(net.n_layers):
        layer_gradient(net, ex, l, x, hi - lo, acts, deltas, cap, grads, accumulate, 0, 1, lo)
    restore_fp(fp)


cdef double whole_pass(const Net* net, const Extras* ex, const floating* params,
                       const floating* x, const floating* y, const floating* w,
                       const RowSource* src, Py_ssize_t m, floating scale, floating* grads,
                       floating* part_grads, floating* acts, floating* deltas, Py_ssize_t cap,
                       Py_ssize_t row0, bint accumulate) noexcept nogil:
    """split_pass on one thread, where a product over all m rows gives the
    bits of the parts' (whole_products_agree): each layer's forward and
    error products over all the rows at once, so BLAS packs the weights once
    and not once per part; the losses part by part and the gradients as
    split_pass computes them."""
    cdef Py_ssize_t n_out = net.sizes[net.n_layers], k, l, lo, hi
    cdef Py_ssize_t out_block = cap * net.unit_off[net.n_layers - 1]
    cdef double loss = 0
    cdef unsigned int fp = flush_subnormals()
    if src.rows != NULL:
        gather_rows(src, 0, m, net.sizes[0], n_out, cap, <floating*>x)
    forward(net, ex, params, x, m, acts, cap, row0, 0)
    for k in range(MAX_PARTS):
        lo, hi = k * m // MAX_PARTS, (k + 1) * m // MAX_PARTS
        loss += output_loss(net, acts + out_block + lo * n_out, y + lo * n_out,
                            w + lo if w != NULL else NULL, hi - lo,
                            deltas + out_block + lo * n_out, scale)
    for l in range(net.n_layers - 1, 0, -1):
        layer_errors(net, ex, params, l, x, m, acts, deltas, cap, 0)
    if part_grads != NULL:
        for k in range(MAX_PARTS):
            part_gradient(net, ex, x, m, k, acts, deltas, cap, grads, part_grads, accumulate)
        add_parts(grads, part_grads, net.param_off[net.n_layers], 0, net.param_off[net.n_layers])
    else:
        for l in range(net.n_layers):
            layer_gradient(net, ex, l, x, m, acts, deltas, cap, grads, accumulate)
    restore_fp(fp)
    return loss


cdef void add_parts(floating* grads, const floating* part_grads, Py_ssize_t n,
                    Py_ssize_t lo, Py_ssize_t count=RANGE) noexcept nogil:
    """grads += each later part's gradient, in part order, over
    [lo, lo + count) of [0, n)."""
    cdef Py_ssize_t k, i, hi = min(n, lo + count)
    cdef const floating* g
    for k in range(MAX_PARTS - 1):
        g = part_grads + k * n
        for i in range(lo, hi):
            grads[i] += g[i]


cdef double split_pass(const Net* net, const Extras* ex, const floating* params,
                       const floating* x, const floating* y, const floating* w,
                       const RowSource* src, Py_ssize_t m,
                       floating scale, floating* grads, floating* part_grads, floating* acts,
                       floating* deltas, Py_ssize_t cap, Py_ssize_t row0, bint accumulate,
                       int n_threads, bint whole) noexcept nogil:
    """A pass of m >= 2 PART_ROWS rows whose work is fixed by the pass alone,
    so any number of threads gives the same bits (see _passes.pxd): the
    MAX_PARTS row parts' gathering (``src``), forward passes, losses and
    errors (each part's rows of the buffers), then the weight gradients:
    either each part's over its own rows (into ``grads``, then
    ``part_grads``) added up range by range (``part_grads`` not NULL), or
    over all m rows in tasks of a block of one layer's dW (gradient_blocks).
    Returns the loss (the parts' in order).

    Parts and ranges go to the threads in a fixed way (static schedule): a
    part's rows and a range's values stay with the core that wrote them.
    Gradient blocks go as threads come free: each reads every row anyway."""
    cdef double losses[MAX_PARTS]
    cdef double loss = 0
    cdef Py_ssize_t k, t, tasks = 0, n_params = net.param_off[net.n_layers]
    cdef Py_ssize_t ranges = (n_params + RANGE - 1) // RANGE
    for k in range(net.n_layers):
        tasks += gradient_blocks(net, k)
    if n_threads > 1:
        for k in prange(MAX_PARTS, num_threads=n_threads, schedule="static"):
            losses[k] = part_pass(net, ex, params, x, y, w, src, m, k, scale, grads, part_grads,
                                  acts, deltas, cap, row0, accumulate)
        if part_grads != NULL:
            for t in prange(ranges, num_threads=n_threads, schedule="static"):
                add_parts(grads, part_grads, n_params, t * RANGE)
        else:
            for t in prange(tasks, num_threads=n_threads, schedule="dynamic"):
                gradient_task(net, ex, x, m, acts, deltas, cap, grads, accumulate, t)
    elif whole:
        return whole_pass(net, ex, params, x, y, w, src, m, scale, grads, part_grads, acts,
                          deltas, cap, row0, accumulate)
    else:
        for k in range(MAX_PARTS):
            losses[k] = part_pass(net, ex, params, x, y, w, src, m, k, scale, grads, part_grads,
                                  acts, deltas, cap, row0, accumulate)
        if part_grads != NULL:
            add_parts(grads, part_grads, n_params, 0, n_params)
        else:
            for t in range(tasks):
                gradient_task(net, ex, x, m, acts, deltas, cap, grads, accumulate, t)
    for k in range(MAX_PARTS):
        loss += losses[k]
    return loss


cpdef enum Product:
    FORWARD = 0    # Z = A . W             (matmul)
    ERRORS = 1     # D_below = D . W^T     (matmul_nt)
    GRADIENT = 2   # dW = A^T . D          (matmul_tn_block)


cdef bint same_bits(int product, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, Py_ssize_t blocks,
                    const floating* a, const floating* b, floating beta, floating* whole,
                    floating* parts) noexcept nogil:
    """Whether ``product`` of m rows (A (m, k) and W (k, n) for FORWARD; D (m,
    n) and W (k, n) for ERRORS; A (m, k) and D (m, n) for GRADIENT) gives the
    same bits over all m rows at once as over the MAX_PARTS parts of rows
    (for GRADIENT: as in ``blocks`` blocks of dW's longer side, beta times
    what ``whole`` and ``parts`` hold added)."""
    cdef Py_ssize_t i, lo, hi, size = m * (n if product == FORWARD else k)
    if product == FORWARD:
        matmul(m, n, k, a, b, whole)
    elif product == ERRORS:
        matmul_nt(m, n, k, <floating>1, a, b, <floating>0, whole)
    else:
        size = k * n
        matmul_tn_block(m, n, k, 0, k, 0, n, <floating>1, a, b, beta, whole)
    for i in range(blocks if product == GRADIENT else MAX_PARTS):
        if product == FORWARD:
            lo, hi = i * m // MAX_PARTS, (i + 1) * m // MAX_PARTS
            matmul(hi - lo, n, k, a + lo * k, b, parts + lo * n)
        elif product == ERRORS:
            lo, hi = i * m // MAX_PARTS, (i + 1) * m // MAX_PARTS
            matmul_nt(hi - lo, n, k, <floating>1, a + lo * n, b, <floating>0, parts + lo * k)
        elif k >= n:
            matmul_tn_block(m, n, k, i * k // blocks, (i + 1) * k // blocks, 0, n,
                            <floating>1, a, b, beta, parts)
        else:
            matmul_tn_block(m, n, k, 0, k, i * n // blocks, (i + 1) * n // blocks,
                            <floating>1, a, b, beta, parts)
    return memcmp(whole, parts, size * sizeof(floating)) == 0


_agreement = {}  # (dtype, product, m, n, k, beta) -> same_bits's answer


def _agrees(int product, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, Py_ssize_t blocks,
            dtype, double beta=0):
    """same_bits on random values, cached per shape."""
    dtype = np.dtype(dtype)
    key = (dtype.char, product, m, n, k, beta)
    if key not in _agreement:
        rng = np.random.default_rng(0)
        sizes = {FORWARD: (m * k, k * n, m * n), ERRORS: (m * n, k * n, m * k),
                 GRADIENT: (m * k, m * n, k * n)}[product]
        a, b, whole = (rng.standard_normal(size, dtype=dtype) for size in sizes)
        _agreement[key] = _same_bits(product, m, n, k, blocks, a, b, beta, whole, whole.copy())
    return _agreement[key]


def _same_bits(int product, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, Py_ssize_t blocks,
               const floating[::1] a, const floating[::1] b, double beta,
               floating[::1] whole, floating[::1] parts):
    return same_bits(product, m, n, k, blocks, &a[0], &b[0], <floating>beta, &whole[0],
                     &parts[0])


def whole_products_agree(Topology top, Py_ssize_t m, dtype, bint accumulate):
    """Whether each product a split pass of m rows takes gives the same bits
    over all the rows at once (whole_pass) as over the parts or gradient
    blocks (split_pass), ``accumulate``: also when adding into the gradient.
    Then one thread may take them whole: BLAS picks its code (blocking,
    kernels, small-matrix paths) from the shapes and not the values, so
    random values of each shape tell, once per process.  Passes of more than
    WHOLE_ROWS rows stay split (False)."""
    cdef const Net* net = &top.net
    cdef Py_ssize_t l, n_in, n_out
    if not splits(m) or m > WHOLE_ROWS:
        return m <= WHOLE_ROWS
    for l in range(net.n_layers):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        if not _agrees(FORWARD, m, n_out, n_in, 1, dtype):
            return False
        if l > 0 and not _agrees(ERRORS, m, n_out, n_in, 1, dtype):
            return False
        if part_gradients(net, m):
            continue
        for beta in range(2 if accumulate else 1):
            if not _agrees(GRADIENT, m, n_out, n_in, gradient_blocks(net, l), dtype, beta):
                return False
    return True


def gradient_dataset(Topology top, const floating[::1] params,
                     const floating[:, ::1] X, const floating[:, ::1] Y,
                     const floating[::1] weights, floating[::1] grads,
                     floating[::1] acts, floating[::1] deltas, double alpha):
    """grads = gradient of the (weighted) mean loss over X + alpha/2 sum ||W||^2.

    Returns (sum of the (weighted) per-example losses, sum of the weights,
    sum ||W||^2).
    """
    cdef Py_ssize_t cap = top.check(params, X, Y, acts, deltas, grads, weights)
    cdef const Net* net = &top.net
    cdef Py_ssize_t n = X.shape[0]
    cdef const floating* w = &weights[0] if weights is not None else NULL
    cdef double loss, sq = 0, total_weight
    if n == 0:
        raise ValueError("X has no rows")
    with nogil:
        total_weight = weight_sum(w, <Py_ssize_t*>NULL, 0, n)
    if not total_weight > 0:
        raise ValueError("the sample weights sum to zero")
    with nogil:
        loss = batch_gradient(net, &top.base, &params[0], &X[0, 0], &Y[0, 0], w, NULL, 0, n,
                              <floating>(1.0 / total_weight), &grads[0], <floating*>NULL,
                              &acts[0], &deltas[0], <floating*>NULL, cap, 1)
        if alpha != 0:
            sq = add_l2_gradient(net, &params[0], &grads[0], alpha)
    return loss, total_weight, sq
