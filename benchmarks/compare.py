#!/usr/bin/env python
"""Side-by-side comparison of fastbp with scikit-learn, PyTorch, NumPy and plain Python.

Every implementation trains the same network on the same data with the same
settings, in one process and one run, and the table reports the median over
``--repeats`` timed repeats (after one untimed warm-up) of the time per epoch,
or per training example for the per-example workloads.  Data generation and
model construction are never timed.  The script also checks, alongside the
speed, that the implementations compute the same thing (see "Correctness").

Usage
-----
::

    PYTHONPATH=. python benchmarks/compare.py [--workloads W1,W1b,W2,W3,W4]
        [--dtypes float64,float32] [--repeats N] [--threads T] [--quick]
        [--without sklearn,torch,numpy,python] [--markdown PATH]

scikit-learn, PyTorch and threadpoolctl are optional: the columns of a missing
package (or one named in ``--without``) are skipped.  ``--quick`` shrinks every
workload so the whole run takes seconds (a smoke test: its numbers mean
nothing and its targets are not judged).

Workloads
---------
W1
    The lecture's 3-2-1 sigmoid network, squared loss, per-example SGD
    (lr 0.9), 10^6 random examples, float64.  Reported in time per example.
    The slow baselines run one epoch over a leading subsample (the "measured
    on" column says how many rows) and are reported per example as well:
    scikit-learn's ``MLPRegressor(solver="sgd", batch_size=1, ...)``, a
    plain-Python loop of scalar floats written out for this network (the
    one judged; W1b's generic list-based loop is shown for context), and a
    NumPy loop (one example at a time).
W1b
    64-32-10 sigmoid network, otherwise as W1 (10^5 examples for fastbp); the
    plain-Python loop is the generic one-hidden-layer version (lists of floats).
W2
    scikit-learn's digits (1797 x 64, X / 16), 100 ReLU units, softmax,
    cross-entropy, Adam (lr 1e-3), batch 200, no shuffling, float64 and
    float32.  fastbp vs ``MLPClassifier`` (one epoch per ``fit`` through
    ``max_iter=1, warm_start=True``) vs NumPy vs a PyTorch loop.
W3
    60,000 x 784 Gaussian data (10 classes), hidden (256, 128) ReLU, softmax,
    Adam, batch 128, float64 and float32: fastbp vs scikit-learn vs PyTorch
    vs NumPy.  Whole epochs are timed; the notes give each one's rate in
    GFLOP/s over the matrix products all of them do (forward, weight
    gradients, and back-propagated errors of all layers but the first).
W4
    16,384 x 1024, hidden (2048, 2048) ReLU, 10 classes, SGD with momentum
    0.9, batch 1024.  fastbp's throughput in GFLOP/s, counting the forward
    pass as 2 N sum(fan_in fan_out) flops and the backward pass as twice that
    (the issue's formula), against one 2048^3 dgemm (sgemm for float32) from
    the same BLAS (``scipy.linalg.blas``).  A fixed number of batches is timed
    and scaled to the epoch (the "measured on" column says how many).  fastbp
    skips the input layer's back-propagated error, so its real matrix work is
    about 11% less than the formula credits; the notes give both rates.
    The target compares the formula's rate, as the issue defines it.

Threads: every BLAS and OpenMP pool (through threadpoolctl) and PyTorch's
intra-op pool are limited to ``--threads`` (default 1), so the comparison is
per core and W4's BLAS runs on one thread as the issue asks.

Reading the table
-----------------
``time`` is the median per epoch (``/epoch``), per training example
(``/example``) or per call (``/call``, W4's gemm); ``spread`` is half the
range (max - min) of the repeats relative to the median, a noise gauge.
``fastbp ×`` is this row's time divided by fastbp's for the same workload and
dtype: how many times faster fastbp is (below 1: slower).  On W4's gemm row it is fastbp's GFLOP/s
divided by the gemm's.  ``target`` is the issue's goal for that comparison
and ``met?`` whether this run reached it.

Correctness
-----------
* W2, float64 (float32 for information): fastbp's parameters after one epoch
  equal scikit-learn's from the same starting weights.  scikit-learn is first
  fit once (``max_iter=1``) to build its arrays, its ``coefs_`` and
  ``intercepts_`` are overwritten with fastbp's initial weights, and one more
  ``warm_start`` fit runs one epoch (it starts a fresh Adam).  fastbp uses
  ``Adam(eps_hat=True)``, scikit-learn's epsilon convention.
* W2: the PyTorch loop against fastbp's ``Adam()`` (PyTorch's epsilon
  convention), and the NumPy loop against fastbp, from the same weights.
* W1/W1b: the plain-Python and NumPy loops against fastbp, one epoch over
  the first 200 examples from the same weights.
* W2 reaches a training accuracy of at least 0.97 in 50 epochs (fastbp, same
  settings as timed).

The difference reported is max |a - b| / max |b| over each parameter array
(the largest over the arrays): rounding-level agreement is ~1e-15 in float64.
"""
import argparse
import datetime
import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from operator import mul
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg.blas as blas

