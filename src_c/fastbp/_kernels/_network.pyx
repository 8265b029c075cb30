"""Forward and backward passes of a fully connected network.

Layouts (all C-contiguous, one dtype, float32 or float64):

* ``params``: every layer's weights W_l (n_l, n_{l+1}) row-major, each followed
  by its bias b_l (n_{l+1},); ``grads`` has the same layout.
* ``acts`` and ``deltas``: for a batch of at most ``cap`` rows, layer l's
  (rows, n_l) block starts at ``cap * unit_off[l-1]`` (layer 0, the input, is
  not stored there).  ``cap`` is the buffer length divided by the number of
  units, so a buffer fixes how many rows a pass may take at once.

Math, per batch of B rows (``scale`` is 1/B for the batch mean):

    A_l = f_l(A_{l-1} . W_l + b_l)
    D_L = scale * dLoss/dZ_L
    dW_l = A_{l-1}^T . D_l,   db_l = sum over rows of D_l
    D_{l-1} = (D_l . W_l^T) * f'_{l-1}(A_{l-1})

The losses and their output deltas, per example: _loss.pxd.

Sample weights (optional, one per row of X): a batch's loss is then
sum_i w_i loss_i / sum_i w_i, so ``scale`` becomes 1 / sum_i w_i and row i's
output delta is multiplied by w_i.
"""

cimport cython
from cython cimport floating
from libc.math cimport fabs
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

from ._activations cimport (
    GELU, IDENTITY, LEAKY_RELU, SILU, SOFTMAX, activate_keep_slope, add_bias_activate,
    modern_units, mul_derivative)
from ._blas cimport matmul, matmul_nt, matmul_tn_block, row_times
from ._loss cimport example_loss
from ._random cimport keep_threshold, next_key
from ._rows cimport outer_gradient_blocked, sgd_outer_blocked

import numpy as np

from ._activations import UNIT_PARAMS

include "_exp_values.pxi"


def check_unit_params(acts, unit_params):
    """The units' parameters as a float64 array (each unit's default where
    ``unit_params`` is None or holds None), refused outside their range."""
    values = np.zeros(acts.shape[0])
    for l, code in enumerate(acts):
        given = None if unit_params is None else unit_params[l]
        if code in UNIT_PARAMS:
            name, default, low, low_open = UNIT_PARAMS[code]
            value = default if given is None else float(given)
            if not (np.isfinite(value) and (value > low if low_open else value >= low)):
                raise ValueError(f"{name} must be a finite number {'>' if low_open else '>='} "
                                 f"{low}, got {given!r}")
            values[l] = value
    return values


def buffer_layout(sizes, acts, keep=None):
    """Where a training pass keeps what it needs beyond the activations, in
    values per buffer row after the units': (slope offsets, one per layer, -1
    where f'(z) is not kept; the dropped-out inputs' offset or -1; the row's
    width).  GELU and SiLU layers keep f'(z) always, any hidden layer under
    dropout (``keep[l + 1] < 1``) too, as its mask is folded into it."""
    # (on Python ints: NumPy's calls on arrays this small cost more than the work)
    cdef list n = np.asarray(sizes).tolist(), codes = np.asarray(acts).tolist()
    cdef Py_ssize_t n_layers = len(n) - 1, l, width = sum(n[1:]), input_off = -1
    offsets = [-1] * n_layers
    for l in range(n_layers - 1):
        if codes[l] == GELU or codes[l] == SILU or (keep is not None and keep[l + 1] < 1):
            offsets[l] = width
            width += n[l + 1]
    if keep is not None and keep[0] < 1:
        input_off, width = width, width + n[0]
    slope_off = np.array(offsets, dtype=np.intp)
    return slope_off, input_off, width


