"""One training step of any small network, unit by unit: :func:`trace`.

The per-unit quantities (net inputs I_j, outputs O_j, errors Err_j) come from
the NumPy reference (``fastbp._kernels._numpy_math``); the gradient and the
update come from the active kernel backend and the optimizer's own update
rule, so the new parameters are the bits ``net.fit(X, T, batch_size=len(X),
epochs=1)`` gives (for one example: ``batch_size=1``).
"""
import copy
import weakref

import numpy as np

from fastbp import _trace_tables
from fastbp._kernels import _numpy_math as ref
from fastbp._trace_tables import unit_numbers
from fastbp._validation import check_alpha, check_choice
from fastbp.optimizers import get_optimizer

__all__ = ["trace", "Trace", "STATE_NAMES", "parameter_names", "unit_numbers",
           "layer_values"]

# What each update rule's state vectors are called in the update table (by
# the Rule member's name); a rule missing here shows them as s1, s2.
STATE_NAMES = {"SGD": (), "MOMENTUM": ("velocity",), "NESTEROV": ("velocity",),
               "VELOCITY": ("velocity",), "VELOCITY_NESTEROV": ("velocity",),
               "ADAGRAD": ("sum_sq",), "RMSPROP": ("mean_sq",), "ADAM": ("m", "v"),
               "ADAMW": ("m", "v")}


class Trace:
    """What one training step did to every unit and parameter.

    Attributes
    ----------
    net_before, net : MLP
        Copies of the network before and after the step.
    optimizer : Optimizer
        A copy of the optimizer after the step: ``net.fit(..., optimizer=
        trace.optimizer)`` continues where the trace stopped.
    X, T : ndarray (n_examples, n_inputs), (n_examples, n_outputs)
    I : list of ndarray (n_examples, n_l), one per layer 1..L
        Net inputs I_j = sum_i w_ij O_i + b_j.
    O : list of ndarray (n_examples, n_l), one per layer 0..L
        Outputs O_j = f(I_j); ``O[0]`` is the input.
    err : list of ndarray (n_examples, n_l), one per layer 1..L
        Err_j = -dE/dI_j for each example's own loss E (the lecture's sign:
        for a sigmoid output and the squared loss, O_j (1 - O_j)(T_j - O_j)).
    names : list of str
        A name per parameter, in the layout of ``net.params``.
    old, grad, update, new : ndarray (n_params,)
        Each parameter before, its gradient (of the batch's mean loss plus
        alpha/2 sum ||W||^2), new - old, and after.
    state : dict {str: ndarray (n_params,)}
        The optimizer's state vectors after the step (Adam's m and v, ...).
    lr : float
        The learning rate of the step; ``step`` its number (from 1).
    alpha : float
        The L2 penalty of the step.
    loss, loss_after : float
        The batch loss (with the L2 term) before and after the step.
    units, parameters : list of dict
        The rows of the tables (what :meth:`frames` turns into DataFrames).
    """

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return (f"<Trace: {'-'.join(map(str, self.net.layer_sizes))} network, "
                f"{self.X.shape[0]} example(s), {type(self.optimizer).__name__} update "
                f"{self.step}, loss {self.loss:.6g} -> {self.loss_after:.6g}>")

    def to_text(self, digits=6):
        """The tables of the slides as text, numbers to ``digits`` significant digits."""
        return _trace_tables.render(self, digits)

    def parameter(self, name):
        """The row of the parameter called ``name`` (e.g. "w14" or "b6")."""
        for row in self.parameters:
            if row["name"] == name:
                return row
        raise KeyError(f"no parameter named {name!r}; the names are {self.names}")

    def frames(self):
        """{"units": DataFrame, "parameters": DataFrame} (needs pandas)."""
        from fastbp._optional import require

        pd = require("pandas", "Trace.frames")
        return {"units": pd.DataFrame(self.units), "parameters": pd.DataFrame(self.parameters)}


def parameter_names(sizes, names="units"):
    """A name per parameter in the flat layout (W_1 row-major, b_1, W_2, ...):
    "units": the slides' w14, b4 (w3,12 once a unit number has two digits);
    "layers": W1[0,1], b1[1] (``net.weights[0][0, 1]``, ``net.biases[0][1]``)."""
    check_choice("names", names, ("units", "layers"))
    units = unit_numbers(sizes)
    sep = "," if units[-1][-1] > 9 else ""
    out = []
    for l in range(1, len(sizes)):
        for i in range(sizes[l - 1]):
            out += [f"w{units[l - 1][i]}{sep}{units[l][j]}" if names == "units"
                    else f"W{l}[{i},{j}]" for j in range(sizes[l])]
        out += [f"b{units[l][j]}" if names == "units" else f"b{l}[{j}]"
                for j in range(sizes[l])]
    return out