import fastbp as fb

ALL_WORKLOADS = ("W1", "W1b", "W2", "W3", "W4")
ALL_DTYPES = ("float64", "float32")
OPTIONAL = ("sklearn", "torch", "numpy", "python")

# Sizes of the full run and of --quick.  "sub_*" are the rows the slow
# baselines of the per-example workloads see (reported per example).
SIZES = {
    "full": {
        "W1": dict(n=10**6, sub_sklearn=10**4, sub_python=10**5, sub_numpy=10**4),
        "W1b": dict(n=10**5, sub_sklearn=5000, sub_python=1000, sub_numpy=5000),
        "W3": dict(n=60_000, sizes=[784, 256, 128, 10], batch=128),
        "W4": dict(n=16_384, sizes=[1024, 2048, 2048, 10], batch=1024, timed_batches=8,
                   gemm=2048),
        "min_time": 0.2,
    },
    "quick": {
        "W1": dict(n=20_000, sub_sklearn=300, sub_python=2000, sub_numpy=300),
        "W1b": dict(n=2000, sub_sklearn=100, sub_python=20, sub_numpy=100),
        "W3": dict(n=1024, sizes=[784, 256, 128, 10], batch=128),
        "W4": dict(n=1024, sizes=[256, 512, 512, 10], batch=256, timed_batches=2, gemm=512),
        "min_time": 0.01,
    },
}
W2_EPOCHS_FOR_ACCURACY = 50
CHECK_ROWS = 200  # examples the per-example agreement checks train on


# --------------------------------------------------------------------------
# Optional packages
# --------------------------------------------------------------------------
def optional_import(name):
    """The module, or None when it is not installed (its columns are skipped)."""
    try:
        return __import__(name)
    except ImportError:
        return None


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
@dataclass
class Timing:
    median: float
    low: float
    high: float
    repeats: int
    number: int  # calls per timed repeat

    @property
    def spread(self):
        return (self.high - self.low) / self.median if self.median > 0 else 0.0


def measure(fn, repeats, min_time):
    """Median time of one call of ``fn`` over ``repeats`` repeats.

    One untimed warm-up call first; its duration decides how many calls each
    repeat makes (enough for ``min_time`` seconds), so millisecond epochs are
    not lost in timer and scheduler noise.  The garbage collector is off
    while timing, as in timeit.
    """
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    number = max(1, math.ceil(min_time / max(first, 1e-9)))
    samples = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - t0) / number)
    finally:
        if enabled:
            gc.enable()
    return Timing(statistics.median(samples), min(samples), max(samples), repeats, number)


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------
@dataclass
class Row:
    workload: str
    dtype: str
    impl: str
    measured: str           # what one timed call covered
    timing: Timing
    per: str                # "epoch", "example" or "call"
    scale: float = 1.0      # timing * scale = the reported time (e.g. batches -> epoch)
    target: str = ""
    judge: object = None    # callable(row, fastbp_row) -> bool, or None
    note: str = ""
    ratio: float = None     # filled in by finish_rows
    met: object = None

    @property
    def seconds(self):
        return self.timing.median * self.scale


@dataclass
class Check:
    name: str
    value: str
    target: str = ""
    met: object = None


@dataclass
class Report:
    rows: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    skipped: list = field(default_factory=list)


def finish_rows(rows, quick):
    """Fill in each row's ratio to fastbp (same workload and dtype) and judge
    its target."""
    for row in rows:
        base = next((r for r in rows if r.workload == row.workload and r.dtype == row.dtype
                     and r.impl == "fastbp"), None)
        if row.ratio is None and base is not None and base.per == row.per:
            row.ratio = row.seconds / base.seconds
        if row.judge is not None and base is not None:
            row.met = "n/a (quick)" if quick else bool(row.judge(row, base))


def rel_diff(a_list, b_list):
    """max over the arrays of max|a - b| / max|b|."""
    worst = 0.0
    for a, b in zip(a_list, b_list):
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        scale = np.abs(b).max()
        worst = max(worst, float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a).max()))
    return worst


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------
def regression_data(n, n_in, n_out, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in)), rng.random((n, n_out))


