"""The math of the NumPy backend, written for clarity, not speed: the
reference every compiled kernel is tested against.

Over lists of per-layer arrays (activations and losses given by code or by
name): activate, derivative, forward, example_losses, loss, gradients,
ReferenceOptimizer (the update rules in their published form, as torch.optim
writes them) and train.  ``fastbp._kernels._numpy`` builds the backend
interface (``FASTBP_KERNELS=numpy``) on them.

Conventions are fastbp's (docs/math.md): a layer computes
``A_l = f_l(A_{l-1} @ W_l + b_l)``; a batch's loss is the (weighted) mean of
its examples' losses plus ``alpha/2 sum_l ||W_l||^2`` (biases are not
penalized).  Elementwise work is done in the arrays' dtype; losses and
squared norms are summed in float64, as the compiled kernels do.
"""

import math

import numpy as np

from fastbp._kernels._activations import UNIT_PARAMS, Activation
from fastbp._kernels._network import Loss

__all__ = [
    "ReferenceOptimizer",
    "activate",
    "derivative",
    "slope",
    "dropout_keep",
    "example_losses",
    "extremes",
    "forward",
    "gradients",
    "loss",
    "train",
]


def _code(kind, value):
    """The member of the enum ``kind`` named ``value`` (any case) or coded by it."""
    try:
        return kind[value.upper()] if isinstance(value, str) else kind(value)
    except (KeyError, ValueError):
        raise ValueError(f"unknown {kind.__name__.lower()} {value!r}") from None


# --- the reference ------------------------------------------------------------
def _erf(x):
    from scipy.special import erf  # here: scipy.special costs 30 ms to import

    return erf(x)


def _param(f, param):
    """The unit's parameter: ``param``, or its default (None for units without one)."""
    if f in UNIT_PARAMS:
        return UNIT_PARAMS[f][1] if param is None else param
    return None


def activate(f, z, param=None):
    """f(z) for the activation ``f`` (an :class:`Activation` or its name);
    ``param`` is leaky ReLU's slope, ELU's alpha or softplus' beta (None: the
    default), written as torch.nn.functional computes them."""
    f = _code(Activation, f)
    p = _param(f, param)
    if f == Activation.SIGMOID:
        return 1.0 / (1.0 + np.exp(-z))
    if f == Activation.TANH:
        return np.tanh(z)
    if f == Activation.RELU:
        return np.maximum(z, 0)
    if f == Activation.SOFTMAX:
        e = np.exp(z - z.max(axis=1, keepdims=True))  # the shift cancels; no overflow
        return e / e.sum(axis=1, keepdims=True)
    if f == Activation.EXP:
        return np.exp(z)
    p = z.dtype.type(p) if p is not None else None
    if f == Activation.LEAKY_RELU:
        return np.where(z > 0, z, p * z)
    if f == Activation.ELU:
        return np.where(z > 0, z, p * np.expm1(np.minimum(z, 0)))
    if f == Activation.GELU:
        return z * z.dtype.type(0.5) * (1 + _erf(z * z.dtype.type(math.sqrt(0.5))))
    if f == Activation.SOFTPLUS:
        with np.errstate(over="ignore"):
            return np.where(p * z > 20, z, np.log1p(np.exp(p * z)) / p)
    if f == Activation.SILU:
        return z / (1 + np.exp(-z))
    return z


def slope(f, z, param=None):
    """f'(z) from the pre-activations z, for elementwise ``f`` (the compiled
    kernels take it from the outputs where they can: an independent check)."""
    f = _code(Activation, f)
    p = _param(f, param)
    one = z.dtype.type(1)
    if f in (Activation.SIGMOID, Activation.SILU):
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1 - s) if f == Activation.SIGMOID else s * (1 + z * (1 - s))
    if f == Activation.TANH:
        return 1 - np.tanh(z) ** 2
    if f == Activation.RELU:
        return (z > 0).astype(z.dtype)
    if f == Activation.EXP:
        return np.exp(z)
    if f == Activation.IDENTITY:
        return np.ones_like(z)
    if f == Activation.LEAKY_RELU:
        return np.where(z > 0, one, z.dtype.type(p))
    if f == Activation.ELU:
        return np.where(z > 0, one, z.dtype.type(p) * np.exp(np.minimum(z, 0)))
    if f == Activation.GELU:
        cdf = 0.5 * (1 + _erf(z / math.sqrt(2)))
        return (cdf + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)).astype(z.dtype)
    if f == Activation.SOFTPLUS:
        with np.errstate(over="ignore"):
            return np.where(p * z > 20, one, 1 / (1 + np.exp(-p * z))).astype(z.dtype)
    raise ValueError("the softmax derivative is not elementwise")


