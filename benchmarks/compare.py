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

The workloads are defined in ``benchmarks/workloads.py``, which the asv
suite (``asv_benchmarks/``) uses too; the other implementations are in
``benchmarks/baselines.py``, the timing and the tables in
``benchmarks/reporting.py``.

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
import functools
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.linalg.blas as blas

import fastbp as fb

# This script's neighbours in benchmarks/ (Python puts the script's folder on sys.path).
from baselines import (
    NumpyMLP,
    TorchMLP,
    fastbp_weights,
    python_321_params,
    python_epoch_321,
    python_epoch_generic,
    python_generic_params,
    python_generic_weights,
)
from reporting import (
    HEADERS,
    Check,
    Report,
    Row,
    environment,
    finish_rows,
    fmt_met,
    fmt_time,
    markdown,
    measure,
    table_cells,
    text_table,
)
from workloads import WORKLOADS, one_hot

ALL_WORKLOADS = ("W1", "W1b", "W2", "W3", "W4")
ALL_DTYPES = ("float64", "float32")
OPTIONAL = ("sklearn", "torch", "numpy", "python")

# What this script measures around the workloads (benchmarks/workloads.py has
# their sizes), in the full run and with --quick.  "sub_*" are the rows the
# slow baselines of the per-example workloads see (reported per example).
MEASURE = {
    "full": {
        "W1": dict(sub_sklearn=10**4, sub_python=10**5, sub_numpy=10**4),
        "W1b": dict(sub_sklearn=5000, sub_python=1000, sub_numpy=5000),
        "W4": dict(timed_batches=8, gemm=2048),
        "min_time": 0.2,
    },
    "quick": {
        "W1": dict(sub_sklearn=300, sub_python=2000, sub_numpy=300),
        "W1b": dict(sub_sklearn=100, sub_python=20, sub_numpy=100),
        "W4": dict(timed_batches=2, gemm=512),
        "min_time": 0.01,
    },
}
W2_EPOCHS_FOR_ACCURACY = 50
W2_CHECK_SEED = 1  # the initial weights of W2's agreement checks
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


def sklearn_quiet():
    """Silence the ConvergenceWarning every max_iter=1 fit raises."""
    from sklearn.exceptions import ConvergenceWarning
    warnings.filterwarnings("ignore", category=ConvergenceWarning)


# --------------------------------------------------------------------------
# Arithmetic
# --------------------------------------------------------------------------
def rel_diff(a_list, b_list):
    """max over the arrays of max|a - b| / max|b|."""
    worst = 0.0
    for a, b in zip(a_list, b_list):
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        scale = np.abs(b).max()
        worst = max(worst, float(np.abs(a - b).max() / scale) if scale > 0
                    else float(np.abs(a).max()))
    return worst


def forward_flops(sizes, n):
    """2 N sum(fan_in fan_out): the multiply-adds of the forward pass."""
    return 2.0 * n * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def product_flops(sizes, n):
    """Flops of the matrix products of one pass over n examples as every
    implementation here does them: forward, the weight gradients (as many
    again), and the back-propagated errors of every layer but the first (no
    one needs the gradient with respect to the data)."""
    return 2 * forward_flops(sizes, n) - 2.0 * n * sizes[0] * sizes[1] + forward_flops(sizes, n)


def by_dtype(X64):
    """dtype -> X64 in that dtype (each converted once)."""
    cache = {"float64": X64}

    def get(dtype):
        if dtype not in cache:
            cache[dtype] = np.ascontiguousarray(X64, dtype=dtype)
        return cache[dtype]
    return get


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------
class Context:
    """Settings and optional modules shared by the workloads."""

    def __init__(self, args):
        self.quick = args.quick
        self.scale = "quick" if args.quick else "full"
        self.measure = MEASURE[self.scale]
        self.repeats = args.repeats
        self.min_time = self.measure["min_time"]
        self.dtypes = args.dtypes
        without = set(args.without)
        self.sklearn = None if "sklearn" in without else optional_import("sklearn")
        self.torch = None if "torch" in without else optional_import("torch")
        self.use_numpy = "numpy" not in without
        self.use_python = "python" not in without

    def workload(self, name):
        """The workload at this run's scale."""
        return WORKLOADS[name].at(self.scale)

    def time(self, fn, *args, **kwargs):
        """The Timing of ``fn(*args, **kwargs)``."""
        return measure(functools.partial(fn, *args, **kwargs), self.repeats, self.min_time)


