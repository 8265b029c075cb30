"""The Numba column of benchmarks/rivals.py: one ``@njit`` function per epoch,
written as a user who wants speed would write it.

``error_model="numpy"`` drops Python's division-by-zero checks so the
elementwise loops vectorize; ``fastmath`` stays off so the results round as
fastbp's do.  The matrix products of the mini-batch loop are ``np.dot`` with
an output array (Numba calls the BLAS that SciPy ships); everything
elementwise is a loop.  Scalars are cast to the arrays' dtype so float32
loops stay in float32.

The math is fastbp's (docs/math.md): per-example SGD on a sigmoid network
with squared loss ½Σ(o − t)², and mini-batch Adam (scikit-learn's epsilon,
``eps_hat=True``) on ReLU layers with a softmax output and cross-entropy
averaged over the batch.  Parameters are fastbp's layout: one flat vector
holding W_1 (row-major, shape (n_in, n_out)), b_1, W_2, b_2, ...
"""
import math

import numpy as np
from numba import njit

JIT = dict(error_model="numpy", fastmath=False, cache=False)


@njit(**JIT)
def sgd_epoch_one_hidden(X, Y, W1, b1, W2, b2, lr):
    """One epoch of per-example SGD over the rows of X in order, for a
    network with one sigmoid hidden layer and sigmoid outputs (squared loss).
    Updates W1, b1, W2, b2 in place; returns the summed loss."""
    n, n_in = X.shape
    n_hid, n_out = W2.shape
    dt = W1.dtype.type
    rate, one, half = dt(lr), dt(1.0), dt(0.5)
    h = np.empty(n_hid, W1.dtype)
    dh = np.empty(n_hid, W1.dtype)
    o = np.empty(n_out, W1.dtype)
    do = np.empty(n_out, W1.dtype)
    total = 0.0
    for i in range(n):
        x, t = X[i], Y[i]
        # forward: h = sigmoid(x W1 + b1), o = sigmoid(h W2 + b2), row by row of W
        h[:] = b1
        for k in range(n_in):
            xk = x[k]
            for j in range(n_hid):
                h[j] += xk * W1[k, j]
        for j in range(n_hid):
            h[j] = one / (one + math.exp(-h[j]))
        o[:] = b2
        for j in range(n_hid):
            hj = h[j]
            for k in range(n_out):
                o[k] += hj * W2[j, k]
        for k in range(n_out):
            ok = one / (one + math.exp(-o[k]))
            e = ok - t[k]
            total += half * e * e
            do[k] = e * ok * (one - ok)
        # hidden errors from the output weights before their update
        for j in range(n_hid):
            s = dt(0.0)
            for k in range(n_out):
                s += W2[j, k] * do[k]
            dh[j] = s * h[j] * (one - h[j])
        for j in range(n_hid):
            hj = h[j]
            for k in range(n_out):
                W2[j, k] -= rate * (hj * do[k])
        for k in range(n_out):
            b2[k] -= rate * do[k]
        for k in range(n_in):
            xk = x[k]
            for j in range(n_hid):
                W1[k, j] -= rate * (xk * dh[j])
        for j in range(n_hid):
            b1[j] -= rate * dh[j]
    return total


