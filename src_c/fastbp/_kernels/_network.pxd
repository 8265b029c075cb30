# Forward and backward passes of a fully connected network over one batch.
# See _network.pyx for the layouts.

from cython cimport floating
from libc.stdint cimport uint64_t

cpdef enum Loss:
    SQUARED = 0
    CROSS_ENTROPY = 1
    POISSON = 2


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

cdef double output_loss(const Net* net, const floating* out, const floating* t,
                        const floating* w, Py_ssize_t rows, floating* delta,
                        floating scale) noexcept nogil

cdef void layer_gradient(const Net* net, const Extras* ex, Py_ssize_t l, const floating* x,
                         Py_ssize_t rows, const floating* acts, const floating* deltas,
                         Py_ssize_t cap, floating* grads, bint accumulate, Py_ssize_t block=*,
                         Py_ssize_t blocks=*, Py_ssize_t first=*) noexcept nogil

cdef void layer_errors(const Net* net, const Extras* ex, const floating* params, Py_ssize_t l,
                       const floating* x, Py_ssize_t rows, const floating* acts,
                       floating* deltas, Py_ssize_t cap, Py_ssize_t first) noexcept nogil

cdef void backward(const Net* net, const Extras* ex, const floating* params,
                   const floating* x,
                   Py_ssize_t rows, const floating* acts, floating* deltas,
                   Py_ssize_t cap, floating* grads, bint accumulate) noexcept nogil

cdef double add_l2_gradient(const Net* net, const floating* params,
                            floating* grads, double alpha) noexcept nogil

cdef double add_l1_gradient(const Net* net, const floating* params,
                            floating* grads, double l1) noexcept nogil

cdef void scale_weights(const Net* net, floating* params, double factor) noexcept nogil