def gaussian_classes(n, n_features, n_classes, dtype, seed=0):
    """Standard normal features shifted by a per-class center; labels uniform."""
    rng = np.random.default_rng(seed)
    centers = 0.5 * rng.standard_normal((n_classes, n_features))
    y = rng.integers(0, n_classes, n)
    X = rng.standard_normal((n, n_features))
    X += centers[y]
    return np.ascontiguousarray(X, dtype=dtype), y


def digits(dtype):
    from sklearn.datasets import load_digits  # digits ships with scikit-learn
    X, y = load_digits(return_X_y=True)
    return np.ascontiguousarray(X / 16.0, dtype=dtype), y.astype(np.int64)


def one_hot(y, n_classes, dtype):
    T = np.zeros((y.shape[0], n_classes), dtype=dtype)
    T[np.arange(y.shape[0]), y] = 1
    return T


def forward_flops(sizes, n):
    """2 N sum(fan_in fan_out): the multiply-adds of the forward pass."""
    return 2.0 * n * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def product_flops(sizes, n):
    """Flops of the matrix products of one pass over n examples as every
    implementation here does them: forward, the weight gradients (as many
    again), and the back-propagated errors of every layer but the first (no
    one needs the gradient with respect to the data)."""
    return 2 * forward_flops(sizes, n) - 2.0 * n * sizes[0] * sizes[1] + forward_flops(sizes, n)


# --------------------------------------------------------------------------
# Baseline: NumPy
# --------------------------------------------------------------------------
class NumpyMLP:
    """Backpropagation in NumPy, written for speed rather than clarity.

    This is the "NumPy" column: fastbp._kernels._numpy is written for clarity
    (it allocates new arrays for every batch, and its reference trainer runs
    the forward pass twice per batch), which would flatter fastbp.  Here, as
    in fastbp, all parameters live in one flat vector with per-layer views, so
    an optimizer step is a handful of whole-vector operations; activations are
    computed in place and the matrix products go to BLAS through
    ``np.dot(..., out=...)``.

    Conventions are fastbp's (docs/math.md).  ``optimizer`` is
    ("sgd", lr, momentum) or ("adam", lr, beta1, beta2, eps) with
    scikit-learn's epsilon (fastbp's ``eps_hat=True``).
    """

    def __init__(self, net, optimizer):
        self.sizes = list(net.layer_sizes)
        self.hidden, self.output, self.loss = net.hidden, net.output, net.loss_name
        self.params = net.params.copy()
        self.grads = np.zeros_like(self.params)
        self.W, self.b = self._views(self.params)
        self.gW, self.gb = self._views(self.grads)
        self.opt = optimizer
        n_state = {"sgd": 1 if optimizer[2] else 0, "adam": 2}[optimizer[0]]
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
        if self.opt[0] == "sgd":
            _, lr, mu = self.opt
            if mu:
                v = self.state[0]
                v *= mu
                v += g
                g = v
            np.multiply(g, lr, out=tmp)
            p -= tmp
        else:
            _, lr, b1, b2, eps = self.opt
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
# Baseline: plain Python (scalar floats)
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
# Baseline: PyTorch
# --------------------------------------------------------------------------
class TorchMLP:
    """nn.Linear layers with ReLU, CrossEntropyLoss (on the logits: it applies
    log-softmax itself) and a torch.optim optimizer, in a plain batch loop."""

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
        if optimizer[0] == "adam":
            _, lr, b1, b2, eps = optimizer
            self.opt = torch.optim.Adam(self.model.parameters(), lr=lr, betas=(b1, b2), eps=eps)
        else:
            _, lr, mu = optimizer
            self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=mu)

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


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------
class Context:
    """Settings and optional modules shared by the workloads."""

    def __init__(self, args):
        self.quick = args.quick
        self.sizes = SIZES["quick" if args.quick else "full"]
        self.repeats = args.repeats
        self.min_time = self.sizes["min_time"]
        self.dtypes = args.dtypes
        without = set(args.without)
        self.sklearn = None if "sklearn" in without else optional_import("sklearn")
        self.torch = None if "torch" in without else optional_import("torch")
        self.use_numpy = "numpy" not in without
        self.use_python = "python" not in without

    def time(self, fn):
        return measure(fn, self.repeats, self.min_time)


def sklearn_quiet():
    """Silence the ConvergenceWarning every max_iter=1 fit raises."""
    from sklearn.exceptions import ConvergenceWarning
    warnings.filterwarnings("ignore", category=ConvergenceWarning)