def _examples(net, X, T):
    """X and T as checked 2-D arrays; a 1-D X is one example."""
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(1, -1)
        T = np.asarray(T)
        if T.ndim == 0 or (T.size == 1 and net.output == "softmax"):
            T = T.reshape(1)  # one target value, or one class label
        elif T.ndim == 1 and net.n_outputs > 1:
            T = T.reshape(1, -1)  # the example's row of targets
    X = net._check_X(X)
    return X, net._check_Y(T, X.shape[0], "t")


def _with_loss(net, loss):
    """``net`` itself, or a copy with the same parameters and another loss."""
    from fastbp.network import MLP

    if loss is None or loss == net.loss_name:
        return net
    other = MLP(net.layer_sizes, hidden=net.hidden, output=net.output, loss=loss,
                dtype=net.dtype, seed=0)
    other.params = net.params
    return other


def layer_values(net, X, T=None):
    """Every layer's values on checked arrays X (and T), by the NumPy reference:
    (net inputs I per layer 1..L, outputs O per layer 0..L, errors Err =
    -dE/dI per example and layer 1..L, or None without T)."""
    I, O = _forward_units(net, X)
    return I, O, None if T is None else _errors(net, X, T)


def _forward_units(net, X):
    """(I per layer 1..L, O per layer 0..L) by the NumPy reference."""
    I, O = [], [X]
    for W, b, f, p in zip(net.weights, net.biases, net._codes, net._unit_params):
        I.append(O[-1] @ W + b)
        O.append(ref.activate(f, I[-1], p))
    return I, O


def _errors(net, X, T):
    """Err_j = -dE/dI_j per example and layer: the bias gradient of the
    reference's backprop on that example alone (alpha does not touch biases)."""
    rows = [ref.backprop(net.weights, net.biases, net._codes, net.loss_name, X[i:i + 1],
                         T[i:i + 1], unit_params=net._unit_params)[2]
            for i in range(X.shape[0])]
    return [-np.stack([r[l] for r in rows]) for l in range(len(net._codes))]


def _step(optimizer, net, after, grad):
    """A copy of ``optimizer`` after one update of ``after.params`` by
    ``grad``: from the state it has for ``net`` (as ``fit`` continues it),
    else from a fresh state.  Returns (optimizer, learning rate)."""
    opt = copy.deepcopy(optimizer)
    bound = optimizer._owner is not None and optimizer._owner() is net
    opt._owner = weakref.ref(after.params) if bound else None
    lr = float(np.atleast_1d(opt.rates(1))[0])
    opt._step(after.params, grad, after.weights)  # fit decays weights, not biases
    opt._owner = weakref.ref(after)  # as fit leaves it: bound to the network
    opt.epochs += 1
    return opt, lr


def trace(net, X, t, optimizer="sgd", alpha=0.0, loss=None, names="units"):
    """Run one training step on one example (or a small batch) and record
    every unit and parameter.

    Parameters
    ----------
    net : MLP
        Not modified: the trace works on copies (``trace.net`` is the result).
    X : array-like (n_inputs,) or (n_examples, n_inputs)
        One example, or a batch stepped as one update (the mean loss).
    t : array-like
        Its targets, as ``fit`` takes them (a class label for a softmax output).
    optimizer : str or Optimizer, default "sgd"
        As for ``fit``.  Not modified: an optimizer that has trained ``net``
        continues from its state on a copy (``trace.optimizer``).
    alpha : float, default 0
        L2 penalty, as for ``fit``.
    loss : str or None
        Another loss than the network's, for this step (e.g. "cross_entropy").
    names : {"units", "layers"}, default "units"
        The slides' names (w14, b4) or the layers' (W1[0,0], b1[0]).

    Returns
    -------
    Trace
        ``trace.new`` equals ``net.fit(X, t, optimizer, batch_size=len(X),
        alpha=alpha)``'s parameters bit for bit.
    """
    original, net = net, _with_loss(net, loss)
    X, T = _examples(net, X, t)
    alpha = check_alpha(alpha)
    opt = get_optimizer(optimizer)
    tr = Trace()
    tr.names = parameter_names(net.layer_sizes, names)
    tr.net_before, tr.net, tr.X, tr.T, tr.alpha = net.copy(), net.copy(), X, T, alpha
    tr.I, tr.O, tr.err = layer_values(net, X, T)
    tr.loss = net.loss(X, T, alpha)
    dW, db = net.gradients(X, T, alpha)
    tr.grad = np.concatenate([a for w, b in zip(dW, db) for a in (w.ravel(), b)])
    tr.old = net.params.copy()
    tr.optimizer, tr.lr = _step(opt, original, tr.net, tr.grad)
    tr.step = tr.optimizer.t
    tr.new = tr.net.params.copy()
    tr.update = tr.new - tr.old
    state_names = STATE_NAMES.get(tr.optimizer.rule.name) or [
        f"s{k + 1}" for k in range(len(tr.optimizer._state))]
    tr.state = {n: s.copy() for n, s in zip(state_names, tr.optimizer._state)}
    tr.loss_after = tr.net.loss(X, T, alpha)
    tr.units, tr.parameters = _trace_tables.records(tr)
    return tr