cdef class Topology:
    """The shape of a network as the kernels read it: widths, activation codes,
    loss code, and the offsets derived from them."""

    @cython.wraparound(True)
    def __init__(self, sizes, activations, int loss, unit_params=None):
        sizes = np.ascontiguousarray(sizes, dtype=np.intp)
        acts = np.ascontiguousarray(activations, dtype=np.intc)
        if sizes.ndim != 1 or sizes.shape[0] < 2 or (sizes < 1).any():
            raise ValueError(f"sizes must hold at least two widths >= 1, got {sizes!r}")
        if acts.shape != (sizes.shape[0] - 1,):
            raise ValueError(f"need {sizes.shape[0] - 1} activation codes, got {acts!r}")
        if ((acts < IDENTITY) | (acts > SILU)).any():
            raise ValueError(f"unknown activation code in {acts!r}")
        if (acts[:-1] == SOFTMAX).any():
            raise ValueError("softmax is only available as the output activation")
        if loss not in (SQUARED, CROSS_ENTROPY, POISSON):
            raise ValueError(f"unknown loss code {loss}")
        unit_params = check_unit_params(acts, unit_params)
        param_off = np.zeros(sizes.shape[0], dtype=np.intp)
        param_off[1:] = np.cumsum((sizes[:-1] + 1) * sizes[1:])
        unit_off = np.zeros(sizes.shape[0], dtype=np.intp)
        unit_off[1:] = np.cumsum(sizes[1:])
        slope_off, _, width = buffer_layout(sizes, acts)
        for a in (sizes, acts, param_off, unit_off, unit_params, slope_off):
            a.setflags(write=False)
        self.sizes, self.activations, self.unit_params = sizes, acts, unit_params
        self.param_offsets, self.unit_offsets = param_off, unit_off
        self.loss, self.row_width = loss, width
        self._sizes, self._acts, self._act_params = sizes, acts, unit_params
        self._param_off, self._unit_off, self._slope_off = param_off, unit_off, slope_off
        self.net.n_layers = sizes.shape[0] - 1
        self.net.sizes = &self._sizes[0]
        self.net.acts = &self._acts[0]
        self.net.act_params = &self._act_params[0]
        self.net.param_off = &self._param_off[0]
        self.net.unit_off = &self._unit_off[0]
        self.net.loss = loss
        self.base.slope_off, self.base.input_off = &self._slope_off[0], -1
        self.base.keep, self.base.key, self.base.width = NULL, 0, width
        self.base.used = bool((slope_off >= 0).any())

    @cython.wraparound(True)
    def __reduce__(self):
        return (Topology, (self.sizes.tolist(), self.activations.tolist(), self.loss,
                           self.unit_params.tolist()))

    @property
    @cython.wraparound(True)
    def n_params(self):
        return int(self.param_offsets[-1])

    @property
    @cython.wraparound(True)
    def n_units(self):
        """Units in layers 1..L: a ``deltas`` buffer row's length."""
        return int(self.unit_offsets[-1])

    def buffer_width(self, keep=None):
        """Values per row of a training pass's ``acts`` buffer: the units, the
        kept derivatives, and with ``keep`` (dropout's keep probabilities,
        one per weight layer's input) the dropped-out inputs."""
        return buffer_layout(self.sizes, self.activations, keep)[2]

    @cython.wraparound(True)
    def check(self, params, X=None, Y=None, acts=None, deltas=None, grads=None,
              weights=None, width=None):
        """Refuse buffers whose sizes do not fit this topology (the kernels
        trust them); returns the rows they hold (``acts`` rows of ``width``
        values, by default ``row_width``)."""
        n_in, n_out = self.sizes[0], self.sizes[-1]
        if weights is not None and weights.shape[0] != X.shape[0]:
            raise ValueError(f"weights has {weights.shape[0]} entries, expected {X.shape[0]}")
        if params.shape[0] != self.n_params:
            raise ValueError(f"params has {params.shape[0]} entries, expected {self.n_params}")
        if grads is not None and grads.shape[0] != self.n_params:
            raise ValueError(f"grads has {grads.shape[0]} entries, expected {self.n_params}")
        if X is not None and X.shape[1] != n_in:
            raise ValueError(f"X has {X.shape[1]} columns, expected {n_in}")
        if Y is not None and (Y.shape[1] != n_out or Y.shape[0] != X.shape[0]):
            raise ValueError(f"Y has shape {tuple(Y.shape)[:2]}, expected ({X.shape[0]}, {n_out})")
        width = self.row_width if width is None else width
        cap = acts.shape[0] // width if acts is not None else 0
        if acts is not None and cap < 1:
            raise ValueError(f"acts holds {acts.shape[0]} values, fewer than one row of {width}")
        if deltas is not None and deltas.shape[0] < cap * self.n_units:
            raise ValueError(
                f"deltas holds {deltas.shape[0]} values, expected {cap * self.n_units}")
        return cap