def per_example_workload(ctx, report, name, sizes, cfg, lr=0.9):
    """W1 and W1b: per-example SGD on a sigmoid net with squared loss, float64."""
    dtype = "float64"
    if dtype not in ctx.dtypes:
        report.skipped.append(f"{name}: runs in float64 only, not in --dtypes")
        return
    n_in, n_out = sizes[0], sizes[-1]
    n = cfg["n"]
    X, Y = regression_data(n, n_in, n_out)

    def new_net():
        return fb.MLP(sizes, hidden="sigmoid", output="sigmoid", loss="squared",
                      init="glorot_uniform", dtype=dtype, seed=0)

    # fastbp: the whole data set
    net = new_net()
    opt = fb.SGD(lr=lr)
    t = ctx.time(lambda: net.fit(X, Y, optimizer=opt, epochs=1, batch_size=1))
    limit = 100e-9 if name == "W1" else 1e-6
    report.rows.append(Row(name, dtype, "fastbp", f"{n:,} rows", t, "example", 1.0 / n,
                           target=f"≤ {fmt_time(limit)}/example",
                           judge=lambda r, b, lim=limit: r.seconds <= lim))

    if ctx.sklearn is not None:
        from sklearn.neural_network import MLPRegressor
        sklearn_quiet()
        m = cfg["sub_sklearn"]
        Xs, Ys = X[:m], (Y[:m, 0] if n_out == 1 else Y[:m])
        reg = MLPRegressor(solver="sgd", batch_size=1, hidden_layer_sizes=tuple(sizes[1:-1]),
                           activation="logistic", learning_rate_init=lr, momentum=0.0,
                           alpha=0.0, shuffle=False, max_iter=1, warm_start=True,
                           random_state=0)
        reg.fit(Xs, Ys)  # builds the model; the timed fits are warm-started epochs
        t = ctx.time(lambda: reg.fit(Xs, Ys))
        target, judge = "", None
        if name == "W1":
            target, judge = "fastbp ≥ 300×", (lambda r, b: r.seconds / b.seconds >= 300)
        report.rows.append(Row(name, dtype, "scikit-learn", f"first {m:,} rows", t, "example",
                               1.0 / m, target=target, judge=judge,
                               note="MLPRegressor: identity output unit (its regressor has no sigmoid output)"))

    if ctx.use_python:
        m = cfg["sub_python"]
        rows, targets = X[:m].tolist(), Y[:m].tolist()
        ref = new_net()
        if name == "W1":
            targets = [t[0] for t in targets]
            p = python_321_params(ref)
            t = ctx.time(lambda: python_epoch_321(p, rows, targets, lr))
            note = "scalar floats, written out for the 3-2-1 net"
        else:
            state = python_generic_params(ref)
            t = ctx.time(lambda: python_epoch_generic(state, rows, targets, lr))
            note = "generic one-hidden-layer loop over lists of floats"
        target, judge = "", None
        if name == "W1":
            target, judge = "fastbp ≥ 6×", (lambda r, b: r.seconds / b.seconds >= 6)
        report.rows.append(Row(name, dtype, "Python", f"first {m:,} rows", t, "example", 1.0 / m,
                               target=target, judge=judge, note=note))
        if name == "W1":
            # For context: the generic list-based loop (W1b's) on the same net.
            state = python_generic_params(new_net())
            rows_t = [[v] for v in targets]
            t = ctx.time(lambda: python_epoch_generic(state, rows, rows_t, lr))
            report.rows.append(Row(name, dtype, "Python (generic)", f"first {m:,} rows", t,
                                   "example", 1.0 / m,
                                   note="W1b's loop over lists of floats, for context"))
        # Agreement: one epoch over the first CHECK_ROWS examples from the same start.
        k = min(CHECK_ROWS, m)
        ref, py_net = new_net(), new_net()
        ref.fit(X[:k], Y[:k], optimizer=fb.SGD(lr=lr), epochs=1, batch_size=1)
        if name == "W1":
            p = python_321_params(py_net)
            python_epoch_321(p, rows[:k], targets[:k], lr)
            W1 = np.array(p[:6]).reshape(3, 2)
            got = [W1, np.array(p[8:10]).reshape(2, 1), np.array(p[6:8]), np.array(p[10:])]
        else:
            state = python_generic_params(py_net)
            python_epoch_generic(state, rows[:k], targets[:k], lr)
            got = python_generic_weights(state)
        want = [ref.weights[0], ref.weights[1], ref.biases[0], ref.biases[1]]
        d = rel_diff(got, want)
        report.checks.append(Check(f"{name} plain-Python loop vs fastbp, {k} examples",
                                   f"{d:.1e}", "≤ 1e-12", d <= 1e-12))

    if ctx.use_numpy:
        m = cfg["sub_numpy"]
        npnet = NumpyMLP(new_net(), ("sgd", lr, 0.0))
        Xs, Ys = X[:m], Y[:m]
        t = ctx.time(lambda: npnet.train_epoch(Xs, Ys, batch_size=1))
        report.rows.append(Row(name, dtype, "NumPy", f"first {m:,} rows", t, "example", 1.0 / m,
                               note="one example at a time"))
        k = min(CHECK_ROWS, m)
        ref, npnet = new_net(), NumpyMLP(new_net(), ("sgd", lr, 0.0))
        ref.fit(X[:k], Y[:k], optimizer=fb.SGD(lr=lr), epochs=1, batch_size=1)
        npnet.train_epoch(X[:k], Y[:k], batch_size=1)
        d = rel_diff(npnet.weights(), fastbp_weights(ref))
        report.checks.append(Check(f"{name} NumPy loop vs fastbp, {k} examples", f"{d:.1e}",
                                   "≤ 1e-12", d <= 1e-12))


