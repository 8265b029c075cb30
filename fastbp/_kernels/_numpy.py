"""The kernel backend in plain NumPy (``FASTBP_KERNELS=numpy``): the compiled
kernels' interface (see fastbp._kernels) over one flat parameter vector,
built on the reference math of ``_numpy_math``, which it re-exports so that
tests have one reference to import.

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
    batches,
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
           "gradient_dataset", "update", "EpochPlan", "extremes"]


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
    """A fit's arrays and hyperparameters, checked once; :meth:`train_epoch` trains an
    epoch, updating ``params``, ``s1`` and ``s2`` in place (``grads`` is
    scratch).  ``acts``, ``deltas``, ``gather`` and ``check_every`` (the
    compiled backend's buffers and Ctrl-C polling) are ignored: here Ctrl-C
    raises KeyboardInterrupt, and the caller rolls back.

    Step s takes rows ``order[s*batch_size:(s+1)*batch_size]`` and minimizes
    ``sum_i w_i loss_i / wsum + alpha_b/2 sum ||W||^2 + l1_b sum |W|``: wsum
    is the batch's weight sum (its row count without weights), ``alpha_b =
    alpha / wsum`` and ``l1_b = l1 / wsum`` with ``l2_per_weight``, else
    ``alpha`` and ``l1``.  Its gradient is clipped (``clip_norm``, then
    ``clip_value``), the weights decay by ``1 - lr_t weight_decay``, and the
    rule updates.  ``keep`` and ``seed``: dropout, as in the compiled plan.
    """

    # acts, deltas, gather, check_every: unused, kept for the compiled EpochPlan's API
    def __init__(self, top, params, grads, s1, s2, X, Y, weights, batch_size, rule, eps,
                 h1, h2, eps_hat, alpha, l2_per_weight, acts, deltas, gather,  # noqa: ARG002
                 check_every=0, l1=0.0, clip_norm=0.0, clip_value=0.0,  # noqa: ARG002
                 weight_decay=0.0, keep=None, seed=0):
        needed = state_vectors(rule)
        _check(top, params, X, Y, weights, grads=grads, s1=s1 if needed >= 1 else None,
               s2=s2 if needed >= 2 else None)
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        options = {"l1": l1, "clip_norm": clip_norm, "clip_value": clip_value,
                   "weight_decay": weight_decay}
        for name, value in options.items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if keep is not None:
            keep = np.asarray(keep, dtype=np.float64)
            if keep.shape != (len(top.sizes) - 1,) or not ((keep > 0) & (keep <= 1)).all():
                raise ValueError(f"keep must hold {len(top.sizes) - 1} probabilities in (0, 1], "
                                 f"got {keep}")
        self.top, self.params, self.grads, self.s1, self.s2 = top, params, grads, s1, s2
        self.X, self.Y, self.weights, self.batch_size = X, Y, weights, int(batch_size)
        self.rule, self.hyper = rule, (float(eps), float(h1), float(h2), bool(eps_hat))
        self.alpha, self.l2_per_weight = float(alpha), bool(l2_per_weight)
        self.options = {k: float(v) for k, v in options.items()}
        self.keep, self.seed = keep, int(seed)
        self.n_steps = -(-X.shape[0] // self.batch_size)

    def rebind(self, X, Y, weights):
        """Train on other data of the same shapes (as the compiled plan's)."""
        if (X.shape, Y.shape, weights is None) != (self.X.shape, self.Y.shape,
                                                   self.weights is None):
            raise ValueError("rebind needs data of the plan's shapes")
        _check(self.top, self.params, X, Y, weights)
        self.X, self.Y, self.weights = X, Y, weights

    def _masks(self, epoch, step, rows):
        """The step's dropout masks, one per weight layer's input (None: kept whole)."""
        if self.keep is None:
            return None
        return [None if k == 1 else (dropout_keep(self.seed, epoch, step, l, rows, width, k), k)
                for l, (k, width) in enumerate(zip(self.keep, self.top.sizes[:-1]))]

    def _penalize_and_clip(self, W, dW, db, a_b, l1_b):
        """Clip the gradient with its penalty terms (dW includes them); returns
        the batch's penalty alpha_b/2 sum ||W||^2 + l1_b sum |W| (float64)."""
        sq = sq_norm(W) if self.alpha != 0 else 0.0
        ab = sum(float(np.sum(np.abs(w), dtype=np.float64)) for w in W) if l1_b != 0 else 0.0
        norm_limit, value_limit = self.options["clip_norm"], self.options["clip_value"]
        if norm_limit > 0:
            norm = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in dW + db))
            coef = norm_limit / (norm + 1e-6)
            if coef < 1:
                for g in dW + db:
                    g *= g.dtype.type(coef)
        if value_limit > 0:
            for g in dW + db:
                np.clip(g, -value_limit, value_limit, out=g)
        return 0.5 * a_b * sq + l1_b * ab, sq, ab

    def train_epoch(self, order, lr, t0, epoch=0, first_step=0, n_threads=1):  # noqa: ARG002
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
        epoch, first_step : int
            The epochs completed before this one, and this plan's first step
            in the epoch: dropout's masks are numbered by them.
        n_threads : int
            The compiled kernels' threads; this reference computes each batch
            in one product on one thread (the compiled parts sum to it).

        Returns
        -------
        (status, step, loss_sum, penalty_sum, updates)
            ``status`` OK; LOSS_NOT_FINITE when batch ``step`` (from 0) had a
            NaN or infinite loss or penalty (stopped before its update);
            PARAMS_NOT_FINITE when a parameter is not finite at the end.
            ``loss_sum`` adds count * weighted mean loss of every applied
            batch, at the parameters it saw; ``penalty_sum`` count * its
            penalty alpha_b/2 sum ||W||^2 + l1_b sum |W|.
        """
        n = self.X.shape[0]
        if order is not None and np.shape(order) != (n,):
            raise ValueError(f"order has {np.shape(order)[0]} entries, expected {n}")
        lr = np.asarray(lr, dtype=np.float64)
        if lr.shape not in ((self.n_steps,), (1,)):
            raise ValueError(f"need {self.n_steps} step rates (or one for all), got {lr.size}")
        top, params, alpha, l1 = self.top, self.params, self.alpha, self.options["l1"]
        W, b = _layers(top, params)
        grad_views = sum(_layers(top, self.grads), [])
        loss_sum = penalty_sum = 0.0
        updates = 0
        # overflow and NaN are reported by the status, as the compiled loop does
        with np.errstate(all="ignore"):
            for step, rows, w, wsum in batches(n, self.batch_size, order, self.weights):
                # per-example (one row): w / wsum is 1, so the example's weight
                # cancels out of its loss and gradient; it stays in alpha_b
                a_b, l1_b = (alpha / wsum, l1 / wsum) if self.l2_per_weight else (alpha, l1)
                losses, dW, db = backprop(
                    W, b, top.activations, top.loss, self.X[rows], self.Y[rows], a_b, w,
                    unit_params=top.unit_params, l1=l1_b,
                    masks=self._masks(epoch, first_step + step, len(rows)))
                batch_loss = _weighted_sum(losses, w)
                penalty, sq, ab = self._penalize_and_clip(W, dW, db, a_b, l1_b)
                if not all(map(math.isfinite, (batch_loss, sq, ab))):
                    return Status.LOSS_NOT_FINITE, step, loss_sum, penalty_sum, updates
                loss_sum += batch_loss * (len(rows) / wsum)
                penalty_sum += len(rows) * penalty
                for g, d in zip(grad_views, dW + db):
                    g[...] = d
                rate = float(lr[updates if lr.shape[0] > 1 else 0])
                if self.options["weight_decay"] != 0:
                    for w_l in W:  # decoupled: the weights, not the biases
                        w_l *= w_l.dtype.type(1.0 - rate * self.options["weight_decay"])
                update(self.rule, params, self.grads, self.s1, self.s2, rate,
                       *self.hyper, t=t0 + updates + 1)
                updates += 1
            if not np.isfinite(params).all():
                return Status.PARAMS_NOT_FINITE, -1, loss_sum, penalty_sum, updates
        return Status.OK, -1, loss_sum, penalty_sum, updates
