# Forward and backward passes of a fully connected network over one batch.
# See _network.pyx for the layouts.

from cython cimport floating
from libc.stdint cimport uint64_t

cpdef enum Loss:
    SQUARED = 0
    CROSS_ENTROPY = 1
    POISSON = 2


# A pass of at least 2 PART_ROWS rows is computed in MAX_PARTS parts of rows
# (forward, loss, errors), work fixed by the pass alone, so that n_threads
# never changes a bit.  Its weight gradients come one of two ways, chosen by
# the pass's size alone (``part_gradients``):
# - each part's gradient over its own rows, the parts' added in part order
#   afterwards, when the parameters are fewer than the pass's activations
#   (the digits: 7,510 against 200 x 174): a thread then reads only the rows
#   it computed.  Two CPUs on different dies of the host (a VM's vCPUs can
#   move there for seconds: a cache line's round trip 340 ns instead of 65)
#   made W2 on two threads 0.71x of one when the gradients read every row;
# - else over all the pass's rows at once, in blocks of each layer's dW (two
#   blocks of its longer side, rows or columns, when that is at least
#   2 BLOCK_WIDTH; see layer_gradient): per-part
#   gradients would halve their products' inner dimension and add a pass over
#   the parameters (a W3 epoch took 11% longer on one thread that way).
# The parameters are reduced and updated over ranges of RANGE values, each
# thread always taking the same ranges (static schedule), so a range's
# gradient, parameters and optimizer state stay in one core's cache.
cdef enum:
    PART_ROWS = 64
    MAX_PARTS = 2
    BLOCK_WIDTH = 32
    RANGE = 4096


cdef inline Py_ssize_t parts_of(Py_ssize_t rows) noexcept nogil:
    return MAX_PARTS if rows >= MAX_PARTS * PART_ROWS else 1


cdef struct Net:
    Py_ssize_t n_layers          # number of weight layers L
    const Py_ssize_t* sizes      # L + 1 widths, the input first
    const int* acts              # L activation codes, the output's last
    const double* act_params     # L unit parameters (leaky slope, ELU alpha, softplus beta)
    # L + 1 offsets into params: W_l starts at param_off[l], b_l right after
    # it; [L] = total
    const Py_ssize_t* param_off
    # L + 1 prefix sums of sizes[1:]: layer l's block of a buffer starts at
    # cap * unit_off[l]
    const Py_ssize_t* unit_off
    int loss


cdef inline bint part_gradients(const Net* net, Py_ssize_t rows) noexcept nogil:
    """Whether a split pass of ``rows`` rows sums its parts' gradients (see
    above): fewer parameters than activation values, inputs included."""
    return net.param_off[net.n_layers] <= rows * (net.sizes[0] + net.unit_off[net.n_layers])


cdef struct Extras:
    # What a training pass keeps besides the activations, and its dropout.
    # Blocks of a buffer beyond the units' (cap * n_units values) start at
    # cap * offset, offsets counted in values per row:
    const Py_ssize_t* slope_off  # L entries: f'(z) of layer l's output (l < L-1), -1: not kept
    Py_ssize_t input_off         # the inputs after dropout, -1: no input dropout
    # L keep probabilities of weight layer l's input (l = 0: the network's
    # inputs); NULL: no dropout
    const double* keep
    uint64_t key                 # the step's random key (see _random.pxd)
    Py_ssize_t width             # values per buffer row
    bint used                    # anything kept or dropped: else passes take the plain path


cdef class Topology:
    cdef Net net
    cdef Extras base  # a training pass's extras without dropout
    cdef readonly object sizes, activations, param_offsets, unit_offsets, unit_params
    cdef readonly int loss
    cdef readonly Py_ssize_t row_width
    cdef const Py_ssize_t[::1] _sizes, _param_off, _unit_off, _slope_off
    cdef const int[::1] _acts
    cdef const double[::1] _act_params


cdef void forward(const Net* net, const Extras* ex, const floating* params,
                  const floating* x, Py_ssize_t rows, floating* acts, Py_ssize_t cap,
                  Py_ssize_t row0, Py_ssize_t first) noexcept nogil

cdef void row_forward(const floating* a, const floating* W, Py_ssize_t n_in, Py_ssize_t n_out,
                      int act, double param, floating* z) noexcept nogil

cdef void sgd_outer_wide(floating* W, const floating* a, const floating* d,
                         Py_ssize_t n_in, Py_ssize_t n_out, floating rate) noexcept nogil

cdef void outer_gradient_wide(floating* g, const floating* W, const floating* a,
                              const floating* d, Py_ssize_t n_in, Py_ssize_t n_out,
                              floating alpha) noexcept nogil

cdef void backward(const Net* net, const Extras* ex, const floating* params,
                   const floating* x,
                   Py_ssize_t rows, const floating* acts, floating* deltas,
                   Py_ssize_t cap, floating* grads, bint accumulate) noexcept nogil

cdef double add_l2_gradient(const Net* net, const floating* params,
                            floating* grads, double alpha) noexcept nogil

cdef double add_l1_gradient(const Net* net, const floating* params,
                            floating* grads, double l1) noexcept nogil

cdef void scale_weights(const Net* net, floating* params, double factor) noexcept nogil

cdef double weight_sum(const floating* W, const Py_ssize_t* order,
                       Py_ssize_t start, Py_ssize_t count) noexcept nogil

cdef double batch_gradient(const Net* net, const Extras* ex, const floating* params,
                           const floating* X, const floating* Y,
                           const floating* W, const Py_ssize_t* order,
                           Py_ssize_t start, Py_ssize_t count, floating scale,
                           floating* grads, floating* part_grads, floating* acts,
                           floating* deltas, floating* gather, Py_ssize_t cap,
                           int n_threads) noexcept nogil
