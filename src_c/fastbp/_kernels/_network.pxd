# Forward and backward passes of a fully connected network over one batch.
# See _network.pyx for the layouts.

from cython cimport floating

cpdef enum Loss:
    SQUARED = 0
    CROSS_ENTROPY = 1
    POISSON = 2


cdef struct Net:
    Py_ssize_t n_layers          # number of weight layers L
    const Py_ssize_t* sizes      # L + 1 widths, the input first
    const int* acts              # L activation codes, the output's last
    # L + 1 offsets into params: W_l starts at param_off[l], b_l right after
    # it; [L] = total
    const Py_ssize_t* param_off
    # L + 1 prefix sums of sizes[1:]: layer l's block of a buffer starts at
    # cap * unit_off[l]
    const Py_ssize_t* unit_off
    int loss


cdef class Topology:
    cdef Net net
    cdef readonly object sizes, activations, param_offsets, unit_offsets
    cdef readonly int loss
    cdef const Py_ssize_t[::1] _sizes, _param_off, _unit_off
    cdef const int[::1] _acts


cdef void forward(const Net* net, const floating* params, const floating* x,
                  Py_ssize_t rows, floating* acts, Py_ssize_t cap) noexcept nogil

cdef double output_loss(const Net* net, const floating* out, const floating* t,
                        const floating* w, Py_ssize_t rows, floating* delta,
                        floating scale) noexcept nogil

cdef void backward(const Net* net, const floating* params, const floating* x,
                   Py_ssize_t rows, const floating* acts, floating* deltas,
                   Py_ssize_t cap, floating* grads, bint accumulate) noexcept nogil

cdef double add_l2_gradient(const Net* net, const floating* params,
                            floating* grads, double alpha) noexcept nogil

cdef double example_step(const Net* net, floating* params, floating* grads,
                         floating* s1, floating* s2, const floating* x,
                         const floating* y, floating* acts, floating* deltas,
                         int rule, double lr, double eps, double h1, double h2,
                         double alpha, double* sq, bint* ok) noexcept nogil

cdef double weight_sum(const floating* W, const Py_ssize_t* order,
                       Py_ssize_t start, Py_ssize_t count) noexcept nogil

cdef double batch_gradient(const Net* net, const floating* params,
                           const floating* X, const floating* Y,
                           const floating* W, const Py_ssize_t* order,
                           Py_ssize_t start, Py_ssize_t count, floating scale,
                           floating* grads, floating* acts, floating* deltas,
                           floating* gather, Py_ssize_t cap) noexcept nogil
