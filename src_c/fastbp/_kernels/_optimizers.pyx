"""Optimizer update rules over one flat vector of parameters.

``p`` (parameters), ``g`` (gradient) and the state vectors ``s1``, ``s2``
share one layout and one dtype; one call updates every layer.  The step's
scalars come from Python, which folds schedules and bias corrections into
them:

    SGD        p -= lr g
    MOMENTUM   v = mu v + g;                      p -= lr v           (s1 = v, h1 = mu)
    NESTEROV   v = mu v + g;                      p -= lr (g + mu v)  (s1 = v, h1 = mu)
    VELOCITY   v = mu v - lr g;                   p += v              (s1 = v, h1 = mu)
    VELOCITY_NESTEROV  v = mu v - lr g;           p += mu v - lr g    (s1 = v, h1 = mu)
    ADAGRAD    s += g^2;                          p -= lr g / (sqrt(s) + eps)
    RMSPROP    s = rho s + (1 - rho) g^2;         p -= lr g / (sqrt(s) + eps)   (h1 = rho)
    ADAM       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
               p -= lr m / (sqrt(v) + eps)        (s1 = m, s2 = v, h1 = b1, h2 = b2)

Before the update, ``clip_gradient`` clips a batch's gradient by its global
norm and by value (torch.nn.utils' two clippings).

For Adam, ``step_scalars`` turns the schedule's rate and epsilon of step t
(counted from 1) into lr = lr_t sqrt(1 - b2^t) / (1 - b1^t) and
eps = eps sqrt(1 - b2^t): the bias-corrected rule of Kingma & Ba (as in
torch.optim.Adam) with one division per element; with ``eps_hat`` epsilon is
passed unscaled (the paper's "efficient" form, as in scikit-learn).
"""

from cython cimport floating
from libc.math cimport isfinite, pow, sqrt

from ._math cimport _sqrt


cdef void step_scalars(int rule, double lr, double eps, double h1, double h2,
                       bint eps_hat, double t, double* lr_out,
                       double* eps_out) noexcept nogil:
    """The (lr, eps) that apply_update takes for step t (from 1) of ``rule``."""
    cdef double root_c2
    if rule == ADAM:
        root_c2 = sqrt(1.0 - pow(h2, t))
        lr_out[0] = lr * root_c2 / (1.0 - pow(h1, t))
        eps_out[0] = eps if eps_hat else eps * root_c2
    else:
        lr_out[0] = lr
        eps_out[0] = eps


cdef void apply_update(int rule, floating* p, const floating* g,
                       floating* s1, floating* s2, Py_ssize_t n,
                       double lr, double eps, double h1, double h2) noexcept nogil:
    # Each element's values are read once into locals and each state written
    # once: written as ``s1[i] = ...; p[i] -= ... s1[i] ...``, gcc (which
    # cannot prove the four vectors apart) re-read g and the new state from
    # memory, right behind the store, in every vector of the loop.
    cdef Py_ssize_t i
    cdef floating rate = <floating>lr, e = <floating>eps
    cdef floating a = <floating>h1, b = <floating>h2
    cdef floating one_a = <floating>(1.0 - h1), one_b = <floating>(1.0 - h2)
    cdef floating gi, u, w
    if rule == SGD:
        for i in range(n):
            p[i] -= rate * g[i]
    elif rule == MOMENTUM:
        for i in range(n):
            u = a * s1[i] + g[i]
            s1[i] = u
            p[i] -= rate * u
    elif rule == NESTEROV:
        for i in range(n):
            gi = g[i]
            u = a * s1[i] + gi
            s1[i] = u
            p[i] -= rate * (gi + a * u)
    elif rule == VELOCITY:
        for i in range(n):
            u = a * s1[i] - rate * g[i]
            s1[i] = u
            p[i] += u
    elif rule == VELOCITY_NESTEROV:
        for i in range(n):
            gi = g[i]
            u = a * s1[i] - rate * gi
            s1[i] = u
            p[i] += a * u - rate * gi
    elif rule == ADAGRAD:
        for i in range(n):
            gi = g[i]
            u = s1[i] + gi * gi
            s1[i] = u
            p[i] -= rate * gi / (_sqrt(u) + e)
    elif rule == RMSPROP:
        for i in range(n):
            gi = g[i]
            u = a * s1[i] + one_a * gi * gi
            s1[i] = u
            p[i] -= rate * gi / (_sqrt(u) + e)
    elif rule == ADAM:
        for i in range(n):
            gi = g[i]
            u = a * s1[i] + one_a * gi
            w = b * s2[i] + one_b * gi * gi
            s1[i] = u
            s2[i] = w
            p[i] -= rate * u / (_sqrt(w) + e)