@njit(**JIT)
def adam_epoch(X, y, params, m, v, sizes, batch, t0, lr, beta1, beta2, eps):
    """One epoch of mini-batch Adam over the rows of X in order (the last
    batch holds the remainder): ReLU hidden layers, softmax output,
    cross-entropy averaged over the batch, scikit-learn's epsilon.

    ``params``, ``m`` and ``v`` are flat vectors in fastbp's layout, updated
    in place; ``sizes`` the layer widths (input first); ``t0`` the number of
    Adam steps taken before this epoch.  Returns the summed loss.
    """
    n = X.shape[0]
    L = sizes.shape[0] - 1
    dt = params.dtype.type
    one = dt(1.0)
    b1, b2, e = dt(beta1), dt(beta2), dt(eps)
    one_b1, one_b2 = dt(1.0 - beta1), dt(1.0 - beta2)
    tiny = np.finfo(params.dtype).tiny
    grads = np.empty_like(params)
    # per-layer views of the flat vectors, and per-layer batch buffers
    Ws = []
    bs = []
    gWs = []
    gbs = []
    acts = []
    deltas = []
    off = 0
    for l in range(L):
        a, b = sizes[l], sizes[l + 1]
        Ws.append(params[off:off + a * b].reshape((a, b)))
        gWs.append(grads[off:off + a * b].reshape((a, b)))
        off += a * b
        bs.append(params[off:off + b])
        gbs.append(grads[off:off + b])
        off += b
        acts.append(np.empty((batch, b), params.dtype))
        deltas.append(np.empty((batch, b), params.dtype))
    total = 0.0
    t = t0
    for start in range(0, n, batch):
        mb = min(batch, n - start)
        xb = X[start:start + mb]
        # forward
        a_prev = xb
        for l in range(L):
            Z = acts[l][:mb]
            np.dot(a_prev, Ws[l], Z)
            bias = bs[l]
            width = Z.shape[1]
            if l < L - 1:
                for i in range(mb):
                    for k in range(width):
                        z = Z[i, k] + bias[k]
                        Z[i, k] = z if z > 0 else dt(0.0)
            else:
                for i in range(mb):
                    zmax = Z[i, 0] + bias[0]
                    for k in range(width):
                        Z[i, k] += bias[k]
                        zmax = max(zmax, Z[i, k])
                    s = dt(0.0)
                    for k in range(width):
                        Z[i, k] = math.exp(Z[i, k] - zmax)
                        s += Z[i, k]
                    inv = one / s
                    for k in range(width):
                        Z[i, k] *= inv
            a_prev = Z
        # output delta (o - t) / B, and the loss
        O = acts[L - 1][:mb]
        D = deltas[L - 1][:mb]
        inv_m = one / dt(mb)
        for i in range(mb):
            label = y[start + i]
            total -= math.log(max(O[i, label], tiny))
            for k in range(O.shape[1]):
                D[i, k] = O[i, k] * inv_m
            D[i, label] -= inv_m
        # backward
        for l in range(L - 1, -1, -1):
            A_in = xb if l == 0 else acts[l - 1][:mb]
            np.dot(A_in.T, D, gWs[l])
            gb = gbs[l]
            gb[:] = 0
            for i in range(mb):
                for k in range(D.shape[1]):
                    gb[k] += D[i, k]
            if l > 0:
                Dp = deltas[l - 1][:mb]
                np.dot(D, Ws[l].T, Dp)
                for i in range(mb):
                    for k in range(Dp.shape[1]):
                        if A_in[i, k] <= 0:
                            Dp[i, k] = dt(0.0)
                D = Dp
        # Adam, scikit-learn's epsilon: p -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
        t += 1
        rate = dt(lr * math.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t))
        for i in range(params.shape[0]):
            g = grads[i]
            m[i] = b1 * m[i] + one_b1 * g
            v[i] = b2 * v[i] + one_b2 * g * g
            params[i] -= rate * m[i] / (math.sqrt(v[i]) + e)
    return total


class NumbaPerExample:
    """W1/W1b: per-example SGD, one hidden sigmoid layer, from fastbp's
    initial weights (a list [W1, W2, b1, b2] as baselines.fastbp_weights
    gives them)."""

    def __init__(self, start, X, Y, lr):
        self.start, self.X, self.Y, self.lr = start, X, Y, lr
        self.signatures = len(sgd_epoch_one_hidden.signatures)
        self.reset()

    def compiled(self):
        """Whether running compiled the function (Numba compiles once per
        argument types and process: an earlier workload may have done it)."""
        return len(sgd_epoch_one_hidden.signatures) > self.signatures

    def reset(self):
        self.W1, self.W2, self.b1, self.b2 = (a.copy() for a in self.start)

    def run(self):
        return sgd_epoch_one_hidden(self.X, self.Y, self.W1, self.b1, self.W2, self.b2,
                                    self.lr)

    def weights(self):
        return [self.W1, self.W2, self.b1, self.b2]


class NumbaAdam:
    """W2/W3: mini-batch Adam from fastbp's flat initial parameters."""

    def __init__(self, start_params, sizes, X, y, batch, spec):
        self.start = start_params
        self.sizes = np.asarray(sizes, dtype=np.int64)
        self.X, self.y, self.batch, self.spec = X, y, batch, spec
        self.signatures = len(adam_epoch.signatures)
        self.reset()

    def compiled(self):
        """As NumbaPerExample.compiled."""
        return len(adam_epoch.signatures) > self.signatures

    def reset(self):
        self.params = self.start.copy()
        self.m = np.zeros_like(self.params)
        self.v = np.zeros_like(self.params)

    def run(self):
        s = self.spec
        return adam_epoch(self.X, self.y, self.params, self.m, self.v, self.sizes, self.batch,
                          0, s.lr, s.beta1, s.beta2, s.eps)

    def weights(self):
        Ws, bs, off = [], [], 0
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            Ws.append(self.params[off:off + a * b].reshape(a, b))
            off += a * b
            bs.append(self.params[off:off + b])
            off += b
        return Ws + bs