def per_example_workload(ctx, report, name):
    """W1 and W1b: per-example SGD on a sigmoid net with squared loss, float64."""
    w, cfg = ctx.workload(name), ctx.measure[name]
    (dtype,) = w.dtypes
    if dtype not in ctx.dtypes:
        report.skipped.append(f"{name}: runs in {dtype} only, not in --dtypes")
        return
    n, n_out, lr = w.n, w.sizes[-1], w.optimizer.lr
    X, Y = w.make_data(dtype)

    # fastbp: the whole data set
    t = ctx.time(w.fit, w.network(dtype), X, Y, w.optimizer.make())
    limit = 100e-9 if name == "W1" else 1e-6
    report.rows.append(Row(name, dtype, "fastbp", f"{n:,} rows", t, "example", 1.0 / n,
                           target=f"≤ {fmt_time(limit)}/example",
                           judge=lambda r, _base, lim=limit: r.seconds <= lim))

    if ctx.sklearn is not None:
        from sklearn.neural_network import MLPRegressor
        sklearn_quiet()
        m = cfg["sub_sklearn"]
        Xs, Ys = X[:m], (Y[:m, 0] if n_out == 1 else Y[:m])
        reg = MLPRegressor(solver="sgd", batch_size=w.batch_size,
                           hidden_layer_sizes=tuple(w.sizes[1:-1]), activation="logistic",
                           learning_rate_init=lr, momentum=w.optimizer.momentum, alpha=0.0,
                           shuffle=False, max_iter=1, warm_start=True, random_state=0)
        reg.fit(Xs, Ys)  # builds the model; the timed fits are warm-started epochs
        t = ctx.time(reg.fit, Xs, Ys)
        target, judge = "", None
        if name == "W1":
            target, judge = "fastbp ≥ 300×", (lambda r, b: r.seconds / b.seconds >= 300)
        report.rows.append(Row(
            name, dtype, "scikit-learn", f"first {m:,} rows", t, "example", 1.0 / m,
            target=target, judge=judge,
            note="MLPRegressor: identity output unit (its regressor has no sigmoid output)"))

    if ctx.use_python:
        python_loops(ctx, report, w, X, Y, cfg["sub_python"])

    if ctx.use_numpy:
        m = cfg["sub_numpy"]
        t = ctx.time(NumpyMLP(w.network(dtype), w.optimizer).train_epoch, X[:m], Y[:m],
                     batch_size=w.batch_size)
        report.rows.append(Row(name, dtype, "NumPy", f"first {m:,} rows", t, "example", 1.0 / m,
                               note="one example at a time"))
        k = min(CHECK_ROWS, m)
        ref, npnet = w.network(dtype), NumpyMLP(w.network(dtype), w.optimizer)
        w.fit(ref, X[:k], Y[:k], w.optimizer.make())
        npnet.train_epoch(X[:k], Y[:k], batch_size=w.batch_size)
        d = rel_diff(npnet.weights(), fastbp_weights(ref))
        report.checks.append(Check(f"{name} NumPy loop vs fastbp, {k} examples", f"{d:.1e}",
                                   "≤ 1e-12", d <= 1e-12))


