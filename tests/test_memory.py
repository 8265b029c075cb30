"""Training allocates its buffers once per fit, never per batch, within a
documented bound, and repeated fits do not grow the process."""
import gc
import os
import sys
import tracemalloc

import numpy as np
import pytest

import fastbp as fb
from fastbp import _kernels
from fastbp._buffers import rows_per_pass

# the bounds are the compiled kernels' (the NumPy backend allocates per batch)
pytestmark = pytest.mark.skipif(_kernels.active().NAME == "numpy",
                                reason="memory bounds of the compiled kernels")


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def fit_bound(net, n_samples, batch, optimizer, shuffle, validation_rows=0):
    """The documented bound on what fit allocates beyond the data it is given
    (already float and C-contiguous): gradient + snapshot of the parameters
    and the optimizer state (2 + n_state vectors), activation and delta buffers
    for one pass of rows, gather buffer, sample order, the operands of a
    BLAS check; plus a few kB of Python objects."""
    item = net.dtype.itemsize
    P = net.n_params
    rows = rows_per_pass(batch, net._topology.n_units)
    buffers = 2 * rows * net._topology.n_units * item
    gather = rows * (net.n_inputs + net.n_outputs + 1) * item if shuffle and batch > 1 else 0
    order = n_samples * 8 if shuffle else 0
    state = optimizer.n_state * P * item  # the state itself lives on the optimizer
    # passes of 128 to 512 rows: once per shape, the random operands of one
    # product, to try BLAS's bits over all rows against the halves' (_passes.pyx)
    m = min(rows, batch)
    sizes = net.layer_sizes
    check = (3 * m * max(sizes) + max(a * b for a, b in zip(sizes, sizes[1:]))) * item
    check = check if 128 <= m <= 512 else 0
    return (2 + optimizer.n_state) * P * item + state + buffers + gather + order + check


@pytest.mark.parametrize("batch,shuffle,opt",
                         [(1, False, "sgd"), (32, True, "adam"), (None, False, "momentum"),
                          (256, True, "adam")])
def test_peak_allocation_of_fit_is_within_the_documented_bound(batch, shuffle, opt):
    rng = np.random.default_rng(0)
    X = rng.random((5000, 50))
    Y = rng.random((5000, 10))
    net = fb.MLP([50, 64, 32, 10], hidden="relu", output="identity", seed=0)
    optimizer = {"sgd": fb.SGD(lr=0.01), "adam": fb.Adam(lr=1e-3),
                 "momentum": fb.SGD(lr=0.01, momentum=0.9)}[opt]
    # once per process, not per fit: threadpoolctl's view of the libraries
    fb.MLP([2, 2, 1]).fit(np.zeros((64, 2)), np.zeros(64), batch_size=64, n_threads=2)
    for name, module in list(sys.modules.items()):
        if name.endswith("._passes"):  # so that a batch of 256 tries BLAS's products here
            module._agreement.clear()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    net.fit(X, Y, optimizer=optimizer, epochs=3, batch_size=batch, shuffle=shuffle, seed=0)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    bound = fit_bound(net, 5000, batch or 5000, optimizer, shuffle)
    assert peak <= 1.1 * bound + 64 * 1024, (peak, bound)


def test_many_small_fits_do_not_grow_memory():
    X, y = np.random.default_rng(0).random((20, 3)), np.arange(20) % 2
    net = fb.MLP([3, 4, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    for _ in range(50):  # warm up caches and lazily created objects
        net.fit(X, y, optimizer="adam", epochs=2, batch_size=4, shuffle=True)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(1000):
        net.fit(X, y, optimizer="adam", epochs=2, batch_size=4, shuffle=True)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 64 * 1024, grown


@pytest.mark.skipif(os.environ.get("FASTBP_SANITIZE", "0") != "0",
                    reason="AddressSanitizer's quarantine holds on to freed memory")
def test_many_large_fits_do_not_grow_the_process():
    rng = np.random.default_rng(1)
    X, Y = rng.random((2000, 64)), rng.random((2000, 16))
    net = fb.MLP([64, 64, 16], hidden="relu", output="identity", seed=0)
    for _ in range(5):
        net.fit(X, Y, optimizer="adam", epochs=1, batch_size=64, shuffle=True)
    gc.collect()
    before = _rss_bytes()
    for _ in range(100):
        net.fit(X, Y, optimizer="adam", epochs=1, batch_size=64, shuffle=True)
    gc.collect()
    assert _rss_bytes() - before < 8 * 2**20
