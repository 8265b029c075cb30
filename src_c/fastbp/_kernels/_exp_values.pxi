# exp_values, included by _network.pyx (vectorized loops) and _train.pyx
# (scalar loops, FASTBP_SCALAR_LOOPS): the same source compiled under each
# module's flags, so that tests/test_exp.py sees both shapes of the exp.

from cython cimport floating

from ._exp cimport exp_double, exp_float


def exp_values(const floating[::1] x, floating[::1] out):
    """out[i] = exp(x[i]), by the exp this module's loops inline (the
    vectorized shape in _network, the scalar one in _train)."""
    cdef Py_ssize_t i
    if out.shape[0] != x.shape[0]:
        raise ValueError(f"out has {out.shape[0]} values, x {x.shape[0]}: expected as many")
    for i in range(x.shape[0]):
        if floating is float:
            out[i] = exp_float(x[i])
        else:
            out[i] = exp_double(x[i])
