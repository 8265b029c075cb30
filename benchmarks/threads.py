"""Parallel training in Python threads: two networks trained one after the
other vs in two threads (the epoch loop releases the GIL).  Median of 5.

    python benchmarks/threads.py
"""
import threading
import time

import numpy as np

import fastbp as fb


def main(repeats=5):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20000, 32)), rng.integers(0, 4, 20000)

    def networks():
        return [fb.MLP([32, 64, 4], hidden="relu", output="softmax", loss="cross_entropy", seed=s)
                for s in range(2)]

    def train(net):
        net.fit(X, y, optimizer=fb.Adam(lr=1e-3), epochs=2, batch_size=1)

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
    print(f"2 networks, per-example Adam, 2 epochs of 20,000 examples each: one after another "
          f"{s:.3f} s, in two threads {p:.3f} s: {s / p:.2f}x")


if __name__ == "__main__":
    main()