def minibatch_workload(ctx, report, name, X_by_dtype, y, sizes, batch, targets, flops=None,
                       measured=None):
    """W2 and W3: ReLU hidden layers, softmax + cross-entropy, Adam (lr 1e-3)."""
    n = y.shape[0]
    measured = measured or f"{n:,} rows"
    adam = ("adam", 1e-3, 0.9, 0.999, 1e-8)
    for dtype in ctx.dtypes:
        X = X_by_dtype(dtype)

        def new_net():
            return fb.MLP(sizes, hidden="relu", output="softmax", loss="cross_entropy",
                          init="glorot_uniform", dtype=dtype, seed=0)

        def rate(row):
            return f"{flops / row.seconds / 1e9:.1f} GFLOP/s in products" if flops else ""

        net = new_net()
        opt = fb.Adam(lr=1e-3, eps_hat=True)
        t = ctx.time(lambda: net.fit(X, y, optimizer=opt, epochs=1, batch_size=batch))
        row = Row(name, dtype, "fastbp", measured, t, "epoch",
                  note="Adam(eps_hat=True), labels passed as integers")
        report.rows.append(row)
        row.note = "; ".join(filter(None, [rate(row), row.note]))

        if ctx.sklearn is not None:
            from sklearn.neural_network import MLPClassifier
            sklearn_quiet()
            clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu",
                                solver="adam", learning_rate_init=1e-3, batch_size=batch,
                                alpha=0.0, shuffle=False, max_iter=1, warm_start=True,
                                random_state=0)
            clf.fit(X, y)  # builds the model; each timed fit is one warm-started epoch
            t = ctx.time(lambda: clf.fit(X, y))
            goal = targets.get("sklearn")
            row = Row(name, dtype, "scikit-learn", measured, t, "epoch",
                      target=f"fastbp ≥ {goal}×" if goal else "",
                      judge=(lambda r, b, g=goal: r.seconds / b.seconds >= g) if goal else None,
                      note="MLPClassifier, max_iter=1 + warm_start")
            row.note = "; ".join(filter(None, [rate(row), row.note]))
            report.rows.append(row)

        if ctx.torch is not None:
            torch = ctx.torch
            tnet = TorchMLP(torch, new_net(), adam)
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
            t = ctx.time(lambda: tnet.train_epoch(Xt, yt, batch))
            goal = targets.get("torch")
            row = Row(name, dtype, "PyTorch", measured, t, "epoch",
                      target=(f"fastbp ≥ {goal}×" if goal > 1 else "fastbp faster") if goal else "",
                      judge=(lambda r, b, g=goal: r.seconds / b.seconds >= g
                             if g > 1 else r.seconds > b.seconds) if goal else None,
                      note="torch.optim.Adam (default foreach)")
            row.note = "; ".join(filter(None, [rate(row), row.note]))
            report.rows.append(row)

        if ctx.use_numpy:
            npnet = NumpyMLP(new_net(), adam)
            T = one_hot(y, sizes[-1], dtype)
            t = ctx.time(lambda: npnet.train_epoch(X, T, y, batch))
            row = Row(name, dtype, "NumPy", measured, t, "epoch")
            row.note = rate(row)
            report.rows.append(row)


