"""The kernel backend in plain NumPy (``FASTBP_KERNELS=numpy``): the compiled
kernels' interface (see fastbp._kernels) over one flat parameter vector,
built on the reference math of ``_numpy_math``, which it re-exports so that
tests have one reference to import.  Its training loop, ``EpochPlan``, is in
``_numpy_plan``.

Conventions are fastbp's (docs/math.md): a layer computes
``A_l = f_l(A_{l-1} @ W_l + b_l)``; a batch's loss is the (weighted) mean of
its examples' losses plus ``alpha/2 sum_l ||W_l||^2`` (biases are not
penalized).  Elementwise work is done in the arrays' dtype; losses and
squared norms are summed in float64, as the compiled kernels do.
"""
import math

import numpy as np

from fastbp._kernels._activations import Activation
from fastbp._kernels._network import Loss, buffer_layout, check_unit_params
from fastbp._kernels._numpy_math import (  # the one reference, re-exported for the tests
    ReferenceOptimizer,
    activate,
    backprop,
    derivative,
    dropout_keep,
    example_losses,
    extremes,
    forward,
    gradients,
    loss,
    slope,
    sq_norm,
    train,
)
from fastbp._kernels._optimizers import STATE_VECTORS, Rule, state_vectors
from fastbp._kernels._train import Status

NAME = "numpy"

__all__ = ["activate", "derivative", "slope", "dropout_keep", "forward", "example_losses",
           "loss", "gradients",
           "ReferenceOptimizer", "train", "NAME", "Activation", "Loss", "Rule", "Status",
           "STATE_VECTORS", "state_vectors", "Topology", "forward_dataset", "loss_dataset",
           "gradient_dataset", "update", "extremes"]


class Topology:
    """The shape of a network: widths, activation codes, loss code, offsets.

    Parameters
    ----------
    sizes : sequence of int
        At least two widths >= 1, the input first.
    activations : sequence of Activation
        One per weight layer, the output's last (softmax only there).
    loss : Loss
    unit_params : sequence of float or None, optional
        One per layer: leaky ReLU's slope, ELU's alpha, softplus' beta (None:
        the default; ignored by units without a parameter).

    Read-only attributes: ``sizes``, ``activations``, ``loss`` and the offsets:
    W_l starts at ``param_offsets[l]`` of the flat parameters, b_l right after
    it (the last entry is the total); ``unit_offsets`` are the prefix sums of
    ``sizes[1:]``, from 0.
    """

    def __init__(self, sizes, activations, loss, unit_params=None):
        sizes = np.ascontiguousarray(sizes, dtype=np.intp)
        acts = np.ascontiguousarray(activations, dtype=np.intc)
        if sizes.ndim != 1 or sizes.shape[0] < 2 or (sizes < 1).any():
            raise ValueError(f"sizes must hold at least two widths >= 1, got {sizes!r}")
        if acts.shape != (sizes.shape[0] - 1,):
            raise ValueError(f"need {sizes.shape[0] - 1} activation codes, got {acts!r}")
        if ((acts < min(Activation)) | (acts > max(Activation))).any():
            raise ValueError(f"unknown activation code in {acts!r}")
        if (acts[:-1] == Activation.SOFTMAX).any():
            raise ValueError("softmax is only available as the output activation")
        loss = int(loss)
        if loss not in list(Loss):
            raise ValueError(f"unknown loss code {loss}")
        param_off = np.zeros(sizes.shape[0], dtype=np.intp)
        param_off[1:] = np.cumsum((sizes[:-1] + 1) * sizes[1:])  # W_l and b_l
        unit_off = np.zeros(sizes.shape[0], dtype=np.intp)
        unit_off[1:] = np.cumsum(sizes[1:])
        unit_params = check_unit_params(acts, unit_params)
        for a in (sizes, acts, param_off, unit_off, unit_params):
            a.setflags(write=False)
        self._fields = sizes, acts, param_off, unit_off, loss, unit_params

    sizes = property(lambda self: self._fields[0])
    activations = property(lambda self: self._fields[1])
    param_offsets = property(lambda self: self._fields[2])
    unit_offsets = property(lambda self: self._fields[3])
    loss = property(lambda self: self._fields[4])
    unit_params = property(lambda self: self._fields[5])
    n_params = property(lambda self: int(self.param_offsets[-1]))
    n_units = property(lambda self: int(self.unit_offsets[-1]),
                       doc="Units in layers 1..L.")

    row_width = property(lambda self: self.buffer_width(),
                         doc="Values per row of the compiled kernels' training buffers.")

    def buffer_width(self, keep=None):
        """Values per row of the compiled kernels' ``acts`` buffer (unused here)."""
        return buffer_layout(self.sizes, self.activations, keep)[2]

    def __reduce__(self):
        return (Topology, (self.sizes.tolist(), self.activations.tolist(), self.loss,
                           self.unit_params.tolist()))

    def __repr__(self):
        return (f"Topology({self.sizes.tolist()}, {self.activations.tolist()}, {self.loss}, "
                f"{self.unit_params.tolist()})")


