# A batch's gradient, pass by pass, and the split of a pass into parts of
# rows for threads.  See _passes.pyx.

from cython cimport floating

from ._network cimport Extras, Net

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
# On one thread a pass of at most WHOLE_ROWS rows takes its products over
# all its rows at once where BLAS gives the parts' bits that way (whole_pass):
# the weights are then packed once rather than once per part, a saving that
# shrinks as the rows grow, while the check's random operands grow with them.
cdef enum:
    PART_ROWS = 64
    MAX_PARTS = 2
    BLOCK_WIDTH = 32
    RANGE = 4096
    WHOLE_ROWS = 512


cdef inline Py_ssize_t parts_of(Py_ssize_t rows) noexcept nogil:
    return MAX_PARTS if rows >= MAX_PARTS * PART_ROWS else 1


cdef inline bint part_gradients(const Net* net, Py_ssize_t rows) noexcept nogil:
    """Whether a split pass of ``rows`` rows sums its parts' gradients (see
    above): fewer parameters than activation values, inputs included."""
    return net.param_off[net.n_layers] <= rows * (net.sizes[0] + net.unit_off[net.n_layers])


cdef double weight_sum(const floating* W, const Py_ssize_t* order,
                       Py_ssize_t start, Py_ssize_t count) noexcept nogil

cdef double batch_gradient(const Net* net, const Extras* ex, const floating* params,
                           const floating* X, const floating* Y,
                           const floating* W, const Py_ssize_t* order,
                           Py_ssize_t start, Py_ssize_t count, floating scale,
                           floating* grads, floating* part_grads, floating* acts,
                           floating* deltas, floating* gather, Py_ssize_t cap,
                           int n_threads, bint whole=*) noexcept nogil
