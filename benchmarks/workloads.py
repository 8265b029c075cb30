"""The benchmark workloads, each defined once: network, optimizer, batch size,
data and seeds.

``benchmarks/compare.py`` (fastbp against scikit-learn, PyTorch, NumPy and
plain Python) imports this module as its neighbour; the asv suite in
``asv_benchmarks/`` loads it by path (``asv_benchmarks/benchmarks/common.py``).
So it imports nothing but NumPy and fastbp (scikit-learn only for the real
digits), and no other module of benchmarks/.

A workload is given at its full size; ``workload.at(scale)`` gives the sizes
of another scale: ``"quick"`` (``compare.py --quick``, a smoke test in
seconds) or ``"asv"`` (an epoch well under a second, for asv's repeats).
What compare.py measures around a workload (the rows its slow baselines see,
its targets) stays in compare.py.
"""
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

import fastbp as fb

# --------------------------------------------------------------------------
# Data (seeded: the same arrays in every run and every process)
# --------------------------------------------------------------------------


def regression_data(n, n_in, n_out, dtype="float64", seed=0):
    """Inputs and targets uniform in [0, 1)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.random((n, n_in)), rng.random((n, n_out))
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(Y, dtype=dtype)


def gaussian_classes(n, n_features, n_classes, dtype="float64", seed=0):
    """Standard normal features shifted by a per-class center; labels uniform."""
    rng = np.random.default_rng(seed)
    centers = 0.5 * rng.standard_normal((n_classes, n_features))
    y = rng.integers(0, n_classes, n)
    X = rng.standard_normal((n, n_features))
    X += centers[y]
    return np.ascontiguousarray(X, dtype=dtype), y


def digits(dtype="float64", synthetic=False, seed=0):
    """scikit-learn's digits (1797 x 64, X / 16, 10 classes).  ``synthetic``:
    Gaussian classes of the same shape scaled to the same range [0, 1], for
    when scikit-learn is not there."""
    if synthetic:
        X, y = gaussian_classes(1797, 64, 10, "float64", seed)
        X = (X - X.min()) / (X.max() - X.min())
        return np.ascontiguousarray(X, dtype=dtype), y
    from sklearn.datasets import load_digits  # the digits ship with scikit-learn

    X, y = load_digits(return_X_y=True)
    return np.ascontiguousarray(X / 16.0, dtype=dtype), y.astype(np.int64)


def one_hot(y, n_classes, dtype):
    T = np.zeros((y.shape[0], n_classes), dtype=dtype)
    T[np.arange(y.shape[0]), y] = 1
    return T


def _regression(w, dtype, **_):
    return regression_data(w.n, w.sizes[0], w.sizes[-1], dtype, w.data_seed)


def _classes(w, dtype, **_):
    return gaussian_classes(w.n, w.sizes[0], w.sizes[-1], dtype, w.data_seed)


def _digits(w, dtype, synthetic=False):
    return digits(dtype, synthetic, w.data_seed)


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------
SCALES = ("full", "quick", "asv")


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer's settings as plain data: ``make()`` builds fastbp's
    optimizer from them; the NumPy and PyTorch baselines read the fields."""

    name: str               # "sgd" or "adam"
    lr: float
    momentum: float = 0.0   # sgd
    beta1: float = 0.9      # adam
    beta2: float = 0.999
    eps: float = 1e-8
    eps_hat: bool = False   # adam: True is scikit-learn's epsilon convention (fastbp.Adam)

    def make(self):
        """A fresh fastbp optimizer (its state starts at zero)."""
        if self.name == "sgd":
            return fb.SGD(lr=self.lr, momentum=self.momentum)
        if self.name == "adam":
            return fb.Adam(lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps,
                           eps_hat=self.eps_hat)
        raise ValueError(f"unknown optimizer {self.name!r}")

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple            # layer widths, the input first
    hidden: str
    output: str
    loss: str
    init: str
    optimizer: OptimizerSpec
    batch_size: int
    n: int                  # training rows
    data: Callable          # data(workload, dtype, **options) -> (X, targets)
    dtypes: tuple = ("float64", "float32")
    epochs: int = 1         # per timed run
    seed: int = 0           # of the network's initial weights
    data_seed: int = 0
    # scale name -> the fields that differ (not part of the workload's identity or hash)
    scales: Mapping = field(default_factory=dict, compare=False, hash=False)

    def at(self, scale):
        """This workload at ``scale``: one of SCALES."""
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; choose from {SCALES}")
        return dataclasses.replace(self, **self.scales.get(scale, {}), scales={})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def network(self, dtype, seed=None):
        """A new network with the workload's initial weights (or those of ``seed``)."""
        return fb.MLP(list(self.sizes), hidden=self.hidden, output=self.output, loss=self.loss,
                      init=self.init, dtype=dtype, seed=self.seed if seed is None else seed)

    def make_data(self, dtype, **options):
        """(X, targets) in ``dtype``: labels for softmax outputs, else a matrix."""
        return self.data(self, dtype, **options)

    def fit(self, net, X, Y, optimizer, epochs=None):
        """Train ``net`` as the workload does; returns the History."""
        return net.fit(X, Y, optimizer=optimizer, epochs=self.epochs if epochs is None else epochs,
                       batch_size=self.batch_size, shuffle=False)