cdef double sum_of_squares(const floating* g, Py_ssize_t n) noexcept nogil:
    """sum g_i^2 in float64, over four running sums: one chain of dependent
    additions would wait on each add's latency (clipping's cost, else)."""
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        s0 += <double>g[i] * g[i]
        s1 += <double>g[i + 1] * g[i + 1]
        s2 += <double>g[i + 2] * g[i + 2]
        s3 += <double>g[i + 3] * g[i + 3]
        i += 4
    while i < n:
        s0 += <double>g[i] * g[i]
        i += 1
    return (s0 + s1) + (s2 + s3)


cdef double clip_gradient(floating* g, Py_ssize_t n, double max_norm,
                          double max_value) noexcept nogil:
    """Scale g to global norm ``max_norm`` when it is longer (0: no limit), as
    torch.nn.utils.clip_grad_norm_ (norm / (norm + 1e-6)), then clamp every
    entry to [-max_value, max_value] (0: no clamp).  Returns the norm before."""
    cdef Py_ssize_t i
    cdef double total = 0, coef
    cdef floating c, v = <floating>max_value
    if max_norm > 0:
        total = sqrt(sum_of_squares(g, n))
        coef = max_norm / (total + 1e-6)
        if coef < 1:
            c = <floating>coef
            for i in range(n):
                g[i] *= c
    if max_value > 0:
        for i in range(n):
            g[i] = v if g[i] > v else (-v if g[i] < -v else g[i])
    return total


cdef bint all_finite(const floating* p, Py_ssize_t n) noexcept nogil:
    """Whether no entry of p is NaN or infinite."""
    cdef Py_ssize_t i
    for i in range(n):
        if not isfinite(p[i]):
            return False
    return True


# How many state vectors of the parameters' size each rule keeps: the one
# table the optimizers, the plans and the benchmarks read.
STATE_VECTORS = {SGD: 0, MOMENTUM: 1, NESTEROV: 1, ADAGRAD: 1, RMSPROP: 1, ADAM: 2,
                 VELOCITY: 1, VELOCITY_NESTEROV: 1}


def state_vectors(int rule):
    """How many state vectors (s1, s2) ``rule`` keeps: 0, 1 or 2."""
    try:
        return STATE_VECTORS[rule]
    except KeyError:
        raise ValueError(f"unknown update rule {rule}") from None


def update(int rule, floating[::1] params, const floating[::1] grads,
           floating[::1] s1, floating[::1] s2, double lr, double eps=0.0,
           double h1=0.0, double h2=0.0, bint eps_hat=False, double t=1):
    """Step number ``t`` (from 1) of ``rule`` over the flat vectors, in place."""
    cdef Py_ssize_t n = params.shape[0]
    cdef double step_lr, step_eps
    needed = state_vectors(rule)
    if grads.shape[0] != n:
        raise ValueError(f"grads has {grads.shape[0]} entries, expected {n}")
    for k, s in enumerate((s1, s2)):
        if k < needed and s.shape[0] != n:
            raise ValueError(f"state vector {k + 1} has {s.shape[0]} entries, expected {n}")
    if n == 0:
        return
    with nogil:
        step_scalars(rule, lr, eps, h1, h2, eps_hat, t, &step_lr, &step_eps)
        apply_update(rule, &params[0], &grads[0],
                     &s1[0] if s1.shape[0] else <floating*>NULL,
                     &s2[0] if s2.shape[0] else <floating*>NULL,
                     n, step_lr, step_eps, h1, h2)
