"""The other implementations benchmarks/compare.py times against fastbp:
a NumPy MLP, plain-Python loops, and a PyTorch loop.

Each trains the same network from the same weights as fastbp (they copy them
from a fastbp network), with the optimizer settings of the workload (an
``OptimizerSpec`` of benchmarks/workloads.py).
"""
import math
from operator import mul

import numpy as np


def state_vectors(optimizer):
    """How many parameter-sized state vectors fastbp's update rule for
    ``optimizer`` (a fastbp optimizer) keeps, from the kernels' own table:
    the one place the benchmarks look it up."""
    from fastbp import _kernels

    return _kernels.active().state_vectors(optimizer.rule)


# --------------------------------------------------------------------------
# NumPy
# --------------------------------------------------------------------------
class NumpyMLP:
    """Backpropagation in NumPy, written for speed rather than clarity.

    This is the "NumPy" column: fastbp._kernels._numpy is written for clarity
    (it allocates freely and runs the forward pass twice per batch), which
    would flatter fastbp.  Here, as in fastbp, all parameters live in one flat
    vector with per-layer views, so an optimizer step is a handful of
    whole-vector operations; activations are computed in place and the
    matrix products go to BLAS through ``np.dot(..., out=...)``.

    Conventions are fastbp's (docs/math.md).  ``optimizer`` is an
    OptimizerSpec: SGD with or without momentum, or Adam with scikit-learn's
    epsilon (``eps_hat=True``).
    """

    def __init__(self, net, optimizer):
        self.sizes = list(net.layer_sizes)
        self.hidden, self.output, self.loss = net.hidden, net.output, net.loss_name
        self.params = net.params.copy()
        self.grads = np.zeros_like(self.params)
        self.W, self.b = self._views(self.params)
        self.gW, self.gb = self._views(self.grads)
        if optimizer.name == "adam" and not optimizer.eps_hat:
            raise ValueError("the NumPy loop does Adam with eps_hat=True only")
        self.opt = optimizer
        n_state = state_vectors(optimizer.make())
        self.state = [np.zeros_like(self.params) for _ in range(n_state)]
        self.tmp = np.empty_like(self.params)
        self.t = 0
        self.tiny = np.finfo(self.params.dtype).tiny

    def _views(self, flat):
        W, b, off = [], [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            W.append(flat[off:off + n_in * n_out].reshape(n_in, n_out))
            off += n_in * n_out
            b.append(flat[off:off + n_out])
            off += n_out
        return W, b

    def weights(self):
        return [w.copy() for w in self.W] + [b.copy() for b in self.b]

    @staticmethod
    def _activate(name, Z):
        if name == "sigmoid":
            np.negative(Z, out=Z)
            np.exp(Z, out=Z)
            Z += 1
            np.reciprocal(Z, out=Z)
        elif name == "relu":
            np.maximum(Z, 0, out=Z)
        elif name == "softmax":
            Z -= Z.max(axis=1, keepdims=True)
            np.exp(Z, out=Z)
            Z /= Z.sum(axis=1, keepdims=True)
        else:
            raise ValueError(name)

    @staticmethod
    def _times_derivative(name, D, A):
        """D *= f'(z), from the activations A = f(z)."""
        if name == "sigmoid":
            D *= A
            D *= 1 - A
        elif name == "relu":
            np.multiply(D, A > 0, out=D)
        else:
            raise ValueError(name)

    def _step(self):
        p, g, tmp = self.params, self.grads, self.tmp
        self.t += 1
        if self.opt.name == "sgd":
            lr, mu = self.opt.lr, self.opt.momentum
            if mu:
                v = self.state[0]
                v *= mu
                v += g
                g = v
            np.multiply(g, lr, out=tmp)
            p -= tmp
        else:
            lr, b1, b2, eps = self.opt.lr, self.opt.beta1, self.opt.beta2, self.opt.eps
            m, v = self.state
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            step = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp

    def train_epoch(self, X, T, labels=None, batch_size=1):
        """One epoch over the rows in order; returns the summed example losses.

        ``T`` holds the targets (one-hot for softmax); ``labels`` the class
        labels (softmax only, for the loss).
        """
        n, L = X.shape[0], len(self.W)
        acts = [None] * (L + 1)
        rows = np.arange(batch_size)
        total = 0.0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            m = stop - start
            a = acts[0] = X[start:stop]
            for l in range(L):
                z = np.dot(a, self.W[l])
                z += self.b[l]
                self._activate(self.hidden[l] if l < L - 1 else self.output, z)
                a = acts[l + 1] = z
            O, Tb = a, T[start:stop]
            if self.output == "softmax":  # cross-entropy
                total -= np.log(np.maximum(O[rows[:m], labels[start:stop]], self.tiny)).sum()
                D = O - Tb
            else:  # sigmoid output, squared loss
                E = O - Tb
                total += 0.5 * float(np.dot(E.ravel(), E.ravel()))
                D = 1 - O
                D *= O
                D *= E
            D *= 1.0 / m
            for l in range(L - 1, -1, -1):
                np.dot(acts[l].T, D, out=self.gW[l])
                np.sum(D, axis=0, out=self.gb[l])
                if l > 0:
                    D = np.dot(D, self.W[l].T)
                    self._times_derivative(self.hidden[l - 1], D, acts[l])
            self._step()
        return total


# --------------------------------------------------------------------------
# Plain Python (scalar floats)
# --------------------------------------------------------------------------
def python_321_params(net):
    """The 3-2-1 network's 11 parameters as Python floats, in the order
    python_epoch_321 unpacks them."""
    W1, b1, W2, b2 = net.weights[0], net.biases[0], net.weights[1], net.biases[1]
    return [float(v) for v in (W1[0, 0], W1[0, 1], W1[1, 0], W1[1, 1], W1[2, 0], W1[2, 1],
                               b1[0], b1[1], W2[0, 0], W2[1, 0], b2[0])]


def python_epoch_321(p, rows, targets, lr):
    """Per-example SGD for the 3-2-1 sigmoid net, squared loss, written out in
    scalars as the lecture's worked example does it (the fastest plain Python
    for this net).  Updates the list ``p`` in place; returns the summed loss."""
    w11, w12, w21, w22, w31, w32, b1, b2, v1, v2, c = p
    exp = math.exp
    loss = 0.0
    for (x1, x2, x3), t in zip(rows, targets):
        h1 = 1.0 / (1.0 + exp(-(x1 * w11 + x2 * w21 + x3 * w31 + b1)))
        h2 = 1.0 / (1.0 + exp(-(x1 * w12 + x2 * w22 + x3 * w32 + b2)))
        o = 1.0 / (1.0 + exp(-(h1 * v1 + h2 * v2 + c)))
        e = o - t
        loss += 0.5 * e * e
        d = e * o * (1.0 - o)            # error of the output unit
        d1 = d * v1 * h1 * (1.0 - h1)    # errors of the hidden units, from the
        d2 = d * v2 * h2 * (1.0 - h2)    # output weights before their update
        d *= lr
        d1 *= lr
        d2 *= lr
        v1 -= d * h1
        v2 -= d * h2
        c -= d
        w11 -= d1 * x1
        w21 -= d1 * x2
        w31 -= d1 * x3
        b1 -= d1
        w12 -= d2 * x1
        w22 -= d2 * x2
        w32 -= d2 * x3
        b2 -= d2
    p[:] = [w11, w12, w21, w22, w31, w32, b1, b2, v1, v2, c]
    return loss


def python_generic_params(net):
    """One-hidden-layer net as lists of floats: each unit's incoming weights."""
    W1, b1, W2, b2 = net.weights[0], net.biases[0], net.weights[1], net.biases[1]
    return [W1.T.tolist(), b1.tolist(), W2.T.tolist(), b2.tolist()]


def python_epoch_generic(state, rows, targets, lr):
    """Per-example SGD for any one-hidden-layer sigmoid net (squared loss) over
    lists of floats.  ``state`` = [hidden weights (one list per unit), hidden
    biases, output weights (one list per unit), output biases], updated in
    place; returns the summed loss."""
    Wh, bh, Wo, bo = state
    exp = math.exp
    loss = 0.0
    for x, t in zip(rows, targets):
        h = [1.0 / (1.0 + exp(-(b + sum(map(mul, x, w))))) for w, b in zip(Wh, bh)]
        o = [1.0 / (1.0 + exp(-(b + sum(map(mul, h, w))))) for w, b in zip(Wo, bo)]
        do = []
        for ok, tk in zip(o, t):
            e = ok - tk
            loss += 0.5 * e * e
            do.append(e * ok * (1.0 - ok))
        # hidden errors: sum_k do_k Wo[k][j], with the weights before the update
        back = [0.0] * len(h)
        for dk, w in zip(do, Wo):
            back = [s + dk * wj for s, wj in zip(back, w)]
        dh = [s * hj * (1.0 - hj) for s, hj in zip(back, h)]
        for k, dk in enumerate(do):
            step = lr * dk
            Wo[k] = [wj - step * hj for wj, hj in zip(Wo[k], h)]
            bo[k] -= step
        for j, dj in enumerate(dh):
            step = lr * dj
            Wh[j] = [wi - step * xi for wi, xi in zip(Wh[j], x)]
            bh[j] -= step
    return loss


def python_generic_weights(state):
    Wh, bh, Wo, bo = state
    return [np.array(Wh).T, np.array(Wo).T, np.array(bh), np.array(bo)]


# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------
class TorchMLP:
    """nn.Linear layers with ReLU, CrossEntropyLoss (on the logits: it applies
    log-softmax itself) and a torch.optim optimizer, in a plain batch loop.
    ``optimizer`` is an OptimizerSpec (Adam's ``eps_hat`` is not read: PyTorch
    has only the other convention)."""

    def __init__(self, torch, net, optimizer):
        self.torch = torch
        tdtype = getattr(torch, net.dtype.name)
        layers = []
        for l, (w, b) in enumerate(zip(net.weights, net.biases)):
            lin = torch.nn.Linear(*w.shape, dtype=tdtype)
            with torch.no_grad():  # fastbp's (n_in, n_out) is nn.Linear's weight transposed
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
                lin.bias.copy_(torch.from_numpy(b.copy()))
            layers.append(lin)
            if l < len(net.weights) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        params, o = self.model.parameters(), optimizer
        if o.name == "adam":  # torch.optim.Adam has fastbp's eps_hat=False only
            self.opt = torch.optim.Adam(params, lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps)
        else:
            self.opt = torch.optim.SGD(params, lr=o.lr, momentum=o.momentum)

    def train_epoch(self, X, y, batch_size):
        """X: tensor (n, n_in); y: int64 tensor of labels."""
        total = 0.0
        for start in range(0, X.shape[0], batch_size):
            xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            self.opt.zero_grad()
            loss = self.loss_fn(self.model(xb), yb)
            loss.backward()
            self.opt.step()
            total += loss.item() * xb.shape[0]
        return total

    def weights(self):
        lins = [m for m in self.model if isinstance(m, self.torch.nn.Linear)]
        return ([m.weight.detach().numpy().T.copy() for m in lins]
                + [m.bias.detach().numpy().copy() for m in lins])


def fastbp_weights(net):
    return [w.copy() for w in net.weights] + [b.copy() for b in net.biases]

