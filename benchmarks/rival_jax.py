"""The JAX column of benchmarks/rivals.py: the whole epoch in one ``jax.jit``
of a ``lax.scan`` (over the rows for per-example SGD, over the batches for
mini-batch Adam), gradients by ``jax.value_and_grad``, written as a user who
wants speed would write it.

Import this module only after benchmarks/rivals.py has set ``XLA_FLAGS`` and
pinned the process to one CPU: XLA reads both when JAX starts.  float64 needs
``jax_enable_x64``, switched on here.

The math is fastbp's (docs/math.md), as in benchmarks/rival_numba.py.
Parameters are a list [W_1, ..., W_L, b_1, ..., b_L] (as
baselines.fastbp_weights gives them); the optimizer's step scalars are
computed in float64 and cast to the parameters' dtype, as fastbp does.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

jax.config.update("jax_enable_x64", True)


def _layers(params):
    L = len(params) // 2
    return list(zip(params[:L], params[L:]))


# --------------------------------------------------------------------------
# Per-example SGD, sigmoid layers, squared loss
# --------------------------------------------------------------------------
def _squared_loss(params, x, t):
    a = x
    for W, b in _layers(params):
        a = jax.nn.sigmoid(a @ W + b)
    e = a - t
    return 0.5 * jnp.sum(e * e)


def sgd_epoch(lr):
    """A jitted ``epoch(params, X, Y) -> (params, summed loss)``."""
    value_and_grad = jax.value_and_grad(_squared_loss)

    def step(carry, row):
        params, total = carry
        loss, grads = value_and_grad(params, *row)
        params = [p - jnp.asarray(lr, p.dtype) * g for p, g in zip(params, grads)]
        return (params, total + loss), None

    @jax.jit
    def epoch(params, X, Y):
        (params, total), _ = lax.scan(step, (params, jnp.zeros((), X.dtype)), (X, Y))
        return params, total

    return epoch


# --------------------------------------------------------------------------
# Mini-batch Adam, ReLU layers, softmax + cross-entropy
# --------------------------------------------------------------------------
def _mean_cross_entropy(params, xb, yb):
    layers = _layers(params)
    a = xb
    for W, b in layers[:-1]:
        a = jax.nn.relu(a @ W + b)
    W, b = layers[-1]
    logp = jax.nn.log_softmax(a @ W + b, axis=1)
    picked = jnp.take_along_axis(logp, yb[:, None], axis=1)
    return -jnp.mean(picked)


def adam_epoch(spec):
    """A jitted ``epoch(params, Xb, yb, X_rest, y_rest) -> (params, summed loss)``:
    one epoch from a fresh Adam (scikit-learn's epsilon) over the full batches
    ``Xb`` (n_batches, batch, n_in), then the remainder ``X_rest`` (possibly
    empty: its shape is static, so the jit knows)."""
    lr, b1, b2, eps = spec.lr, spec.beta1, spec.beta2, spec.eps

    def batch_loss(params, xb, yb):
        mean = _mean_cross_entropy(params, xb, yb)
        return mean, mean * yb.shape[0]  # the gradient's loss, and the summed loss

    grad = jax.grad(batch_loss, has_aux=True)

    def step(carry, batch):
        params, m, v, t, total = carry
        grads, summed = grad(params, *batch)
        t = t + 1
        rate = lr * jnp.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
        new_p, new_m, new_v = [], [], []
        for p, g, mi, vi in zip(params, grads, m, v):
            mi = b1 * mi + (1.0 - b1) * g
            vi = b2 * vi + (1.0 - b2) * g * g
            new_p.append(p - rate.astype(p.dtype) * mi / (jnp.sqrt(vi) + eps))
            new_m.append(mi)
            new_v.append(vi)
        return (new_p, new_m, new_v, t, total + summed), None

    @jax.jit
    def epoch(params, Xb, yb, X_rest, y_rest):
        zeros = [jnp.zeros_like(p) for p in params]
        carry = (params, zeros, zeros, jnp.zeros((), jnp.float64),
                 jnp.zeros((), params[0].dtype))
        carry, _ = lax.scan(step, carry, (Xb, yb))
        if X_rest.shape[0]:
            carry, _ = step(carry, (X_rest, y_rest))
        params, _, _, _, total = carry
        return params, total

    return epoch


# --------------------------------------------------------------------------
# The contenders
# --------------------------------------------------------------------------
class _Jitted:
    """Runs ``epoch(*args)`` from the same initial parameters every time
    (JAX's arrays are immutable: nothing to reset)."""

    def __init__(self, epoch, start, data):
        self.epoch = epoch
        self.start = [jax.device_put(a) for a in start]
        self.data = [jax.device_put(a) for a in data]
        self.out = None

    def reset(self):
        self.out = None

    def run(self):
        self.out = jax.block_until_ready(self.epoch(self.start, *self.data))

    def weights(self):
        return [np.asarray(p) for p in self.out[0]]


def per_example(start, X, Y, lr):
    """W1/W1b: per-example SGD from the weights ``start``."""
    return _Jitted(sgd_epoch(lr), start, (X, Y))


def minibatch(start, X, y, batch, spec):
    """W2/W3: mini-batch Adam from the weights ``start``; the epoch's full
    batches are stacked as (n_batches, batch, n_in) once, here."""
    full = X.shape[0] // batch * batch
    Xb = X[:full].reshape(-1, batch, X.shape[1])
    yb = y[:full].reshape(-1, batch)
    return _Jitted(adam_epoch(spec), start, (Xb, yb, X[full:], y[full:]))