def python_loops(ctx, report, w, X, Y, m):
    """The plain-Python rows of W1 and W1b (the first ``m`` rows), and their
    agreement with fastbp."""
    name, (dtype,), lr = w.name, w.dtypes, w.optimizer.lr
    rows, targets = X[:m].tolist(), Y[:m].tolist()
    if name == "W1":
        targets = [t[0] for t in targets]
        t = ctx.time(python_epoch_321, python_321_params(w.network(dtype)), rows, targets, lr)
        note = "scalar floats, written out for the 3-2-1 net"
    else:
        t = ctx.time(python_epoch_generic, python_generic_params(w.network(dtype)), rows,
                     targets, lr)
        note = "generic one-hidden-layer loop over lists of floats"
    target, judge = "", None
    if name == "W1":
        target, judge = "fastbp ≥ 6×", (lambda r, b: r.seconds / b.seconds >= 6)
    report.rows.append(Row(name, dtype, "Python", f"first {m:,} rows", t, "example", 1.0 / m,
                           target=target, judge=judge, note=note))
    if name == "W1":
        # For context: the generic list-based loop (W1b's) on the same net.
        t = ctx.time(python_epoch_generic, python_generic_params(w.network(dtype)), rows,
                     [[v] for v in targets], lr)
        report.rows.append(Row(name, dtype, "Python (generic)", f"first {m:,} rows", t,
                               "example", 1.0 / m,
                               note="W1b's loop over lists of floats, for context"))
    # Agreement: one epoch over the first CHECK_ROWS examples from the same start.
    k = min(CHECK_ROWS, m)
    ref, py_net = w.network(dtype), w.network(dtype)
    w.fit(ref, X[:k], Y[:k], w.optimizer.make())
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


def goal_row(name, dtype, impl, measured, t, goal, note):
    """A row judged on fastbp being ``goal`` times faster (goal 1: faster at all)."""
    if not goal:
        return Row(name, dtype, impl, measured, t, "epoch", note=note)
    if goal > 1:
        target, judge = f"fastbp ≥ {goal}×", (lambda r, b, g=goal: r.seconds / b.seconds >= g)
    else:
        target, judge = "fastbp faster", (lambda r, b: r.seconds > b.seconds)
    return Row(name, dtype, impl, measured, t, "epoch", target=target, judge=judge, note=note)


def minibatch_workload(ctx, report, w, X_by_dtype, y, targets, flops=None, measured=None):
    """W2 and W3: ReLU hidden layers, softmax + cross-entropy, Adam (lr 1e-3)."""
    n = y.shape[0]
    measured = measured or f"{n:,} rows"
    spec = w.optimizer

    def add(row):
        rate = f"{flops / row.seconds / 1e9:.1f} GFLOP/s in products" if flops else ""
        row.note = "; ".join(filter(None, [rate, row.note]))
        report.rows.append(row)

    for dtype in ctx.dtypes:
        X = X_by_dtype(dtype)
        t = ctx.time(w.fit, w.network(dtype), X, y, spec.make())
        add(Row(w.name, dtype, "fastbp", measured, t, "epoch",
                note="Adam(eps_hat=True), labels passed as integers"))

        if ctx.sklearn is not None:
            from sklearn.neural_network import MLPClassifier
            sklearn_quiet()
            clf = MLPClassifier(hidden_layer_sizes=tuple(w.sizes[1:-1]), activation="relu",
                                solver="adam", learning_rate_init=spec.lr, beta_1=spec.beta1,
                                beta_2=spec.beta2, epsilon=spec.eps, batch_size=w.batch_size,
                                alpha=0.0, shuffle=False, max_iter=1, warm_start=True,
                                random_state=0)
            clf.fit(X, y)  # builds the model; each timed fit is one warm-started epoch
            t = ctx.time(clf.fit, X, y)
            add(goal_row(w.name, dtype, "scikit-learn", measured, t, targets.get("sklearn"),
                         "MLPClassifier, max_iter=1 + warm_start"))

        if ctx.torch is not None:
            torch = ctx.torch
            tnet = TorchMLP(torch, w.network(dtype), spec)
            t = ctx.time(tnet.train_epoch, torch.from_numpy(X), torch.from_numpy(y),
                         w.batch_size)
            add(goal_row(w.name, dtype, "PyTorch", measured, t, targets.get("torch"),
                         "torch.optim.Adam (default foreach)"))

        if ctx.use_numpy:
            npnet = NumpyMLP(w.network(dtype), spec)
            t = ctx.time(npnet.train_epoch, X, one_hot(y, w.sizes[-1], dtype), y, w.batch_size)
            add(Row(w.name, dtype, "NumPy", measured, t, "epoch"))