# W1: the lecture's 3-2-1 sigmoid network, squared loss, per-example SGD.
W1 = Workload(
    "W1", sizes=(3, 2, 1), hidden="sigmoid", output="sigmoid", loss="squared",
    init="glorot_uniform", optimizer=OptimizerSpec("sgd", lr=0.9), batch_size=1,
    n=10**6, data=_regression, dtypes=("float64",),
    scales={"quick": dict(n=20_000), "asv": dict(n=100_000)})

# W1b: as W1 with a 64-32-10 network.
W1b = W1.replace(name="W1b", sizes=(64, 32, 10), n=10**5,
                 scales={"quick": dict(n=2000), "asv": dict(n=10_000)})

# W2: the digits, 100 ReLU units, softmax + cross-entropy, Adam with
# scikit-learn's epsilon, batch 200, no shuffling.
W2 = Workload(
    "W2", sizes=(64, 100, 10), hidden="relu", output="softmax", loss="cross_entropy",
    init="glorot_uniform", optimizer=OptimizerSpec("adam", lr=1e-3, eps_hat=True),
    batch_size=200, n=1797, data=_digits)

# W3: MNIST-sized Gaussian classes, hidden (256, 128), otherwise as W2.
W3 = W2.replace(name="W3", sizes=(784, 256, 128, 10), batch_size=128, n=60_000, data=_classes,
                scales={"quick": dict(n=1024), "asv": dict(n=2048)})

# W4: wide, hidden (2048, 2048), SGD with momentum, batch 1024.
W4 = Workload(
    "W4", sizes=(1024, 2048, 2048, 10), hidden="relu", output="softmax", loss="cross_entropy",
    init="he_uniform", optimizer=OptimizerSpec("sgd", lr=1e-3, momentum=0.9), batch_size=1024,
    n=16_384, data=_classes,
    scales={"quick": dict(n=1024, sizes=(256, 512, 512, 10), batch_size=256),
            "asv": dict(n=1024, sizes=(1024, 512, 512, 10), batch_size=256)})

# THREADS: small networks trained per example, several at once in Python
# threads (benchmarks/threads.py, asv's Threads); one network per seed.
THREADS = Workload(
    "threads", sizes=(32, 64, 4), hidden="relu", output="softmax", loss="cross_entropy",
    init="glorot_uniform", optimizer=OptimizerSpec("adam", lr=1e-3), batch_size=1,
    n=20_000, data=_classes, dtypes=("float64",), epochs=2,
    scales={"asv": dict(n=4000)})

WORKLOADS = {w.name: w for w in (W1, W1b, W2, W3, W4, THREADS)}