def _layers(top, flat):
    """(list of W_l, list of b_l): views of a parameter-shaped vector."""
    weights, biases = [], []
    for l, (n_in, n_out) in enumerate(zip(top.sizes[:-1], top.sizes[1:])):
        w_end = top.param_offsets[l] + n_in * n_out
        weights.append(flat[top.param_offsets[l]:w_end].reshape(n_in, n_out))
        biases.append(flat[w_end:w_end + n_out])
    return weights, biases


def _check(top, params, X=None, Y=None, weights=None, out=None, **vectors):
    """Refuse arrays that do not fit ``top``, or differ from ``params`` in dtype
    or are not C-contiguous (the compiled kernels take only those)."""
    if params.dtype not in (np.float32, np.float64):
        raise ValueError(f"params must be float32 or float64, got {params.dtype}")
    n = X.shape[0] if X is not None else 0
    arrays = dict(params=params, X=X, Y=Y, weights=weights, out=out, **vectors)
    for name, a in arrays.items():
        want = {"X": (n, top.sizes[0]), "Y": (n, top.sizes[-1]), "out": (n, top.sizes[-1]),
                "weights": (n,)}.get(name, (top.n_params,))
        if a is not None and a.shape != want:
            raise ValueError(f"{name} has shape {a.shape}, expected {want}")
        if a is not None and (a.dtype != params.dtype or not a.flags.c_contiguous):
            raise ValueError(f"{name} must be a C-contiguous array of {params.dtype}")


def _weighted_sum(losses, weights):
    """sum_i w_i loss_i (sum_i loss_i without weights), in float64."""
    return float(np.sum(losses if weights is None else weights.astype(np.float64) * losses))


def forward_dataset(top, params, X, out, acts):  # noqa: ARG001 - compiled kernel's API
    """``out[...]`` = the network's output for every row of ``X``.
    ``acts`` (the compiled backend's scratch buffer) is ignored."""
    _check(top, params, X, out=out)
    out[...] = forward(*_layers(top, params), top.activations, X, top.unit_params)[-1]


def loss_dataset(top, params, X, Y, weights, acts):  # noqa: ARG001 - compiled kernel's API
    """Sum over the rows of ``X`` of the per-example loss, each times its
    weight when ``weights`` is not None; no L2 term.  ``acts`` is ignored."""
    _check(top, params, X, Y, weights)
    O = forward(*_layers(top, params), top.activations, X, top.unit_params)[-1]
    return _weighted_sum(example_losses(top.activations[-1], top.loss, O, Y), weights)


# acts, deltas: unused, kept for the compiled kernel's API
def gradient_dataset(top, params, X, Y, weights, grads, acts, deltas, alpha):  # noqa: ARG001
    """``grads[...]`` = gradient of the (weighted) mean loss over ``X`` +
    alpha/2 sum ||W||^2, in the layout of ``params``.

    Returns
    -------
    (loss_sum, weight_sum, sq)
        The sum of the (weighted) per-example losses, of the weights (the row
        count without weights), and sum ||W||^2 (0.0 when ``alpha`` is 0).
    """
    _check(top, params, X, Y, weights, grads=grads)
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    wsum = float(X.shape[0]) if weights is None else float(np.sum(weights, dtype=np.float64))
    if not wsum > 0:
        raise ValueError("the sample weights sum to zero")
    W, b = _layers(top, params)
    losses, dW, db = backprop(W, b, top.activations, top.loss, X, Y, alpha, weights,
                              unit_params=top.unit_params)
    for g, d in zip(sum(_layers(top, grads), []), dW + db):
        g[...] = d
    return _weighted_sum(losses, weights), wsum, sq_norm(W) if alpha != 0 else 0.0


