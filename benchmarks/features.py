#!/usr/bin/env python
"""What dropout, clipping, L1 and AdamW cost per epoch, side by side in one run.

On W3's shape (784-256-128-10 ReLU/softmax, Adam, batch 128, Gaussian
classes) each variant trains one epoch from the same initial weights, in
interleaved rounds; the table gives the median epoch time of each and its
ratio to plain training::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/features.py [--rows 20000] [--repeats 7]

The issue's budget: dropout 0.5 at most +15% per epoch, clip_norm at most +5%.
"""
import argparse
import statistics
import time

import numpy as np

import fastbp as fb

from workloads import W3

VARIANTS = {
    "plain": {},
    "dropout 0.5": {"dropout": 0.5},
    "dropout 0.5 + inputs 0.2": {"dropout": 0.5, "input_dropout": 0.2},
    "clip_norm 1": {"clip_norm": 1.0},
    "clip_value 0.01": {"clip_value": 0.01},
    "l1 1e-5": {"l1": 1e-5},
    "AdamW": {"optimizer": "adamw"},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of W3's data (60000)")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    X, Y = W3.make_data(args.dtype)
    X, Y = X[:args.rows], Y[:args.rows]
    start = W3.network(args.dtype, seed=0)
    times = {name: [] for name in VARIANTS}
    for _ in range(args.repeats):
        for name, extra in VARIANTS.items():
            net, kwargs = start.copy(), dict(extra)
            optimizer = kwargs.pop("optimizer", "adam")
            began = time.perf_counter()
            net.fit(X, Y, optimizer, epochs=1, batch_size=W3.batch_size, seed=0, **kwargs)
            times[name].append(time.perf_counter() - began)
    base = statistics.median(times["plain"])
    print(f"W3 shape, {args.rows} rows, {args.dtype}, median of {args.repeats} "
          f"interleaved epochs ({fb.__version__}, kernels {fb._kernels.active().NAME})")
    print(f"{'variant':28s} {'s/epoch':>9s} {'vs plain':>9s}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28s} {median:9.4f} {median / base:8.3f}x")
    return np.isfinite(base)


if __name__ == "__main__":
    main()
