# The loss of one example and the error it sends back into the output layer,
# inline so that both the batched pass (_network.pyx) and the per-example
# step (_example.pxd) compile it into their loops.
#
# Losses (per example): squared 1/2 sum_k (o_k - t_k)^2; cross-entropy
# -sum_k t_k log o_k after softmax, or the binary log loss per unit after
# sigmoid; Poisson sum_k (o_k - t_k log o_k + t_k log t_k - t_k) (half the
# deviance) after exp.  The Python layer refuses other pairings for the last two.

from cython cimport floating
from libc.float cimport DBL_MIN, FLT_MIN

from ._activations cimport SOFTMAX, mul_derivative
from ._math cimport _log
from ._network cimport POISSON, SQUARED


cdef inline floating _clipped_log(floating x) noexcept nogil:
    # log clipped below at the smallest normal number, so a saturated output
    # gives a large finite loss rather than inf
    cdef floating tiny = FLT_MIN if floating is float else DBL_MIN
    return _log(x if x > tiny else tiny)


cdef inline double example_loss(int loss, int act, double param, const floating* o,
                                const floating* y, Py_ssize_t n, floating* d,
                                floating s) noexcept nogil:
    """The loss of one example, outputs ``o`` and targets ``y`` (n,) of an
    output layer of unit ``act``; with ``d`` not NULL also d = s dLoss/dZ."""
    cdef Py_ssize_t j
    cdef floating e, dot
    cdef double total = 0
    if loss == SQUARED:
        for j in range(n):
            e = o[j] - y[j]
            total += e * e
        total *= 0.5
        if d != NULL:
            if act == SOFTMAX:
                # dL/dz_j = o_j (e_j - sum_k e_k o_k)
                dot = 0
                for j in range(n):
                    dot = dot + (o[j] - y[j]) * o[j]
                for j in range(n):
                    d[j] = s * o[j] * ((o[j] - y[j]) - dot)
            else:
                for j in range(n):
                    d[j] = s * (o[j] - y[j])
                mul_derivative(act, param, d, o, <floating*>NULL, n)
        return total
    if loss == POISSON:  # after exp
        for j in range(n):
            total += o[j] - y[j] * _clipped_log(o[j])
            if y[j] > 0:
                total += y[j] * _clipped_log(y[j]) - y[j]
    elif act == SOFTMAX:
        for j in range(n):
            if y[j] != 0:
                total -= y[j] * _clipped_log(o[j])
    else:  # sigmoid: binary log loss of every unit
        for j in range(n):
            if y[j] != 0:
                total -= y[j] * _clipped_log(o[j])
            if y[j] != 1:
                total -= (1 - y[j]) * _clipped_log(1 - o[j])
    if d != NULL:
        # softmax + cross-entropy, sigmoid + log loss and exp + Poisson
        # (canonical links) share dL/dz = o - t
        for j in range(n):
            d[j] = s * (o[j] - y[j])
    return total
