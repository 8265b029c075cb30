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


# Each formula once, per unit; the loops below apply them over blocks (one
# loop per unit, so the compiler vectorizes what it can), ``unit_value`` and
# ``times_slope`` to one unit at a time (the per-example step's narrow layers).

cdef inline floating _sigmoid(floating z) noexcept nogil:
    return 1 / (1 + _exp(-z))


cdef inline floating _relu(floating z) noexcept nogil:
    return z if z > 0 else 0  # a select, not a branch


cdef inline floating _leaky_relu(floating p, floating z) noexcept nogil:
    return z if z > 0 else p * z


cdef inline floating _elu(floating p, floating z) noexcept nogil:
    return z if z > 0 else p * _expm1(z)


cdef inline floating _softplus(floating p, floating z) noexcept nogil:
    return z if p * z > SOFTPLUS_THRESHOLD else _log1p(_exp(p * z)) / p


cdef inline floating _gelu(floating z) noexcept nogil:
    return z * <floating>0.5 * (1 + _erf(z * <floating>M_SQRT1_2))


cdef inline floating _silu(floating z) noexcept nogil:
    return z / (1 + _exp(-z))


# d times f'(z), from the output o = f(z) (the units whose derivative follows
# from their output); a select, not a branch, where the slope is 0 or 1.

cdef inline floating _sigmoid_back(floating d, floating o) noexcept nogil:
    return d * (o * (1 - o))


cdef inline floating _tanh_back(floating d, floating o) noexcept nogil:
    return d * (1 - o * o)


cdef inline floating _relu_back(floating d, floating o) noexcept nogil:
    return d if o > 0 else 0


cdef inline floating _leaky_relu_back(floating p, floating d, floating o) noexcept nogil:
    return d if o > 0 else d * p


cdef inline floating _elu_back(floating p, floating d, floating o) noexcept nogil:
    return d if o > 0 else d * (o + p)


cdef inline floating _softplus_back(floating p, floating d, floating o) noexcept nogil:
    # sigmoid(beta z) = 1 - exp(-beta o), as o = log(1 + exp(beta z)) / beta
    return d if p * o > SOFTPLUS_THRESHOLD else d * -_expm1(-p * o)


cdef inline floating unit_value(int act, floating p, floating z) noexcept nogil:
    """f(z) of one unit: any but softmax."""
    if act == SIGMOID:
        return _sigmoid(z)
    elif act == TANH:
        return _tanh(z)
    elif act == RELU:
        return _relu(z)
    elif act == EXP:
        return _exp(z)
    elif act == LEAKY_RELU:
        return _leaky_relu(p, z)
    elif act == ELU:
        return _elu(p, z)
    elif act == SOFTPLUS:
        return _softplus(p, z)
    elif act == GELU:
        return _gelu(z)
    elif act == SILU:
        return _silu(z)
    return z


cdef inline floating times_slope(int act, floating p, floating d, floating o) noexcept nogil:
    """d f'(z) of one unit, from its output o: the units mul_derivative takes
    without a kept slope."""
    if act == SIGMOID:
        return _sigmoid_back(d, o)
    elif act == TANH:
        return _tanh_back(d, o)
    elif act == RELU:
        return _relu_back(d, o)
    elif act == EXP:
        return d * o
    elif act == LEAKY_RELU:
        return _leaky_relu_back(p, d, o)
    elif act == ELU:
        return _elu_back(p, d, o)
    elif act == SOFTPLUS:
        return _softplus_back(p, d, o)
    return d


cdef inline void modern_units(int act, floating p, floating* row,
                              const floating* bias, Py_ssize_t cols) noexcept nogil:
    """row = f(row + bias) for the units after ReLU (torch.nn.functional's formulas)."""
    cdef Py_ssize_t j
    if act == LEAKY_RELU:
        for j in range(cols):
            row[j] = _leaky_relu(p, row[j] + bias[j])
    elif act == ELU:
        for j in range(cols):
            row[j] = _elu(p, row[j] + bias[j])
    elif act == GELU:
        for j in range(cols):
            row[j] = _gelu(row[j] + bias[j])
    elif act == SOFTPLUS:
        for j in range(cols):
            row[j] = _softplus(p, row[j] + bias[j])
    elif act == SILU:
        for j in range(cols):
            row[j] = _silu(row[j] + bias[j])


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
    cdef floating top, total
    for r in range(rows):
        row = z + r * cols
        if act == SIGMOID:
            for j in range(cols):
                row[j] = _sigmoid(row[j] + bias[j])
        elif act == TANH:
            for j in range(cols):
                row[j] = _tanh(row[j] + bias[j])
        elif act == RELU:
            for j in range(cols):
                row[j] = _relu(row[j] + bias[j])
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
            for j in range(cols):
                row[j] = _exp(row[j] - top)
            total = 0  # apart: a sum in order does not vectorize, the exp does
            for j in range(cols):
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
            d[i] = _sigmoid_back(d[i], o[i])
    elif act == TANH:
        for i in range(n):
            d[i] = _tanh_back(d[i], o[i])
    elif act == RELU:
        for i in range(n):
            d[i] = _relu_back(d[i], o[i])
    elif act == EXP:
        for i in range(n):
            d[i] *= o[i]
    elif act == LEAKY_RELU:
        for i in range(n):
            d[i] = _leaky_relu_back(p, d[i], o[i])
    elif act == ELU:
        for i in range(n):
            d[i] = _elu_back(p, d[i], o[i])
    elif act == SOFTPLUS:
        for i in range(n):
            d[i] = _softplus_back(p, d[i], o[i])