def w2_correctness(ctx, report, X_by_dtype, y, accuracy=True):
    """One epoch from identical weights against scikit-learn, PyTorch and
    NumPy; and the training accuracy after 50 epochs."""
    sizes, batch = [64, 100, 10], 200
    for dtype in ctx.dtypes:
        X = X_by_dtype(dtype)

        def new_net():
            return fb.MLP(sizes, hidden="relu", output="softmax", loss="cross_entropy",
                          init="glorot_uniform", dtype=dtype, seed=1)

        ref = new_net()
        start = new_net()
        ref.fit(X, y, optimizer=fb.Adam(lr=1e-3, eps_hat=True), epochs=1, batch_size=batch)
        # rounding-level agreement is expected in float64; float32 is reported for information
        bound = 1e-10 if dtype == "float64" else None

        if ctx.sklearn is not None:
            from sklearn.neural_network import MLPClassifier
            sklearn_quiet()
            clf = MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam",
                                learning_rate_init=1e-3, batch_size=batch, alpha=0.0,
                                shuffle=False, max_iter=1, warm_start=True, random_state=0)
            clf.fit(X, y)  # only to build coefs_ and intercepts_
            clf.coefs_ = [w.copy() for w in start.weights]
            clf.intercepts_ = [b.copy() for b in start.biases]
            clf.fit(X, y)  # one epoch, a fresh AdamOptimizer
            d = rel_diff(clf.coefs_ + clf.intercepts_, fastbp_weights(ref))
            report.checks.append(Check(
                f"W2 {dtype}: fastbp vs scikit-learn, parameters after 1 epoch from the same start",
                f"{d:.1e}", "≤ 1e-10 (rounding)" if bound else "(information)",
                d <= bound if bound else None))

        if ctx.torch is not None:
            torch_ref = new_net()
            torch_ref.fit(X, y, optimizer=fb.Adam(lr=1e-3), epochs=1, batch_size=batch)
            tnet = TorchMLP(ctx.torch, new_net(), ("adam", 1e-3, 0.9, 0.999, 1e-8))
            tnet.train_epoch(ctx.torch.from_numpy(X), ctx.torch.from_numpy(y), batch)
            d = rel_diff(tnet.weights(), fastbp_weights(torch_ref))
            report.checks.append(Check(
                f"W2 {dtype}: PyTorch loop vs fastbp Adam() (PyTorch's eps), 1 epoch",
                f"{d:.1e}", "≤ 1e-10 (rounding)" if bound else "(information)",
                d <= bound if bound else None))

        if ctx.use_numpy:
            npnet = NumpyMLP(new_net(), ("adam", 1e-3, 0.9, 0.999, 1e-8))
            npnet.train_epoch(X, one_hot(y, 10, dtype), y, batch)
            d = rel_diff(npnet.weights(), fastbp_weights(ref))
            report.checks.append(Check(f"W2 {dtype}: NumPy loop vs fastbp, 1 epoch", f"{d:.1e}",
                                       "≤ 1e-10 (rounding)" if bound else "(information)",
                                       d <= bound if bound else None))

        if not accuracy:
            continue
        # Accuracy after 50 epochs, with the timed settings (no shuffling).
        net = fb.MLP(sizes, hidden="relu", output="softmax", loss="cross_entropy",
                     init="glorot_uniform", dtype=dtype, seed=0)
        net.fit(X, y, optimizer=fb.Adam(lr=1e-3, eps_hat=True), epochs=W2_EPOCHS_FOR_ACCURACY,
                batch_size=batch)
        acc = float((net.forward(X).argmax(axis=1) == y).mean())
        report.checks.append(Check(
            f"W2 {dtype}: fastbp training accuracy after {W2_EPOCHS_FOR_ACCURACY} epochs",
            f"{acc:.4f}", "≥ 0.97", acc >= 0.97))
        if ctx.sklearn is not None:
            # One fit of 50 epochs (one Adam throughout); stopping rules disabled.
            clf = MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam",
                                learning_rate_init=1e-3, batch_size=batch, alpha=0.0,
                                shuffle=False, max_iter=W2_EPOCHS_FOR_ACCURACY, tol=0.0,
                                n_iter_no_change=10**6, random_state=0)
            clf.fit(X, y)
            acc = float((clf.predict(X) == y).mean())
            report.checks.append(Check(
                f"W2 {dtype}: scikit-learn training accuracy after {W2_EPOCHS_FOR_ACCURACY} "
                "epochs (its own init)", f"{acc:.4f}", "(information)"))


def run_w2(ctx, report):
    if ctx.sklearn is not None:
        X64, y = digits("float64")
        what = None
    else:
        # The digits ship with scikit-learn: without it, data of the same shape
        # and range keep the other columns (timing only; no accuracy check).
        X64, y = gaussian_classes(1797, 64, 10, "float64")
        X64 = (X64 - X64.min()) / (X64.max() - X64.min())
        what = "synthetic 1,797 rows (no scikit-learn)"
        report.skipped.append("W2 accuracy and scikit-learn checks: scikit-learn not available")
    cache = {"float64": X64}

    def X_by_dtype(dtype):
        if dtype not in cache:
            cache[dtype] = np.ascontiguousarray(X64, dtype=dtype)
        return cache[dtype]

    minibatch_workload(ctx, report, "W2", X_by_dtype, y, [64, 100, 10], 200,
                       {"sklearn": 2.5, "torch": 1.0}, measured=what)
    w2_correctness(ctx, report, X_by_dtype, y, accuracy=ctx.sklearn is not None)


