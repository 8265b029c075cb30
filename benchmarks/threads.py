"""Parallel training in Python threads: two networks trained one after the
other vs in two threads (the epoch loop releases the GIL).  Median of 5.

    python benchmarks/threads.py

The networks, optimizer and data are the THREADS workload of
benchmarks/workloads.py (asv's Threads benchmark trains four).
"""
import threading
import time

import numpy as np

from workloads import THREADS


def main(repeats=5, n_networks=2):
    w = THREADS
    (dtype,) = w.dtypes
    X, y = w.make_data(dtype)

    def networks():
        return [w.network(dtype, seed=s) for s in range(n_networks)]

    def train(net):
        w.fit(net, X, y, w.optimizer.make())

    sequential, threaded = [], []
    for _ in range(repeats):
        nets = networks()
        start = time.perf_counter()
        for net in nets:
            train(net)
        sequential.append(time.perf_counter() - start)
        nets = networks()
        start = time.perf_counter()
        threads = [threading.Thread(target=train, args=(net,)) for net in nets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        threaded.append(time.perf_counter() - start)
    s, p = np.median(sequential), np.median(threaded)
    print(f"{n_networks} networks, per-example Adam, {w.epochs} epochs of {w.n:,} examples each: "
          f"one after another {s:.3f} s, in {n_networks} threads {p:.3f} s: {s / p:.2f}x")


if __name__ == "__main__":
    main()