def derivative(f, o):
    """f'(z) computed from the activations o = f(z), for the units whose
    derivative follows from their output (not GELU or SiLU)."""
    f = _code(Activation, f)
    if f == Activation.SIGMOID:
        return o * (1 - o)
    if f == Activation.TANH:
        return 1 - o * o
    if f == Activation.RELU:
        return (o > 0).astype(o.dtype)
    if f == Activation.EXP:
        return o
    if f == Activation.IDENTITY:
        return np.ones_like(o)
    raise ValueError(f"no derivative from the output for {f.name.lower()}")


# --- dropout's random bits (the compiled kernels' _random.pxd) ----------------
_GOLDEN, _MIX1, _MIX2 = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9),
                         np.uint64(0x94D049BB133111EB))


def _mix64(z):
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def _next_key(key, counter):
    with np.errstate(over="ignore"):
        return _mix64(np.asarray(key, np.uint64)
                      + (np.asarray(counter, np.uint64) + np.uint64(1)) * _GOLDEN)


def dropout_keep(seed, epoch, step, layer, rows, width, keep):
    """The dropout mask (True: kept) of weight layer ``layer``'s input (0: the
    network's inputs) for ``rows`` rows of ``width`` units, in step ``step``
    of epoch ``epoch`` (both counted from 0) of a fit with dropout seed
    ``seed``: unit j of batch row r is kept when the top 32 bits of
    hash(layer key, r * width + j) fall below keep * 2^32.  ``rows``: a count
    (the batch's rows 0, 1, ...) or an array of the rows' positions in their
    batch (fastbp.dask's share of a shuffled batch)."""
    positions = np.arange(rows) if np.ndim(rows) == 0 else np.asarray(rows)
    units = (positions.astype(np.uint64)[:, None] * np.uint64(width)
             + np.arange(width, dtype=np.uint64))
    key = _next_key(_next_key(_next_key(_next_key(0, seed), epoch), step), layer)
    draws = _next_key(key, units) >> np.uint64(32)
    return draws < np.uint64(int(keep * 4294967296.0))


def forward(weights, biases, activations, X, unit_params=None, masks=None):
    """Every layer's activations ``[A_0 = X, A_1, ..., A_L]``; with ``masks``
    (one per weight layer's input, None where no dropout: a pair
    (kept, keep probability)) the inputs and hidden outputs after inverted
    dropout.  See :func:`forward_pass`."""
    return forward_pass(weights, biases, activations, X, unit_params, masks)[1]


def forward_pass(weights, biases, activations, X, unit_params=None, masks=None):
    """(pre-activations ``[Z_1, ..., Z_L]``, activations ``[A_0, ..., A_L]``)."""
    params = unit_params if unit_params is not None else [None] * len(weights)
    masks = masks if masks is not None else [None] * len(weights)
    zs, acts = [], [_drop(X, masks[0])]
    for l, (W, b, f) in enumerate(zip(weights, biases, activations)):
        zs.append(acts[-1] @ W + b)
        a = activate(f, zs[-1], params[l])
        acts.append(_drop(a, masks[l + 1]) if l + 1 < len(weights) else a)
    return zs, acts


def _drop(a, mask):
    if mask is None:
        return a
    kept, keep = mask
    return a * kept.astype(a.dtype) * a.dtype.type(1.0 / keep)


