# Update rules over flat parameter vectors (see _optimizers.pyx).

from cython cimport floating

cpdef enum Rule:
    SGD = 0
    MOMENTUM = 1
    NESTEROV = 2
    ADAGRAD = 3
    RMSPROP = 4
    ADAM = 5
    VELOCITY = 6
    VELOCITY_NESTEROV = 7


cdef void step_scalars(int rule, double lr, double eps, double h1, double h2,
                       bint eps_hat, double t, double* lr_out,
                       double* eps_out) noexcept nogil

cdef void apply_update(int rule, floating* p, const floating* g,
                       floating* s1, floating* s2, Py_ssize_t n,
                       double lr, double eps, double h1, double h2) noexcept nogil

cdef double clip_gradient(floating* g, Py_ssize_t n, double max_norm,
                          double max_value) noexcept nogil

cdef bint all_finite(const floating* p, Py_ssize_t n) noexcept nogil
