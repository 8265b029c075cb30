# Scalar math over the fused float type: one home for the float/double
# switch, so every kernel calls _log and gets logf for float32, log for float64.
# exp is fastbp's own (_exp.pxd).

from cython cimport floating
from ._exp cimport exp_double, exp_float
from libc.math cimport (
    erf, erff, expm1, expm1f, log, log1p, log1pf, logf, sqrt, sqrtf, tanh, tanhf)


cdef inline floating _exp(floating x) noexcept nogil:
    if floating is float:
        return exp_float(x)
    else:
        return exp_double(x)


cdef inline floating _log(floating x) noexcept nogil:
    if floating is float:
        return logf(x)
    else:
        return log(x)


cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline floating _tanh(floating x) noexcept nogil:
    if floating is float:
        return tanhf(x)
    else:
        return tanh(x)


cdef inline floating _erf(floating x) noexcept nogil:
    if floating is float:
        return erff(x)
    else:
        return erf(x)


cdef inline floating _expm1(floating x) noexcept nogil:
    if floating is float:
        return expm1f(x)
    else:
        return expm1(x)


cdef inline floating _log1p(floating x) noexcept nogil:
    if floating is float:
        return log1pf(x)
    else:
        return log1p(x)
