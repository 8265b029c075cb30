"""Whether a network's outputs on the training data are finite, checked after
every epoch.

The compiled loop checks every loss and, at the end, the parameters; but
finite parameters (say near 1e300, after an absurd learning rate) can still
make every output NaN.  A bound on each layer's pre-activations from the
parameters' magnitudes proves the outputs finite in O(parameters): with
|x| <= a on every input, |z_j| <= (n_in a + 1) max(|W|, |b|) for one layer,
and its activation bounds the next a.  Only when the bound does not prove it
does a forward pass over the training rows decide.
"""
import math

import numpy as np

from fastbp import _kernels
from fastbp._buffers import dense_rows, rows_per_pass
from fastbp._validation import extremes

__all__ = ["OutputGuard"]

# activations whose output magnitude is at most 1 whatever the input
_BOUNDED = frozenset({"sigmoid", "tanh", "softmax"})
# per dtype, the largest pre-activation the bound accepts: room for the
# softmax's shift, the squared loss's square and the next step's products,
# far beyond any network that trains
_LIMITS = {np.dtype(t): math.sqrt(float(np.finfo(t).max)) / 4 for t in (np.float32, np.float64)}


class OutputGuard:
    """Checks ``net``'s outputs on ``X`` (the training rows: dense, or
    sparse read a chunk at a time), built once per fit.  ``x_range``: (min,
    max) of X's entries when the caller knows them (saves a pass over X)."""

    def __init__(self, net, X, Y, sample_weight, x_range=None):
        self.net, self.X, self.Y, self.w = net, X, Y, sample_weight
        if x_range is None:  # else (min, max) of X's entries, known from its validation
            data = X.data if hasattr(X, "tocsr") else X
            x_range = extremes(data) if data.size else (0.0, 0.0)
        self.x_max = float(max(abs(x_range[1]), abs(x_range[0])))
        self.limit = _LIMITS[net.dtype]
        self.exp_limit = math.log(self.limit)
        offsets = net._topology.param_offsets
        self.starts = np.asarray(offsets[:-1], dtype=np.intp)  # each layer's W then b
        self.layers = list(zip(net.layer_sizes[:-1], [*net.hidden, net.output]))

    def bounded(self):
        """Whether the parameters' magnitudes prove every output finite."""
        params, a = self.net.params, self.x_max
        # per layer max |W, b|: two reductions whatever the depth, no temporary
        highs = np.maximum.reduceat(params, self.starts).tolist()
        lows = np.minimum.reduceat(params, self.starts).tolist()
        for (n_in, activation), high, low in zip(self.layers, highs, lows):
            z = (n_in * a + 1.0) * max(high, -low)
            if not z <= self.limit:  # (NaN fails too)
                return False
            if activation in _BOUNDED:
                a = 1.0
            elif activation == "exp":
                if z > self.exp_limit:
                    return False
                a = math.exp(z)
            else:  # relu, identity and kin: |f(z)| <= |z| + 1
                a = z + 1.0
        return True

    def finite(self):
        """Whether every output, and the loss, on the training rows is finite:
        the bound when it proves it, else a forward pass."""
        if self.bounded():
            return True
        net = self.net
        kernels, top = _kernels.active(), net._topology
        with np.errstate(all="ignore"):
            for start, rows in dense_rows(self.X, net.dtype):
                out = np.empty((rows.shape[0], net.n_outputs), dtype=net.dtype)
                acts = net._buffer(rows_per_pass(rows.shape[0], top.n_units))
                kernels.forward_dataset(top, net.params, rows, out, acts)
                stop = start + rows.shape[0]
                w = None if self.w is None else self.w[start:stop]
                loss = kernels.loss_dataset(top, net.params, rows, self.Y[start:stop], w, acts)
                if not (np.isfinite(out).all() and np.isfinite(loss)):
                    return False
        return True
