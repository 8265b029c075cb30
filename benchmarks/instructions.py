#!/usr/bin/env python
"""Workloads to count instructions with callgrind, which repeats exactly
where wall-clock times on a shared machine do not.

Run each workload at two sizes and subtract, so start-up and import cancel::

    PY=$(readlink -f "$(command -v python)")   # the real interpreter, not a shim
    for n in 1 11; do
        OPENBLAS_NUM_THREADS=1 PYTHONPATH=. valgrind --tool=callgrind \\
            --callgrind-out-file=cg.w2.$n "$PY" benchmarks/instructions.py w2 $n
    done
    # instructions per epoch = (total of 11 - total of 1) / 10 ("I refs" lines)

Workloads (argument: the size ``n``):

``w1 n``
    The 3-2-1 sigmoid network, per-example SGD, one epoch over ``n`` * 10^4
    random rows; ``callgrind_annotate`` shows the per-example kernel.
``w2 n``
    A digits-shaped epoch (1797 x 64, 64-100-10 ReLU/softmax, Adam, batch
    200), ``n`` epochs.  One BLAS thread: with more, OpenBLAS's spin-waits
    dominate the count and do not repeat.
``fit n``
    ``n`` calls of ``fit`` on 64 rows of the 3-2-1 network: the fixed cost
    of a call (everything but the epochs' arithmetic).
"""
import sys

import numpy as np

import fastbp as fb


def w1(n):
    rng = np.random.default_rng(0)
    X, Y = rng.random((n * 10_000, 3)), rng.random((n * 10_000, 1))
    fb.MLP([3, 2, 1], seed=0).fit(X, Y, optimizer=fb.SGD(lr=0.5), batch_size=1, shuffle=False)


def w2(n):
    rng = np.random.default_rng(0)
    X, y = rng.random((1797, 64)), rng.integers(0, 10, 1797)
    net = fb.MLP([64, 100, 10], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    net.fit(X, y, optimizer=fb.Adam(lr=1e-3, eps_hat=True), epochs=n, batch_size=200,
            shuffle=False)


def fit(n):
    rng = np.random.default_rng(0)
    X, Y = rng.random((64, 3)), rng.random((64, 1))
    net, opt = fb.MLP([3, 2, 1], seed=0), fb.SGD(lr=0.5)
    for _ in range(n):
        net.fit(X, Y, optimizer=opt, batch_size=1, shuffle=False)


if __name__ == "__main__":
    workloads = {"w1": w1, "w2": w2, "fit": fit}
    if len(sys.argv) != 3 or sys.argv[1] not in workloads or not sys.argv[2].isdigit():
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(workloads)}}} N")
    workloads[sys.argv[1]](int(sys.argv[2]))