def example_losses(output, loss, O, T):
    """Per-example losses (float64, one per row) of outputs ``O`` for targets
    ``T``, after the output activation ``output``:

    squared ``1/2 sum_k (o_k - t_k)^2``; cross-entropy ``-sum_k t_k log o_k``
    after softmax, the binary log loss of every unit after sigmoid; Poisson
    ``sum_k (o_k - t_k log o_k + t_k log t_k - t_k)`` (half the deviance).
    log is clipped below at the smallest normal number, so a saturated output
    gives a large finite loss, not inf.
    """
    output, loss = _code(Activation, output), _code(Loss, loss)
    if loss == Loss.SQUARED:
        return 0.5 * ((O - T) ** 2).sum(axis=1, dtype=np.float64)
    tiny = np.finfo(O.dtype).tiny
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == Loss.POISSON:
            t_log_t = np.where(T > 0, T * np.log(np.where(T > 0, T, 1)), 0)
            terms = O - T * np.log(np.maximum(O, tiny)) + t_log_t - T
            return terms.sum(axis=1, dtype=np.float64)
        terms = np.where(T != 0, T * np.log(np.maximum(O, tiny)), 0)
        if output != Activation.SOFTMAX:  # binary log loss of every sigmoid unit
            terms = terms + np.where(T != 1, (1 - T) * np.log(np.maximum(1 - O, tiny)), 0)
    return -terms.sum(axis=1, dtype=np.float64)


def loss(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None,
         unit_params=None):
    """Mean (or ``sample_weight``-weighted mean) loss + alpha/2 sum ||W||^2."""
    O = forward(weights, biases, activations, X, unit_params)[-1]
    data = np.average(example_losses(activations[-1], loss_name, O, T), weights=sample_weight)
    return data + 0.5 * alpha * sq_norm(weights)


def sq_norm(weights):
    """sum_l ||W_l||^2 as a float64 sum."""
    return sum(float(np.sum(W * W, dtype=np.float64)) for W in weights)


def backprop(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None,
             *, unit_params=None, masks=None, l1=0.0):
    """(per-example losses, dW list, db list) of :func:`loss` at one forward pass.

    With D_L = scale * dLoss/dZ_L (scale = 1/n, or w_i / sum w for row i):
    ``dW_l = A_{l-1}^T D_l + alpha W_l + l1 sign(W_l)``, ``db_l = sum_rows D_l``
    and ``D_{l-1} = (D_l W_l^T) * f'_{l-1}(Z_{l-1})``, times the dropout mask
    and scale where ``masks`` (see :func:`forward`) drops units.
    """
    params = unit_params if unit_params is not None else [None] * len(weights)
    masks = masks if masks is not None else [None] * len(weights)
    zs, acts = forward_pass(weights, biases, activations, X, params, masks)
    O = acts[-1]
    out = _code(Activation, activations[-1])
    if _code(Loss, loss_name) != Loss.SQUARED:
        D = O - T  # softmax + cross-entropy, sigmoid + log loss, exp + Poisson
    elif out == Activation.SOFTMAX:
        E = O - T  # dL/dz_j = o_j (e_j - sum_k e_k o_k)
        D = O * (E - (E * O).sum(axis=1, keepdims=True))
    else:
        D = (O - T) * derivative(out, O)
    if sample_weight is None:
        D = D / X.shape[0]
    else:
        D = D * (sample_weight / sample_weight.sum())[:, None]
    alpha, l1 = float(alpha), float(l1)  # Python floats keep float32 arrays float32
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        dW[l] = acts[l].T @ D + alpha * weights[l]
        if l1 != 0:
            dW[l] = dW[l] + l1 * np.sign(weights[l])
        db[l] = D.sum(axis=0)
        if l > 0:
            D = _drop(D @ weights[l].T, masks[l]) * slope(activations[l - 1], zs[l - 1],
                                                          params[l - 1])
    return example_losses(out, loss_name, O, T), dW, db


def gradients(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None,
              **extras):
    """(dW list, db list) of :func:`loss` by backpropagation (``extras``: the
    keywords of :func:`backprop`)."""
    return backprop(weights, biases, activations, loss_name, X, T, alpha, sample_weight,
                    **extras)[1:]