def run_w3(ctx, report):
    cfg = ctx.sizes["W3"]
    sizes, n = cfg["sizes"], cfg["n"]
    X64, y = gaussian_classes(n, sizes[0], sizes[-1], "float64")
    cache = {"float64": X64}

    def X_by_dtype(dtype):
        if dtype not in cache:
            cache[dtype] = np.ascontiguousarray(X64, dtype=dtype)
        return cache[dtype]

    minibatch_workload(ctx, report, "W3", X_by_dtype, y, sizes, cfg["batch"],
                       {"sklearn": 1.6, "torch": 1.2}, flops=product_flops(sizes, n))


def run_w4(ctx, report):
    cfg = ctx.sizes["W4"]
    sizes, n, batch, k = cfg["sizes"], cfg["n"], cfg["batch"], cfg["timed_batches"]
    n_batches = -(-n // batch)
    rows = k * batch
    formula = 3 * forward_flops(sizes, n)  # per epoch: forward + twice that backward
    actual = product_flops(sizes, n)       # fastbp skips the input layer's error
    for dtype in ctx.dtypes:
        X, y = gaussian_classes(n, sizes[0], sizes[-1], dtype)
        net = fb.MLP(sizes, hidden="relu", output="softmax", loss="cross_entropy",
                     init="he_uniform", dtype=dtype, seed=0)
        opt = fb.SGD(lr=1e-3, momentum=0.9)
        Xk, yk = X[:rows], y[:rows]
        t = ctx.time(lambda: net.fit(Xk, yk, optimizer=opt, epochs=1, batch_size=batch))
        row = Row("W4", dtype, "fastbp", f"{k} of {n_batches} batches, scaled to {n:,} rows",
                  t, "epoch", scale=n_batches / k)
        fast_rate = formula / row.seconds
        row.note = (f"{fast_rate / 1e9:.1f} GFLOP/s by the issue's formula, "
                    f"{actual / row.seconds / 1e9:.1f} counting the products fastbp does")
        report.rows.append(row)

        g = cfg["gemm"]
        rng = np.random.default_rng(1)
        A = np.asfortranarray(rng.standard_normal((g, g)), dtype=dtype)
        B = np.asfortranarray(rng.standard_normal((g, g)), dtype=dtype)
        C = np.zeros((g, g), dtype=dtype, order="F")
        gemm_name = "dgemm" if dtype == "float64" else "sgemm"
        gemm = getattr(blas, gemm_name)
        # Fortran-ordered operands and output: no copies, only the product is timed.
        t = ctx.time(lambda: gemm(1.0, A, B, beta=0.0, c=C, overwrite_c=True))
        gemm_rate = 2.0 * g**3 / t.median
        report.rows.append(Row(
            "W4", dtype, f"scipy {gemm_name}", f"{g}³ product", t, "call",
            ratio=fast_rate / gemm_rate, target="fastbp ≥ 85% of its GFLOP/s",
            judge=lambda r, b: r.ratio >= 0.85,
            note=f"{gemm_rate / 1e9:.1f} GFLOP/s; 'fastbp ×' = GFLOP/s ratio"))


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def fmt_time(s):
    if s is None:
        return ""
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= f or unit == "ns":
            v = s / f
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"


def fmt_met(met):
    if met is None:
        return ""
    if isinstance(met, str):
        return met
    return "yes" if met else "**NO**"


HEADERS = ("workload", "dtype", "implementation", "measured on", "time", "spread",
           "fastbp ×", "target", "met?", "notes")


def table_cells(rows):
    out = []
    for r in rows:
        out.append((r.workload, r.dtype, r.impl, r.measured,
                    f"{fmt_time(r.seconds)}/{r.per}", f"±{100 * r.timing.spread / 2:.0f}%",
                    "" if r.ratio is None else f"{r.ratio:.3g}", r.target, fmt_met(r.met),
                    r.note))
    return out


def text_table(headers, cells):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *cells)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for c in cells:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(c, widths)))
    return "\n".join(lines)


