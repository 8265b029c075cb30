# Activation functions applied in place over row-major (rows, cols) buffers,
# and their derivatives.  Units whose derivative follows from their output take
# it from there, as in the lecture: sigmoid o(1-o), tanh 1-o^2, ReLU 1 where
# o > 0 else 0, identity 1, exp o, leaky ReLU 1 or slope, ELU 1 or o + alpha,
# softplus 1 - exp(-beta o).  GELU and SiLU are not invertible: a training pass
# computes their derivative with the output and keeps it (``slope`` below).
# ``param`` is the unit's parameter: leaky ReLU's slope, ELU's alpha,
# softplus' beta (unused by the others).

from cython cimport floating
from libc.math cimport M_2_SQRTPI, M_SQRT1_2

from ._math cimport _erf, _exp, _expm1, _log1p, _tanh

cpdef enum Activation:
    IDENTITY = 0
    SIGMOID = 1
    TANH = 2
    RELU = 3
    SOFTMAX = 4
    EXP = 5
    LEAKY_RELU = 6
    ELU = 7
    GELU = 8
    SOFTPLUS = 9
    SILU = 10


cdef enum:
    SOFTPLUS_THRESHOLD = 20  # beta z above it: softplus(z) = z (torch's default)


cdef inline void modern_units(int act, floating p, floating* row,
                              const floating* bias, Py_ssize_t cols) noexcept nogil:
    """row = f(row + bias) for the units after ReLU (torch.nn.functional's formulas)."""
    cdef Py_ssize_t j
    cdef floating v
    if act == LEAKY_RELU:
        for j in range(cols):
            v = row[j] + bias[j]
            row[j] = v if v > 0 else p * v
    elif act == ELU:
        for j in range(cols):
            v = row[j] + bias[j]
            row[j] = v if v > 0 else p * _expm1(v)
    elif act == GELU:
        for j in range(cols):
            v = row[j] + bias[j]
            row[j] = v * <floating>0.5 * (1 + _erf(v * <floating>M_SQRT1_2))
    elif act == SOFTPLUS:
        for j in range(cols):
            v = row[j] + bias[j]
            row[j] = v if p * v > SOFTPLUS_THRESHOLD else _log1p(_exp(p * v)) / p
    elif act == SILU:
        for j in range(cols):
            v = row[j] + bias[j]
            row[j] = v / (1 + _exp(-v))


cdef inline void activate_keep_slope(int act, floating p, floating* row,
                                     const floating* bias, Py_ssize_t cols,
                                     floating* slope) noexcept nogil:
    """row = f(row + bias) and slope = f'(row + bias), for a training pass that
    keeps the derivative (GELU, SiLU, or any unit under dropout)."""
    cdef Py_ssize_t j
    cdef floating v, s, e
    if act == GELU:
        for j in range(cols):
            v = row[j] + bias[j]
            e = 1 + _erf(v * <floating>M_SQRT1_2)
            s = <floating>0.5 * e
            row[j] = v * <floating>0.5 * e
            # + z times the normal density, 1/sqrt(2 pi) exp(-z^2 / 2)
            slope[j] = s + v * (<floating>(M_2_SQRTPI * M_SQRT1_2 * 0.5)
                                * _exp(v * v * <floating>-0.5))
    elif act == SILU:
        for j in range(cols):
            v = row[j] + bias[j]
            e = 1 + _exp(-v)
            s = 1 / e
            row[j] = v / e
            slope[j] = s * (1 + v * (1 - s))
    else:
        # the units whose derivative follows from their output
        if act >= LEAKY_RELU:
            modern_units(act, p, row, bias, cols)
        else:
            add_bias_activate(act, p, row, bias, 1, cols)
        for j in range(cols):
            slope[j] = 1
        mul_derivative(act, p, slope, row, <floating*>NULL, cols)


cdef inline void add_bias_activate(int act, double param, floating* z, const floating* bias,
                                   Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    """z[r, :] = f(z[r, :] + bias) for every row r, one pass over z, for the
    units up to EXP (``modern_units`` does the others: apart, so that this
    stays small enough to inline into the per-example loop)."""
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


cdef inline void mul_derivative(int act, double param, floating* d, const floating* o,
                                const floating* slope, Py_ssize_t n) noexcept nogil:
    """d *= f'(z): the kept ``slope`` when not NULL, else computed from o = f(z)
    (elementwise activations only)."""
    cdef Py_ssize_t i
    cdef floating p = <floating>param
    if slope != NULL:
        for i in range(n):
            d[i] *= slope[i]
    elif act == SIGMOID:
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
    elif act == LEAKY_RELU:
        for i in range(n):
            d[i] = d[i] if o[i] > 0 else d[i] * p
    elif act == ELU:
        for i in range(n):
            d[i] = d[i] if o[i] > 0 else d[i] * (o[i] + p)
    elif act == SOFTPLUS:
        # sigmoid(beta z) = 1 - exp(-beta o), as o = log(1 + exp(beta z)) / beta
        for i in range(n):
            d[i] = d[i] if p * o[i] > SOFTPLUS_THRESHOLD else d[i] * -_expm1(-p * o[i])