def w2_correctness(ctx, report, w, X_by_dtype, y, accuracy=True):
    """One epoch from identical weights against scikit-learn, PyTorch and
    NumPy; and the training accuracy after 50 epochs."""
    spec, batch = w.optimizer, w.batch_size
    for dtype in ctx.dtypes:
        X = X_by_dtype(dtype)
        ref = w.network(dtype, seed=W2_CHECK_SEED)
        w.fit(ref, X, y, spec.make())
        # rounding-level agreement is expected in float64; float32 is reported for information
        bound = 1e-10 if dtype == "float64" else None

        def check(what, d, bound=bound):
            report.checks.append(Check(what, f"{d:.1e}",
                                       "≤ 1e-10 (rounding)" if bound else "(information)",
                                       d <= bound if bound else None))

        if ctx.sklearn is not None:
            from sklearn.neural_network import MLPClassifier
            sklearn_quiet()
            start = w.network(dtype, seed=W2_CHECK_SEED)
            clf = MLPClassifier(hidden_layer_sizes=tuple(w.sizes[1:-1]), activation="relu",
                                solver="adam", learning_rate_init=spec.lr, beta_1=spec.beta1,
                                beta_2=spec.beta2, epsilon=spec.eps, batch_size=batch, alpha=0.0,
                                shuffle=False, max_iter=1, warm_start=True, random_state=0)
            clf.fit(X, y)  # only to build coefs_ and intercepts_
            clf.coefs_ = [a.copy() for a in start.weights]
            clf.intercepts_ = [a.copy() for a in start.biases]
            clf.fit(X, y)  # one epoch, a fresh AdamOptimizer
            check(f"W2 {dtype}: fastbp vs scikit-learn, parameters after 1 epoch from the same "
                  "start", rel_diff(clf.coefs_ + clf.intercepts_, fastbp_weights(ref)))

        if ctx.torch is not None:
            torch_spec = spec.replace(eps_hat=False)  # PyTorch's epsilon
            torch_ref = w.network(dtype, seed=W2_CHECK_SEED)
            w.fit(torch_ref, X, y, torch_spec.make())
            tnet = TorchMLP(ctx.torch, w.network(dtype, seed=W2_CHECK_SEED), torch_spec)
            tnet.train_epoch(ctx.torch.from_numpy(X), ctx.torch.from_numpy(y), batch)
            check(f"W2 {dtype}: PyTorch loop vs fastbp Adam() (PyTorch's eps), 1 epoch",
                  rel_diff(tnet.weights(), fastbp_weights(torch_ref)))

        if ctx.use_numpy:
            npnet = NumpyMLP(w.network(dtype, seed=W2_CHECK_SEED), spec)
            npnet.train_epoch(X, one_hot(y, w.sizes[-1], dtype), y, batch)
            check(f"W2 {dtype}: NumPy loop vs fastbp, 1 epoch",
                  rel_diff(npnet.weights(), fastbp_weights(ref)))

        if accuracy:
            w2_accuracy(ctx, report, w, X, y, dtype)


def w2_accuracy(ctx, report, w, X, y, dtype):
    """Training accuracy after 50 epochs, with the timed settings (no shuffling)."""
    net = w.network(dtype)
    w.fit(net, X, y, w.optimizer.make(), epochs=W2_EPOCHS_FOR_ACCURACY)
    acc = float((net.forward(X).argmax(axis=1) == y).mean())
    report.checks.append(Check(
        f"W2 {dtype}: fastbp training accuracy after {W2_EPOCHS_FOR_ACCURACY} epochs",
        f"{acc:.4f}", "≥ 0.97", acc >= 0.97))
    if ctx.sklearn is not None:
        from sklearn.neural_network import MLPClassifier

        # One fit of 50 epochs (one Adam throughout); stopping rules disabled.
        spec = w.optimizer
        clf = MLPClassifier(hidden_layer_sizes=tuple(w.sizes[1:-1]), activation="relu",
                            solver="adam", learning_rate_init=spec.lr, beta_1=spec.beta1,
                            beta_2=spec.beta2, epsilon=spec.eps, batch_size=w.batch_size,
                            alpha=0.0, shuffle=False, max_iter=W2_EPOCHS_FOR_ACCURACY, tol=0.0,
                            n_iter_no_change=10**6, random_state=0)
        clf.fit(X, y)
        acc = float((clf.predict(X) == y).mean())
        report.checks.append(Check(
            f"W2 {dtype}: scikit-learn training accuracy after {W2_EPOCHS_FOR_ACCURACY} "
            "epochs (its own init)", f"{acc:.4f}", "(information)"))