cdef void drop_units(const Extras* ex, Py_ssize_t layer, floating* a, floating* slope,
                     Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t row0) noexcept nogil:
    """Inverted dropout of a (rows, cols) block whose first row is row ``row0``
    of the batch: each unit kept with probability keep[layer] and scaled by
    1 / keep, or zeroed; ``slope`` (f'(z), or NULL) gets the same factor, so
    the backward pass multiplies by the mask with the derivative."""
    cdef uint64_t key = next_key(ex.key, layer)
    cdef uint64_t below = keep_threshold(ex.keep[layer])
    cdef floating scale = <floating>(1.0 / ex.keep[layer])
    cdef Py_ssize_t r, j, i
    cdef floating f
    for r in range(rows):
        for j in range(cols):
            i = r * cols + j
            f = scale if (next_key(key, (row0 + r) * cols + j) >> 32) < below else 0
            a[i] *= f
            if slope != NULL:
                slope[i] *= f


cdef void activate(int act, double param, floating* z, const floating* bias,
                   Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    """z = f(z + bias) over (rows, cols), any unit."""
    cdef Py_ssize_t r
    if act < LEAKY_RELU:
        add_bias_activate(act, param, z, bias, rows, cols)
    else:
        for r in range(rows):
            modern_units(act, <floating>param, z + r * cols, bias, cols)


cdef inline void forward_plain(const Net* net, const floating* params, const floating* x,
                               Py_ssize_t rows, floating* acts, Py_ssize_t cap,
                               Py_ssize_t first) noexcept nogil:
    """A_l = f_l(A_{l-1} . W_l + b_l) for l = 1..L, keeping nothing else: the
    pass of inference, kept small to inline."""
    cdef Py_ssize_t l, n_in, n_out
    cdef const floating* a_in = x
    cdef floating* a_out
    cdef const floating* w
    for l in range(net.n_layers):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        w = params + net.param_off[l]
        a_out = acts + cap * net.unit_off[l] + first * n_out
        matmul(rows, n_out, n_in, a_in, w, a_out)
        if net.acts[l] < LEAKY_RELU:
            add_bias_activate(net.acts[l], net.act_params[l], a_out, w + n_in * n_out,
                              rows, n_out)
        else:
            activate(net.acts[l], net.act_params[l], a_out, w + n_in * n_out, rows, n_out)
        a_in = a_out


cdef void row_forward(const floating* a, const floating* W, Py_ssize_t n_in, Py_ssize_t n_out,
                      int act, double param, floating* z) noexcept nogil:
    """z = f(a . W + b) for one row a (n_in,): a per-example step's wide layer."""
    row_times(a, W, n_out, n_in, z)
    activate(act, param, z, W + n_in * n_out, 1, n_out)


cdef void sgd_outer_wide(floating* W, const floating* a, const floating* d,
                         Py_ssize_t n_in, Py_ssize_t n_out, floating rate) noexcept nogil:
    """_rows.sgd_outer, vectorized: a per-example step's wide layer."""
    sgd_outer_blocked(W, a, d, n_in, n_out, rate)


cdef void outer_gradient_wide(floating* g, const floating* W, const floating* a,
                              const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                              floating alpha) noexcept nogil:
    """_rows.outer_gradient, vectorized: a per-example step's wide layer."""
    outer_gradient_blocked(g, W, a, d, n_in, n_out, alpha)


cdef void forward(const Net* net, const Extras* ex, const floating* params,
                  const floating* x, Py_ssize_t rows, floating* acts, Py_ssize_t cap,
                  Py_ssize_t row0, Py_ssize_t first) noexcept nogil:
    """A_l = f_l(A_{l-1} . W_l + b_l) for l = 1..L; A_0 = x (rows, n_0), into
    rows first..first+rows of the buffer's blocks.

    ``ex`` (NULL for inference) is a training pass's: the layers it names
    keep f'(z) in their slope block, and with ``ex.keep`` dropout applies
    (rows numbered from ``row0`` in the batch, for the masks)."""
    cdef Py_ssize_t l, r, n_in, n_out
    cdef const floating* a_in = x
    cdef floating* a_out
    cdef floating* slope
    cdef floating* dropped
    cdef const floating* w
    if ex == NULL or not ex.used:
        forward_plain(net, params, x, rows, acts, cap, first)
        return
    if ex.input_off >= 0:
        dropped = acts + cap * ex.input_off + first * net.sizes[0]
        memcpy(dropped, x, rows * net.sizes[0] * sizeof(floating))
        drop_units(ex, 0, dropped, <floating*>NULL, rows, net.sizes[0], row0)
        a_in = dropped
    for l in range(net.n_layers):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        w = params + net.param_off[l]
        a_out = acts + cap * net.unit_off[l] + first * n_out
        matmul(rows, n_out, n_in, a_in, w, a_out)
        slope = NULL
        if l < net.n_layers - 1 and ex.slope_off[l] >= 0:
            slope = acts + cap * ex.slope_off[l] + first * n_out
        if slope == NULL:
            activate(net.acts[l], net.act_params[l], a_out, w + n_in * n_out, rows, n_out)
        else:
            for r in range(rows):
                activate_keep_slope(net.acts[l], <floating>net.act_params[l], a_out + r * n_out,
                                    w + n_in * n_out, n_out, slope + r * n_out)
            if ex.keep != NULL and ex.keep[l + 1] < 1:
                drop_units(ex, l + 1, a_out, slope, rows, n_out, row0)
        a_in = a_out


cdef inline const floating* slope_block(const Net* net, const Extras* ex, Py_ssize_t l,
                                        const floating* acts, Py_ssize_t cap,
                                        Py_ssize_t first) noexcept nogil:
    """Layer l's kept f'(z) from row ``first``, or NULL when the derivative
    comes from the output."""
    if ex == NULL or not ex.used or ex.slope_off[l] < 0:
        return NULL
    return acts + cap * ex.slope_off[l] + first * net.sizes[l + 1]


cdef inline const floating* layer_input(const Net* net, const Extras* ex, Py_ssize_t l,
                                        const floating* x, const floating* acts,
                                        Py_ssize_t cap, Py_ssize_t first) noexcept nogil:
    """What weight layer l multiplied in the forward pass, from row ``first``
    (``x``: the pass's input, from its first row)."""
    if l > 0:
        return acts + cap * net.unit_off[l - 1] + first * net.sizes[l]
    if ex != NULL and ex.used and ex.input_off >= 0:
        return acts + cap * ex.input_off + first * net.sizes[0]
    return x + first * net.sizes[0]


cdef double output_loss(const Net* net, const floating* out, const floating* t,
                        const floating* w, Py_ssize_t rows, floating* delta,
                        floating scale) noexcept nogil:
    """Sum over rows of the per-example loss (times w[r] when ``w`` is not
    NULL); with ``delta`` not NULL also delta = scale * w[r] * dLoss/dZ of the
    output layer."""
    cdef Py_ssize_t n = net.sizes[net.n_layers], r
    cdef int act = net.acts[net.n_layers - 1]
    cdef double param = net.act_params[net.n_layers - 1], total = 0, loss
    for r in range(rows):
        loss = example_loss(net.loss, act, param, out + r * n, t + r * n, n,
                            delta + r * n if delta != NULL else NULL,
                            scale * w[r] if w != NULL else scale)
        total += loss if w == NULL else w[r] * loss
    return total


cdef void layer_gradient(const Net* net, const Extras* ex, Py_ssize_t l, const floating* x,
                         Py_ssize_t rows, const floating* acts, const floating* deltas,
                         Py_ssize_t cap, floating* grads, bint accumulate, Py_ssize_t block=0,
                         Py_ssize_t blocks=1, Py_ssize_t first=0) noexcept nogil:
    """Block ``block`` of ``blocks`` of dW_l = A_{l-1}^T . D_l (sums over the
    rows in order) over the buffers' rows first..first+rows, and the part of
    db_l it has: written, or added with ``accumulate``.  Blocks split dW's
    longer side: its rows (inputs), each block then reading all of D_l (the
    smaller operand) but only its inputs' columns of A_{l-1}, or its
    columns; BLAS packs each operand's block once."""
    cdef Py_ssize_t r, j, n_in = net.sizes[l], n_out = net.sizes[l + 1]
    cdef Py_ssize_t p0 = 0, p1 = n_in, j0 = 0, j1 = n_out
    cdef const floating* a_in = layer_input(net, ex, l, x, acts, cap, first)
    cdef const floating* d = deltas + cap * net.unit_off[l] + first * n_out
    cdef floating* g = grads + net.param_off[l]
    cdef floating* gb = g + n_in * n_out
    cdef floating beta = 1 if accumulate else 0
    if n_in >= n_out:
        p0, p1 = block * n_in // blocks, (block + 1) * n_in // blocks
    else:
        j0, j1 = block * n_out // blocks, (block + 1) * n_out // blocks
    matmul_tn_block(rows, n_out, n_in, p0, p1, j0, j1, <floating>1, a_in, d, beta, g)
    if p0 > 0:  # db belongs to the blocks of dW's first rows
        return
    if not accumulate:
        for j in range(j0, j1):
            gb[j] = 0
    for r in range(rows):
        for j in range(j0, j1):
            gb[j] += d[r * n_out + j]


cdef void layer_errors(const Net* net, const Extras* ex, const floating* params, Py_ssize_t l,
                       const floating* x, Py_ssize_t rows, const floating* acts,
                       floating* deltas, Py_ssize_t cap, Py_ssize_t first) noexcept nogil:
    """D_{l-1} = (D_l . W_l^T) * f'_{l-1} for rows first..first+rows (l >= 1),
    from the weights before any update."""
    cdef Py_ssize_t n_in = net.sizes[l], n_out = net.sizes[l + 1]
    cdef floating* below = deltas + cap * net.unit_off[l - 1] + first * n_in
    matmul_nt(rows, n_out, n_in, <floating>1, deltas + cap * net.unit_off[l] + first * n_out,
              params + net.param_off[l], <floating>0, below)
    mul_derivative(net.acts[l - 1], net.act_params[l - 1], below,
                   layer_input(net, ex, l, x, acts, cap, first),
                   slope_block(net, ex, l - 1, acts, cap, first), rows * n_in)


cdef void backward(const Net* net, const Extras* ex, const floating* params,
                   const floating* x, Py_ssize_t rows, const floating* acts, floating* deltas,
                   Py_ssize_t cap, floating* grads, bint accumulate) noexcept nogil:
    """From the output delta (already in ``deltas``) down to layer 1: write (or
    with ``accumulate`` add) dW_l and db_l into ``grads``.  ``ex`` is the
    forward pass's (see forward)."""
    cdef Py_ssize_t l
    for l in range(net.n_layers - 1, -1, -1):
        layer_gradient(net, ex, l, x, rows, acts, deltas, cap, grads, accumulate)
        if l > 0:
            layer_errors(net, ex, params, l, x, rows, acts, deltas, cap, 0)


cdef double add_l2_gradient(const Net* net, const floating* params,
                            floating* grads, double alpha) noexcept nogil:
    """dW_l += alpha * W_l for every layer (biases are not penalized); returns
    sum_l ||W_l||^2."""
    cdef Py_ssize_t l, i, start, stop
    cdef floating a = <floating>alpha
    cdef double sq = 0
    for l in range(net.n_layers):
        start = net.param_off[l]
        stop = start + net.sizes[l] * net.sizes[l + 1]
        for i in range(start, stop):
            sq += params[i] * params[i]
            grads[i] += a * params[i]
    return sq


cdef double add_l1_gradient(const Net* net, const floating* params,
                            floating* grads, double l1) noexcept nogil:
    """dW_l += l1 * sign(W_l) for every layer (biases are not penalized; the
    subgradient at 0 is 0); returns sum_l |W_l|.  Selects, not branches:
    the signs of the weights are a coin toss for the branch predictor."""
    cdef Py_ssize_t l, i, start, stop
    cdef floating c = <floating>l1, v
    cdef double total = 0
    for l in range(net.n_layers):
        start = net.param_off[l]
        stop = start + net.sizes[l] * net.sizes[l + 1]
        for i in range(start, stop):
            v = params[i]
            total += fabs(v)
            grads[i] += c if v > 0 else (-c if v < 0 else 0)
    return total


cdef void scale_weights(const Net* net, floating* params, double factor) noexcept nogil:
    """W_l *= factor for every layer, biases untouched (decoupled weight decay)."""
    cdef Py_ssize_t l, i, start, stop
    cdef floating f = <floating>factor
    for l in range(net.n_layers):
        start = net.param_off[l]
        stop = start + net.sizes[l] * net.sizes[l + 1]
        for i in range(start, stop):
            params[i] *= f


def forward_dataset(Topology top, const floating[::1] params,
                    const floating[:, ::1] X, floating[:, ::1] out,
                    floating[::1] acts):
    """out = network output for every row of X, ``cap`` rows at a time."""
    cdef Py_ssize_t cap = top.check(params, X, acts=acts)
    cdef const Net* net = &top.net
    cdef Py_ssize_t n = X.shape[0], n_out = net.sizes[net.n_layers], start, m
    cdef floating* last = &acts[0] + cap * net.unit_off[net.n_layers - 1]
    if out.shape[0] != n or out.shape[1] != n_out:
        raise ValueError(f"out has shape {tuple(out.shape)[:2]}, expected ({n}, {n_out})")
    with nogil:
        start = 0
        while start < n:
            m = n - start if n - start < cap else cap
            forward(net, <Extras*>NULL, &params[0], &X[start, 0], m, &acts[0], cap, 0, 0)
            memcpy(&out[start, 0], last, m * n_out * sizeof(floating))
            start += m


def loss_dataset(Topology top, const floating[::1] params,
                 const floating[:, ::1] X, const floating[:, ::1] Y,
                 const floating[::1] weights, floating[::1] acts):
    """Sum over the rows of X of the per-example loss, each times its weight
    when ``weights`` is not None (no regularization)."""
    cdef Py_ssize_t cap = top.check(params, X, Y, acts=acts, weights=weights)
    cdef const floating* w = &weights[0] if weights is not None else NULL
    cdef const Net* net = &top.net
    cdef Py_ssize_t n = X.shape[0], start = 0, m
    cdef floating* last = &acts[0] + cap * net.unit_off[net.n_layers - 1]
    cdef double total = 0
    with nogil:
        while start < n:
            m = n - start if n - start < cap else cap
            forward(net, <Extras*>NULL, &params[0], &X[start, 0], m, &acts[0], cap, 0, 0)
            total += output_loss(net, last, &Y[start, 0], w + start if w != NULL else NULL,
                                 m, <floating*>NULL, <floating>1)
            start += m
    return total


cdef enum:
    SCAN_LANES = 32  # independent lanes: four AVX-512 registers of doubles


cdef inline void scan_lanes(const floating* x, Py_ssize_t n, floating* lo, floating* hi,
                            floating* bad) noexcept nogil:
    """Lane j's min, max and sum of x - x (0 when finite, else NaN) over
    x[j], x[j + SCAN_LANES], ...: n is a multiple of SCAN_LANES.  (With the
    lanes behind pointers gcc vectorizes the loop; local arrays it
    breaks into scalars.)"""
    cdef Py_ssize_t i = 0, j
    cdef floating v
    while i < n:
        for j in range(SCAN_LANES):
            v = x[i + j]
            lo[j] = v if v < lo[j] else lo[j]
            hi[j] = v if v > hi[j] else hi[j]
            bad[j] = bad[j] + (v - v)
        i += SCAN_LANES


def extremes(const floating[::1] values):
    """(min, max) of ``values`` in one pass over them (NumPy's min and max
    take two), or (nan, nan) when some entry is NaN or infinite: what fit's
    validation of X needs, on every call."""
    cdef Py_ssize_t n = values.shape[0], i, j, whole = n - n % SCAN_LANES
    cdef floating lo[SCAN_LANES]
    cdef floating hi[SCAN_LANES]
    cdef floating bad[SCAN_LANES]
    cdef floating v, low, high, total = 0
    cdef const floating* x
    if n == 0:
        raise ValueError("no values to scan")
    x = &values[0]
    with nogil:
        for j in range(SCAN_LANES):
            lo[j] = hi[j] = x[0]
            bad[j] = 0
        scan_lanes(x, whole, lo, hi, bad)
        low, high = lo[0], hi[0]
        for j in range(SCAN_LANES):
            low = lo[j] if lo[j] < low else low
            high = hi[j] if hi[j] > high else high
            total += bad[j]
        for i in range(whole, n):
            v = x[i]
            low = v if v < low else low
            high = v if v > high else high
            total += v - v
    if total != 0:  # (NaN compares unequal)
        return float("nan"), float("nan")
    return low, high
