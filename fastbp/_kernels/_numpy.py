"""The kernels in plain NumPy, written for clarity, not speed.

Two layers.  The reference, over lists of per-layer arrays (activations and
losses given by code or by name): activate, derivative, forward,
example_losses, loss, gradients, ReferenceOptimizer (the update rules in
their published form, as torch.optim writes them) and train; the tests
compare every compiled kernel against it.  Over it, the backend
(``FASTBP_KERNELS=numpy``), with the compiled kernels' interface over one flat
parameter vector: Topology, forward_dataset, loss_dataset, gradient_dataset,
update, EpochPlan.

Conventions are fastbp's (docs/math.md): a layer computes
``A_l = f_l(A_{l-1} @ W_l + b_l)``; a batch's loss is the (weighted) mean of
its examples' losses plus ``alpha/2 sum_l ||W_l||^2`` (biases are not
penalized).  Elementwise work is done in the arrays' dtype; losses and
squared norms are summed in float64, as the compiled kernels do.
"""
import enum
import math

import numpy as np

from fastbp._kernels._activations import Activation
from fastbp._kernels._network import Loss
from fastbp._kernels._optimizers import Rule

try:
    from fastbp._kernels._train import Status
except ImportError:  # compiled kernels from before the Status enum
    class Status(enum.IntEnum):
        """How an epoch ended."""
        OK = 0
        LOSS_NOT_FINITE = 1
        PARAMS_NOT_FINITE = 2
        INTERRUPTED = 3

NAME = "numpy"

__all__ = [  # the reference, then the backend interface
    "activate", "derivative", "forward", "example_losses", "loss", "gradients",
    "ReferenceOptimizer", "train",
    "NAME", "Activation", "Loss", "Rule", "Status", "STATE_VECTORS", "state_vectors",
    "Topology", "forward_dataset", "loss_dataset", "gradient_dataset", "update", "EpochPlan"]


def _code(kind, value):
    """The member of the enum ``kind`` named ``value`` (any case) or coded by it."""
    try:
        return kind[value.upper()] if isinstance(value, str) else kind(value)
    except (KeyError, ValueError):
        raise ValueError(f"unknown {kind.__name__.lower()} {value!r}") from None


# --- the reference ------------------------------------------------------------
def activate(f, z):
    """f(z) for the activation ``f`` (an :class:`Activation` or its name)."""
    f = _code(Activation, f)
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
    return z


def derivative(f, o):
    """f'(z) computed from the activations o = f(z), for elementwise ``f``."""
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
    raise ValueError("the softmax derivative is not elementwise")


def forward(weights, biases, activations, X):
    """Every layer's activations ``[A_0 = X, A_1, ..., A_L]``."""
    acts = [X]
    for W, b, f in zip(weights, biases, activations):
        acts.append(activate(f, acts[-1] @ W + b))
    return acts


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


def loss(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None):
    """Mean (or ``sample_weight``-weighted mean) loss + alpha/2 sum ||W||^2."""
    O = forward(weights, biases, activations, X)[-1]
    data = np.average(example_losses(activations[-1], loss_name, O, T), weights=sample_weight)
    return data + 0.5 * alpha * _sq_norm(weights)


def _sq_norm(weights):
    """sum_l ||W_l||^2 as a float64 sum."""
    return sum(float(np.sum(W * W, dtype=np.float64)) for W in weights)


def _backprop(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None):
    """(per-example losses, dW list, db list) of :func:`loss` at one forward pass.

    With D_L = scale * dLoss/dZ_L (scale = 1/n, or w_i / sum w for row i):
    ``dW_l = A_{l-1}^T D_l + alpha W_l``, ``db_l = sum_rows D_l`` and
    ``D_{l-1} = (D_l W_l^T) * f'_{l-1}(A_{l-1})``.
    """
    acts = forward(weights, biases, activations, X)
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
    alpha = float(alpha)  # a Python float keeps float32 arrays float32
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        dW[l] = acts[l].T @ D + alpha * weights[l]
        db[l] = D.sum(axis=0)
        if l > 0:
            D = (D @ weights[l].T) * derivative(activations[l - 1], acts[l])
    return example_losses(out, loss_name, O, T), dW, db


def gradients(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None):
    """(dW list, db list) of :func:`loss` by backpropagation."""
    return _backprop(weights, biases, activations, loss_name, X, T, alpha, sample_weight)[1:]


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


