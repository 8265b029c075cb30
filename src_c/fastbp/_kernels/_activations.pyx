"""Activation codes shared by Python and the kernels, and elementwise entry
points used by the tests and benchmarks.

Invariants: arrays are C-contiguous, float32 or float64, all of one dtype.
"""

from cython cimport floating


def activate(int act, floating[:, ::1] z, const floating[::1] bias):
    """z = f(z + bias), in place, row by row.  z: (rows, cols); bias: (cols,)."""
    if bias.shape[0] != z.shape[1]:
        raise ValueError(f"bias has {bias.shape[0]} entries, expected {z.shape[1]}")
    if z.shape[0] == 0 or z.shape[1] == 0:
        return
    with nogil:
        add_bias_activate(act, &z[0, 0], &bias[0], z.shape[0], z.shape[1])


def derivative(int act, floating[::1] d, const floating[::1] o):
    """d *= f'(z), computed from the activations o = f(z)."""
    if act == SOFTMAX:
        raise ValueError("the softmax derivative is not elementwise")
    if d.shape[0] != o.shape[0]:
        raise ValueError(f"d has {d.shape[0]} entries and o {o.shape[0]}")
    if d.shape[0] == 0:
        return
    with nogil:
        mul_derivative(act, &d[0], &o[0], d.shape[0])