def md_table(headers, cells):
    def esc(x):
        return str(x).replace("|", "\\|")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(esc(x) for x in c) + " |" for c in cells]
    return "\n".join(lines)


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(path):
    try:
        out = subprocess.run(["git", "-C", str(path), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment(ctx, threads, tpc):
    """(label, value) pairs for the header."""
    fb_dir = Path(fb.__file__).resolve().parent
    commit = git_commit(fb_dir)
    info = [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
                    f"{platform.release()}"),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("python", platform.python_version()),
        ("numpy", np.__version__),
        ("scipy", scipy.__version__),
        ("fastbp", f"{fb.__version__} ({fb_dir}{', git ' + commit if commit else ''})"),
        ("scikit-learn", ctx.sklearn.__version__ if ctx.sklearn else "not used"),
        ("torch", ctx.torch.__version__ if ctx.torch else "not used"),
    ]
    if tpc is not None:
        for lib in tpc.threadpool_info():
            arch = f", {lib['architecture']}" if lib.get("architecture") else ""
            info.append((lib["user_api"].upper(),
                         f"{lib['internal_api']} {lib.get('version') or ''}{arch}, "
                         f"{Path(lib['filepath']).name}"))
    else:
        info.append(("BLAS", "unknown (threadpoolctl not installed; threads not limited)"))
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if env:
        info.append(("environment", ", ".join(f"{k}={v}" for k, v in env.items())))
    pools = "BLAS/OpenMP/PyTorch" if tpc is not None else "PyTorch (BLAS not limited)"
    info.append(("settings", f"{threads} thread(s) for {pools}, "
                             f"median of {ctx.repeats} repeats after a warm-up"
                             + (", --quick (sizes shrunk: targets not judged)" if ctx.quick else "")))
    return info


def markdown(report, info):
    parts = ["# fastbp comparison", ""]
    parts += [f"- **{k}**: {v}" for k, v in info]
    parts += ["", "Regenerate with `PYTHONPATH=. python benchmarks/compare.py --markdown "
              "benchmarks/RESULTS.md`; how to read the columns: the docstring of "
              "`benchmarks/compare.py`. `fastbp ×` = this row's time / fastbp's "
              "(> 1: fastbp is faster).", "", "## Speed", ""]
    parts.append(md_table(HEADERS, table_cells(report.rows)))
    if report.checks:
        parts += ["", "## Correctness", ""]
        parts.append(md_table(("check", "value", "target", "met?"),
                              [(c.name, c.value, c.target, fmt_met(c.met)) for c in report.checks]))
    if report.skipped:
        parts += ["", "## Skipped", ""] + [f"- {s}" for s in report.skipped]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def csv_list(allowed, what):
    def parse(text):
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {what} {bad}; choose from {list(allowed)}")
        return items
    return parse


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", type=csv_list(ALL_WORKLOADS, "workloads"),
                   default=list(ALL_WORKLOADS), help="comma-separated, default all")
    p.add_argument("--dtypes", type=csv_list(ALL_DTYPES, "dtypes"), default=list(ALL_DTYPES),
                   help="comma-separated, default float64,float32")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats per measurement (default 7, 2 with --quick)")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS/OpenMP/PyTorch threads (default 1)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test in seconds")
    p.add_argument("--without", type=csv_list(OPTIONAL, "implementations"), default=[],
                   help="skip these baselines even if installed: sklearn,torch,numpy,python")
    p.add_argument("--markdown", metavar="PATH", help="also write the report as markdown")
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 7
    if args.repeats < 1 or args.threads < 1:
        p.error("--repeats and --threads must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    ctx = Context(args)
    tpc = optional_import("threadpoolctl")
    if ctx.torch is not None:
        ctx.torch.set_num_threads(args.threads)
    report = Report()
    info = environment(ctx, args.threads, tpc)
    for k, v in info:
        print(f"{k}: {v}")
    print(flush=True)

    runners = {
        "W1": lambda: per_example_workload(ctx, report, "W1", [3, 2, 1], ctx.sizes["W1"]),
        "W1b": lambda: per_example_workload(ctx, report, "W1b", [64, 32, 10], ctx.sizes["W1b"]),
        "W2": lambda: run_w2(ctx, report),
        "W3": lambda: run_w3(ctx, report),
        "W4": lambda: run_w4(ctx, report),
    }
    limits = tpc.threadpool_limits(args.threads) if tpc is not None else None
    try:
        for name in args.workloads:
            t0 = time.perf_counter()
            before = len(report.rows)
            runners[name]()
            finish_rows(report.rows, ctx.quick)
            print(text_table(HEADERS, table_cells(report.rows[before:])) if len(report.rows) > before
                  else f"{name}: nothing measured")
            print(f"[{name}: {time.perf_counter() - t0:.1f} s]\n", flush=True)
    finally:
        if limits is not None:
            limits.restore_original_limits()

    print("Speed")
    print(text_table(HEADERS, table_cells(report.rows)))
    if report.checks:
        print("\nCorrectness")
        print(text_table(("check", "value", "target", "met?"),
                         [(c.name, c.value, c.target, fmt_met(c.met)) for c in report.checks]))
    for s in report.skipped:
        print("skipped:", s)
    info.insert(3, ("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg())))
    if args.markdown:
        Path(args.markdown).write_text(markdown(report, info), encoding="utf-8")
        print(f"\nwrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