def _batches(n, batch_size, order=None, weights=None):
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
        for _, rows, wb, wsum in _batches(X.shape[0], batch_size, order, sample_weight):
            a = alpha / wsum if l2_per_weight else alpha
            xb, tb = X[rows], T[rows]
            total += len(rows) * loss(weights, biases, activations, loss_name, xb, tb, a, wb)
            dW, db = gradients(weights, biases, activations, loss_name, xb, tb, a, wb)
            optimizer.step(weights + biases, dW + db, None if rates is None else rates(t))
            t += 1
        history.append(total / X.shape[0])
    return history


# --- the backend ----------------------------------------------------------------
STATE_VECTORS = {Rule.SGD: 0, Rule.MOMENTUM: 1, Rule.NESTEROV: 1, Rule.ADAGRAD: 1,
                 Rule.RMSPROP: 1, Rule.ADAM: 2, Rule.VELOCITY: 1, Rule.VELOCITY_NESTEROV: 1}


def state_vectors(rule):
    """The number of state vectors (0, 1 or 2) that ``rule`` keeps."""
    if rule not in STATE_VECTORS:
        raise ValueError(f"unknown update rule {rule}")
    return STATE_VECTORS[rule]


class Topology:
    """The shape of a network: widths, activation codes, loss code, offsets.

    Parameters
    ----------
    sizes : sequence of int
        At least two widths >= 1, the input first.
    activations : sequence of Activation
        One per weight layer, the output's last (softmax only there).
    loss : Loss

    Read-only attributes: ``sizes``, ``activations``, ``loss`` and the offsets:
    W_l starts at ``param_offsets[l]`` of the flat parameters, b_l right after
    it (the last entry is the total); ``unit_offsets`` are the prefix sums of
    ``sizes[1:]``, from 0.
    """

    def __init__(self, sizes, activations, loss):
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
        for a in (sizes, acts, param_off, unit_off):
            a.setflags(write=False)
        self._fields = sizes, acts, param_off, unit_off, loss

    sizes = property(lambda self: self._fields[0])
    activations = property(lambda self: self._fields[1])
    param_offsets = property(lambda self: self._fields[2])
    unit_offsets = property(lambda self: self._fields[3])
    loss = property(lambda self: self._fields[4])
    n_params = property(lambda self: int(self.param_offsets[-1]))
    n_units = property(lambda self: int(self.unit_offsets[-1]),
                       doc="Units in layers 1..L.")

    def __reduce__(self):
        return (Topology, (self.sizes.tolist(), self.activations.tolist(), self.loss))

    def __repr__(self):
        return f"Topology({self.sizes.tolist()}, {self.activations.tolist()}, {self.loss})"


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


def forward_dataset(top, params, X, out, acts=None):
    """``out[...]`` = the network's output for every row of ``X``.
    ``acts`` (the compiled backend's scratch buffer) is ignored."""
    _check(top, params, X, out=out)
    out[...] = forward(*_layers(top, params), top.activations, X)[-1]


def loss_dataset(top, params, X, Y, weights, acts=None):
    """Sum over the rows of ``X`` of the per-example loss, each times its
    weight when ``weights`` is not None; no L2 term.  ``acts`` is ignored."""
    _check(top, params, X, Y, weights)
    O = forward(*_layers(top, params), top.activations, X)[-1]
    return _weighted_sum(example_losses(top.activations[-1], top.loss, O, Y), weights)


def gradient_dataset(top, params, X, Y, weights, grads, acts=None, deltas=None, alpha=0.0):
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
    losses, dW, db = _backprop(W, b, top.activations, top.loss, X, Y, alpha, weights)
    for g, d in zip(sum(_layers(top, grads), []), dW + db):
        g[...] = d
    return _weighted_sum(losses, weights), wsum, _sq_norm(W) if alpha != 0 else 0.0


def _step_scalars(rule, lr, eps, h1, h2, eps_hat, t):
    """(lr, eps) of step ``t`` (from 1): Adam's bias correction folded in,
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``eps_t = eps sqrt(1 - b2^t)``
    (``eps`` itself with ``eps_hat``)."""
    if rule != Rule.ADAM:
        return lr, eps
    root_c2 = math.sqrt(1.0 - h2 ** t)
    return lr * root_c2 / (1.0 - h1 ** t), eps if eps_hat else eps * root_c2


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


