# Activation functions applied in place over row-major (rows, cols) buffers,
# and their derivatives taken from the activations (outputs), as in the lecture:
# sigmoid o(1-o), tanh 1-o^2, ReLU 1 where o > 0 else 0, identity 1, exp o.

from cython cimport floating

from ._math cimport _exp, _tanh

cpdef enum Activation:
    IDENTITY = 0
    SIGMOID = 1
    TANH = 2
    RELU = 3
    SOFTMAX = 4
    EXP = 5


cdef inline void add_bias_activate(int act, floating* z, const floating* bias,
                                   Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    """z[r, :] = f(z[r, :] + bias) for every row r, one pass over z."""
    cdef Py_ssize_t r, j
    cdef floating* row
    cdef floating v, top, total
    for r in range(rows):
        row = z + r * cols
        if act == SIGMOID:
            for j in range(cols):
                row[j] = 1 / (1 + _exp(-(row[j] + bias[j])))
        elif act == TANH:
            for j in range(cols):
                row[j] = _tanh(row[j] + bias[j])
        elif act == RELU:
            for j in range(cols):
                v = row[j] + bias[j]
                row[j] = v if v > 0 else 0  # also a select
        elif act == EXP:
            for j in range(cols):
                row[j] = _exp(row[j] + bias[j])
        elif act == SOFTMAX:
            # subtract the row maximum so exp never overflows
            for j in range(cols):
                row[j] += bias[j]
            top = row[0]
            for j in range(1, cols):
                if row[j] > top:
                    top = row[j]
            total = 0
            for j in range(cols):
                row[j] = _exp(row[j] - top)
                total += row[j]
            total = 1 / total
            for j in range(cols):
                row[j] *= total
        else:
            for j in range(cols):
                row[j] += bias[j]


cdef inline void mul_derivative(int act, floating* d, const floating* o,
                                Py_ssize_t n) noexcept nogil:
    """d *= f'(z), with f'(z) computed from o = f(z) (elementwise activations only)."""
    cdef Py_ssize_t i
    if act == SIGMOID:
        for i in range(n):
            d[i] *= o[i] * (1 - o[i])
    elif act == TANH:
        for i in range(n):
            d[i] *= 1 - o[i] * o[i]
    elif act == RELU:
        # a select, not a branch: vectorizes, and ReLU's signs are a coin toss
        for i in range(n):
            d[i] = d[i] if o[i] > 0 else 0
    elif act == EXP:
        for i in range(n):
            d[i] *= o[i]