def _step_scalars(rule, lr, eps, h1, h2, eps_hat, t):
    """(lr, eps) of step ``t`` (from 1): Adam's bias correction folded in,
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``eps_t = eps sqrt(1 - b2^t)``
    (``eps`` itself with ``eps_hat``)."""
    if rule != Rule.ADAM:
        return lr, eps
    root_c2 = math.sqrt(1.0 - h2 ** t)
    return lr * root_c2 / (1.0 - h1 ** t), eps if eps_hat else eps * root_c2


def _check_vectors(rule, params, grads, s1, s2):
    """update's vectors: each of params' length and dtype (the state vectors
    only as many as ``rule`` keeps)."""
    needed = state_vectors(rule)
    n = params.shape[0]
    if grads.shape != (n,):
        raise ValueError(f"grads has {grads.shape[0]} entries, expected {n}")
    for k, s in enumerate((s1, s2)[:needed]):
        if s.shape != (n,):
            raise ValueError(f"state vector {k + 1} has {s.shape[0]} entries, expected {n}")
    for a in (grads,) + (s1, s2)[:needed]:
        if a.dtype != params.dtype:
            raise ValueError(f"dtype mismatch: params is {params.dtype}, got {a.dtype}")


def update(rule, params, grads, s1, s2, lr, eps=0.0, h1=0.0, h2=0.0, eps_hat=False, t=1):
    """Step number ``t`` (from 1) of ``rule`` over flat vectors, in place.

    With ``p`` params, ``g`` grads, ``h1`` = mu / rho / b1, ``h2`` = b2::

        SGD                p -= lr g
        MOMENTUM           v = mu v + g;        p -= lr v             (s1 = v)
        NESTEROV           v = mu v + g;        p -= lr (g + mu v)    (s1 = v)
        VELOCITY           v = mu v - lr g;     p += v                (s1 = v)
        VELOCITY_NESTEROV  v = mu v - lr g;     p += mu v - lr g      (s1 = v)
        ADAGRAD            s += g^2;            p -= lr g / (sqrt(s) + eps)
        RMSPROP            s = rho s + (1 - rho) g^2;  p -= lr g / (sqrt(s) + eps)
        ADAM               m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
                           p -= lr_t m / (sqrt(v) + eps_t)    (s1 = m, s2 = v)

    ``s1``, ``s2`` may be empty when the rule does not use them.
    """
    _check_vectors(rule, params, grads, s1, s2)
    lr, eps = _step_scalars(rule, lr, eps, h1, h2, eps_hat, t)
    # scalars in the arrays' dtype, as the compiled loops cast them
    f = params.dtype.type
    rate, e, a, b, one_a, one_b = f(lr), f(eps), f(h1), f(h2), f(1.0 - h1), f(1.0 - h2)
    p, g = params, grads
    if rule == Rule.SGD:
        p -= rate * g
    elif rule == Rule.MOMENTUM:
        s1[...] = a * s1 + g
        p -= rate * s1
    elif rule == Rule.NESTEROV:
        s1[...] = a * s1 + g
        p -= rate * (g + a * s1)
    elif rule == Rule.VELOCITY:
        s1[...] = a * s1 - rate * g
        p += s1
    elif rule == Rule.VELOCITY_NESTEROV:
        s1[...] = a * s1 - rate * g
        p += a * s1 - rate * g
    elif rule == Rule.ADAGRAD:
        s1 += g * g
        p -= rate * g / (np.sqrt(s1) + e)
    elif rule == Rule.RMSPROP:
        s1[...] = a * s1 + one_a * g * g
        p -= rate * g / (np.sqrt(s1) + e)
    else:  # Rule.ADAM
        s1[...] = a * s1 + one_a * g
        s2[...] = b * s2 + one_b * g * g
        p -= rate * s1 / (np.sqrt(s2) + e)