class ReferenceOptimizer:
    """The update rules written out from their published formulas (the form
    torch.optim uses), one parameter array at a time.

    Parameters
    ----------
    kind : {"sgd", "adagrad", "rmsprop", "adam"}
    lr : float
        The rate of a :meth:`step` given none.
    momentum, nesterov, lr_in_velocity, decay, beta1, beta2, eps, eps_hat
        As fastbp's optimizers take them; ``eps`` defaults to 1e-10 for
        AdaGrad, else 1e-8.
    """

    def __init__(self, kind, lr, momentum=0.0, nesterov=False, decay=0.99,
                 beta1=0.9, beta2=0.999, eps=None, lr_in_velocity=False, eps_hat=False):
        self.kind, self.lr, self.momentum, self.nesterov = kind, lr, momentum, nesterov
        self.lr_in_velocity, self.eps_hat = lr_in_velocity, eps_hat
        self.decay, self.beta1, self.beta2 = decay, beta1, beta2
        self.eps = eps if eps is not None else {"adagrad": 1e-10}.get(kind, 1e-8)
        self.state, self.t = {}, 0

    def step(self, params, grads, lr=None):
        """Update every array of ``params`` in place by its gradient in ``grads``."""
        lr = self.lr if lr is None else lr
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.kind == "sgd":
                if self.momentum and self.lr_in_velocity:  # Sutskever / scikit-learn
                    v = self.state[i] = self.momentum * self.state.get(i, 0) - lr * g
                    p += self.momentum * v - lr * g if self.nesterov else v
                elif self.momentum:
                    v = self.state[i] = self.momentum * self.state.get(i, 0) + g
                    p -= lr * (g + self.momentum * v if self.nesterov else v)
                else:
                    p -= lr * g
            elif self.kind == "adagrad":
                s = self.state[i] = self.state.get(i, 0) + g * g
                p -= lr * g / (np.sqrt(s) + self.eps)
            elif self.kind == "rmsprop":
                s = self.state[i] = self.decay * self.state.get(i, 0) + (1 - self.decay) * g * g
                p -= lr * g / (np.sqrt(s) + self.eps)
            elif self.kind == "adam":
                m0, v0 = self.state.get(i, (0, 0))
                m = self.beta1 * m0 + (1 - self.beta1) * g
                v = self.beta2 * v0 + (1 - self.beta2) * g * g
                self.state[i] = (m, v)
                if self.eps_hat:  # the paper's efficient form (scikit-learn)
                    step = lr * np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
                    p -= step * m / (np.sqrt(v) + self.eps)
                else:
                    m_hat = m / (1 - self.beta1 ** self.t)
                    v_hat = v / (1 - self.beta2 ** self.t)
                    p -= lr * m_hat / (np.sqrt(v_hat) + self.eps)
            else:
                raise ValueError(self.kind)


def batches(n, batch_size, order=None, weights=None):
    """Yield ``(step, rows, batch weights or None, weight sum)`` for every step
    of an epoch over ``n`` rows (``order``, or 0..n-1) whose weights do not sum
    to zero: such a batch is skipped and uses up no update."""
    order = np.arange(n) if order is None else order
    for step, start in enumerate(range(0, n, batch_size)):
        rows = order[start:start + batch_size]
        w = None if weights is None else weights[rows]
        wsum = float(len(rows)) if w is None else float(np.sum(w, dtype=np.float64))
        if wsum > 0:
            yield step, rows, w, wsum


def train(weights, biases, activations, loss_name, X, T, optimizer, epochs=1,
          batch_size=1, alpha=0.0, orders=None, rates=None, sample_weight=None,
          l2_per_weight=False):
    """Train in place; returns the per-epoch running loss (as fastbp reports it).

    ``orders``: one index array per epoch (None: rows in order).  ``rates``:
    a function update number -> learning rate (None: the optimizer's constant
    rate).  ``l2_per_weight``: alpha is divided by each batch's weight sum
    (scikit-learn).  A batch whose weights are all zero is skipped.
    """
    history, t = [], 0
    for e in range(epochs):
        total = 0.0
        order = None if orders is None else orders[e]
        for _, rows, wb, wsum in batches(X.shape[0], batch_size, order, sample_weight):
            a = alpha / wsum if l2_per_weight else alpha
            xb, tb = X[rows], T[rows]
            total += len(rows) * loss(weights, biases, activations, loss_name, xb, tb, a, wb)
            dW, db = gradients(weights, biases, activations, loss_name, xb, tb, a, wb)
            optimizer.step(weights + biases, dW + db, None if rates is None else rates(t))
            t += 1
        history.append(total / X.shape[0])
    return history


def extremes(values):
    """(min, max) of the 1-D float array ``values``, or (nan, nan) when some
    entry is NaN or infinite: the compiled one-pass scan's reference."""
    if values.shape[0] == 0:
        raise ValueError("no values to scan")
    low, high = float(values.min()), float(values.max())
    return (low, high) if math.isfinite(low) and math.isfinite(high) else (math.nan, math.nan)