class EpochPlan:
    """A fit's arrays and hyperparameters, checked once; :meth:`run` trains an
    epoch, updating ``params``, ``s1`` and ``s2`` in place (``grads`` is
    scratch).  ``acts``, ``deltas``, ``gather`` and ``check_every`` (the
    compiled backend's buffers and Ctrl-C polling) are ignored: here Ctrl-C
    raises KeyboardInterrupt, and the caller rolls back.

    Step s takes rows ``order[s*batch_size:(s+1)*batch_size]`` and minimizes
    ``sum_i w_i loss_i / wsum + alpha_b/2 sum ||W||^2``: wsum is the batch's
    weight sum (its row count without weights), ``alpha_b = alpha / wsum``
    with ``l2_per_weight``, else ``alpha``.
    """

    def __init__(self, top, params, grads, s1, s2, X, Y, weights, batch_size, rule, eps,
                 h1, h2, eps_hat, alpha, l2_per_weight, acts=None, deltas=None, gather=None,
                 check_every=0):
        needed = state_vectors(rule)
        _check(top, params, X, Y, weights, grads=grads, s1=s1 if needed >= 1 else None,
               s2=s2 if needed >= 2 else None)
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.top, self.params, self.grads, self.s1, self.s2 = top, params, grads, s1, s2
        self.X, self.Y, self.weights, self.batch_size = X, Y, weights, int(batch_size)
        self.rule, self.hyper = rule, (float(eps), float(h1), float(h2), bool(eps_hat))
        self.alpha, self.l2_per_weight = float(alpha), bool(l2_per_weight)
        self.n_steps = -(-X.shape[0] // self.batch_size)

    def run(self, order, lr, t0):
        """Every step of one epoch.

        Parameters
        ----------
        order : ndarray of intp or None
            The epoch's row order (None: as stored).
        lr : ndarray of float64
            One rate per update (n_steps), indexed by the updates applied so
            far in this run; or one rate for all.
        t0 : int
            Updates before this epoch: update u is step t0 + u + 1 of the rule.

        Returns
        -------
        (status, step, loss_sum, sq_sum, updates)
            ``status`` OK; LOSS_NOT_FINITE when batch ``step`` (from 0) had a
            NaN or infinite loss or sum ||W||^2 (stopped before its update);
            PARAMS_NOT_FINITE when a parameter is not finite at the end.
            ``loss_sum`` adds count * weighted mean loss of every applied
            batch, at the parameters it saw; ``sq_sum`` count * sum ||W||^2
            (over wsum with ``l2_per_weight``; 0 when alpha is 0).
        """
        n = self.X.shape[0]
        if order is not None and np.shape(order) != (n,):
            raise ValueError(f"order has {np.shape(order)[0]} entries, expected {n}")
        lr = np.asarray(lr, dtype=np.float64)
        if lr.shape not in ((self.n_steps,), (1,)):
            raise ValueError(f"need {self.n_steps} step rates (or one for all), got {lr.size}")
        top, params, alpha = self.top, self.params, self.alpha
        W, b = _layers(top, params)
        grad_views = sum(_layers(top, self.grads), [])
        loss_sum = sq_sum = 0.0
        updates = 0
        # overflow and NaN are reported by the status, as the compiled loop does
        with np.errstate(all="ignore"):
            for step, rows, w, wsum in _batches(n, self.batch_size, order, self.weights):
                # per-example (one row): w / wsum is 1, so the example's weight
                # cancels out of its loss and gradient; it stays in alpha_b
                a = alpha / wsum if self.l2_per_weight else alpha
                losses, dW, db = _backprop(W, b, top.activations, top.loss,
                                           self.X[rows], self.Y[rows], a, w)
                batch_loss = _weighted_sum(losses, w)
                sq = _sq_norm(W) if alpha != 0 else 0.0
                if not (math.isfinite(batch_loss) and math.isfinite(sq)):
                    return Status.LOSS_NOT_FINITE, step, loss_sum, sq_sum, updates
                loss_sum += batch_loss * (len(rows) / wsum)
                sq_sum += len(rows) * (sq / wsum if self.l2_per_weight else sq)
                for g, d in zip(grad_views, dW + db):
                    g[...] = d
                rate = lr[updates if lr.shape[0] > 1 else 0]
                update(self.rule, params, self.grads, self.s1, self.s2, float(rate),
                       *self.hyper, t=t0 + updates + 1)
                updates += 1
            if not np.isfinite(params).all():
                return Status.PARAMS_NOT_FINITE, -1, loss_sum, sq_sum, updates
        return Status.OK, -1, loss_sum, sq_sum, updates
