"""A plain-NumPy implementation of the same network, written for clarity, not
speed.  The tests compare every compiled kernel against it, and the benchmarks
use it as the "plain NumPy" baseline.

Conventions are those of fastbp (see docs/math.md): a layer computes
f(A @ W + b); losses are per-example and averaged over the batch; L2 adds
alpha/2 * sum ||W||^2.
"""
import numpy as np


def activate(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if name == "identity":
        return z
    if name == "exp":
        return np.exp(z)
    raise ValueError(name)


def derivative(name, o):
    """f'(z) from o = f(z) (elementwise activations)."""
    if name == "sigmoid":
        return o * (1 - o)
    if name == "tanh":
        return 1 - o * o
    if name == "relu":
        return (o > 0).astype(o.dtype)
    if name == "identity":
        return np.ones_like(o)
    if name == "exp":
        return o
    raise ValueError(name)


def forward(weights, biases, activations, X):
    """Every layer's activations [A_0 = X, A_1, ..., A_L]."""
    acts = [X]
    for W, b, f in zip(weights, biases, activations):
        acts.append(activate(f, acts[-1] @ W + b))
    return acts


def example_losses(output, loss, O, T):
    if loss == "squared":
        return 0.5 * ((O - T) ** 2).sum(axis=1)
    tiny = np.finfo(O.dtype).tiny
    if loss == "poisson":  # half the Poisson deviance
        with np.errstate(divide="ignore", invalid="ignore"):
            t_log_t = np.where(T > 0, T * np.log(np.where(T > 0, T, 1.0)), 0.0)
        return (O - T * np.log(np.maximum(O, tiny)) + t_log_t - T).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if output == "softmax":
            terms = np.where(T != 0, T * np.log(np.maximum(O, tiny)), 0.0)
        else:
            terms = np.where(T != 0, T * np.log(np.maximum(O, tiny)), 0.0) + np.where(
                T != 1, (1 - T) * np.log(np.maximum(1 - O, tiny)), 0.0)
    return -terms.sum(axis=1)


def loss(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None):
    """Mean (or sample_weight-weighted mean) loss + alpha/2 sum ||W||^2."""
    O = forward(weights, biases, activations, X)[-1]
    data = np.average(example_losses(activations[-1], loss_name, O, T), weights=sample_weight)
    return data + 0.5 * alpha * sum((W * W).sum() for W in weights)


def gradients(weights, biases, activations, loss_name, X, T, alpha=0.0, sample_weight=None):
    """(dW list, db list) of ``loss`` by backpropagation."""
    acts = forward(weights, biases, activations, X)
    O = acts[-1]
    out = activations[-1]
    if loss_name in ("cross_entropy", "poisson"):
        D = O - T  # softmax + cross-entropy, sigmoid + log loss, exp + Poisson
    elif out == "softmax":
        E = O - T
        D = O * (E - (E * O).sum(axis=1, keepdims=True))
    else:
        D = (O - T) * derivative(out, O)
    if sample_weight is None:
        D = D / X.shape[0]
    else:
        D = D * (sample_weight / sample_weight.sum())[:, None]
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        dW[l] = acts[l].T @ D + alpha * weights[l]
        db[l] = D.sum(axis=0)
        if l > 0:
            D = (D @ weights[l].T) * derivative(activations[l - 1], acts[l])
    return dW, db


class ReferenceOptimizer:
    """The update rules written out from their published formulas (the form
    torch.optim uses), one parameter array at a time."""

    def __init__(self, kind, lr, momentum=0.0, nesterov=False, decay=0.99,
                 beta1=0.9, beta2=0.999, eps=None, lr_in_velocity=False, eps_hat=False):
        self.kind, self.lr, self.momentum, self.nesterov = kind, lr, momentum, nesterov
        self.lr_in_velocity, self.eps_hat = lr_in_velocity, eps_hat
        self.decay, self.beta1, self.beta2 = decay, beta1, beta2
        self.eps = eps if eps is not None else {"adagrad": 1e-10}.get(kind, 1e-8)
        self.state, self.t = {}, 0

    def step(self, params, grads, lr=None):
        lr = self.lr if lr is None else lr
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.kind == "sgd":
                if self.momentum and self.lr_in_velocity:  # Sutskever / scikit-learn form
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


def train(weights, biases, activations, loss_name, X, T, optimizer, epochs=1,
          batch_size=1, alpha=0.0, orders=None, rates=None, sample_weight=None,
          l2_per_weight=False):
    """Train in place; returns the per-epoch running loss (as fastbp reports it).

    ``orders``: one index array per epoch (None: rows in order).  ``rates``:
    a function step -> learning rate (None: the optimizer's constant rate).
    ``l2_per_weight``: alpha is divided by each batch's weight sum (scikit-learn).
    A batch whose weights are all zero is skipped.
    """
    n = X.shape[0]
    history, step = [], 0
    for e in range(epochs):
        order = np.arange(n) if orders is None else orders[e]
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb, tb = X[idx], T[idx]
            wb = None if sample_weight is None else sample_weight[idx]
            wsum = len(idx) if wb is None else wb.sum()
            if wsum == 0:
                continue  # no update: the update count does not advance
            a = alpha / wsum if l2_per_weight else alpha
            total += len(idx) * loss(weights, biases, activations, loss_name, xb, tb, a, wb)
            dW, db = gradients(weights, biases, activations, loss_name, xb, tb, a, wb)
            lr = None if rates is None else rates(step)
            optimizer.step(weights + biases, dW + db, lr)
            step += 1
        history.append(total / n)
    return history