def run_w2(ctx, report):
    w = ctx.workload("W2")
    if ctx.sklearn is not None:
        X64, y = w.make_data("float64")
        what = None
    else:
        # The digits ship with scikit-learn: without it, data of the same shape
        # and range keep the other columns (timing only; no accuracy check).
        X64, y = w.make_data("float64", synthetic=True)
        what = "synthetic 1,797 rows (no scikit-learn)"
        report.skipped.append("W2 accuracy and scikit-learn checks: scikit-learn not available")
    minibatch_workload(ctx, report, w, by_dtype(X64), y, {"sklearn": 2.5, "torch": 1.0},
                       measured=what)
    w2_correctness(ctx, report, w, by_dtype(X64), y, accuracy=ctx.sklearn is not None)


def run_w3(ctx, report):
    w = ctx.workload("W3")
    X64, y = w.make_data("float64")
    minibatch_workload(ctx, report, w, by_dtype(X64), y, {"sklearn": 1.6, "torch": 1.2},
                       flops=product_flops(w.sizes, w.n))


def run_w4(ctx, report):
    w, cfg = ctx.workload("W4"), ctx.measure["W4"]
    sizes, n, batch, k = w.sizes, w.n, w.batch_size, cfg["timed_batches"]
    n_batches = -(-n // batch)
    rows = k * batch
    formula = 3 * forward_flops(sizes, n)  # per epoch: forward + twice that backward
    actual = product_flops(sizes, n)       # fastbp skips the input layer's error
    for dtype in ctx.dtypes:
        X, y = w.make_data(dtype)
        t = ctx.time(w.fit, w.network(dtype), X[:rows], y[:rows], w.optimizer.make())
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
        # Fortran-ordered operands and output: no copies, only the product is timed.
        t = ctx.time(getattr(blas, gemm_name), 1.0, A, B, beta=0.0, c=C, overwrite_c=True)
        gemm_rate = 2.0 * g**3 / t.median
        report.rows.append(Row(
            "W4", dtype, f"scipy {gemm_name}", f"{g}³ product", t, "call",
            ratio=fast_rate / gemm_rate, target="fastbp ≥ 85% of its GFLOP/s",
            judge=lambda r, _base: r.ratio >= 0.85,
            note=f"{gemm_rate / 1e9:.1f} GFLOP/s; 'fastbp ×' = GFLOP/s ratio"))


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
    fb.set_num_threads(args.threads)  # fastbp's own threads, as every other pool
    report = Report()
    info = environment(ctx, args.threads, tpc)
    for k, v in info:
        print(f"{k}: {v}")
    print(flush=True)

    runners = {
        "W1": functools.partial(per_example_workload, ctx, report, "W1"),
        "W1b": functools.partial(per_example_workload, ctx, report, "W1b"),
        "W2": functools.partial(run_w2, ctx, report),
        "W3": functools.partial(run_w3, ctx, report),
        "W4": functools.partial(run_w4, ctx, report),
    }
    limits = tpc.threadpool_limits(args.threads) if tpc is not None else None
    try:
        for name in args.workloads:
            t0 = time.perf_counter()
            before = len(report.rows)
            runners[name]()
            finish_rows(report.rows, ctx.quick)
            print(text_table(HEADERS, table_cells(report.rows[before:]))
                  if len(report.rows) > before else f"{name}: nothing measured")
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
