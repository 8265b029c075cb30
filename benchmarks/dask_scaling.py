"""fastbp.dask on one machine: W3-shaped training (784-256-128-10, float64)
on 1 vs 2 local worker processes of 1 thread each.

    python benchmarks/dask_scaling.py            # 60,000 rows (W3's size)
    python benchmarks/dask_scaling.py --quick    # 8,192 rows: seconds

Reports, median of ``--repeats``:

* full batch: the seconds per step (one gradient over all rows, summed
  over the blocks, one update) with 1 and 2 workers, the speed-up, and the
  single-process ``net.fit(batch_size=None)`` step for reference;
* the per-round overhead: a full-batch step on 2 blocks of 64 rows, where
  the arithmetic is negligible (scheduling, the parameters out, the sums
  back);
* exact synchronous mini-batches (batch 4096): seconds per step.
"""
import argparse
import time

import numpy as np

from workloads import W3


def _step_time(fbd, client, net, X, Y, epochs, repeats, **kw):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fbd.fit(net, X, Y, client=client, optimizer="sgd", epochs=epochs, **kw)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _run(fbd, client, X, Y, net, epochs, repeats, n_blocks):
    import dask.array as da

    rows = -(-X.shape[0] // n_blocks)
    Xd = da.from_array(X, chunks=(rows, X.shape[1])).persist()
    Yd = da.from_array(Y, chunks=(rows,) + Y.shape[1:]).persist()
    # fit's fixed cost (checking and persisting the blocks) is the 0-epoch time
    base = _step_time(fbd, client, net, Xd, Yd, 0, repeats, batch_size=None)
    full = (_step_time(fbd, client, net, Xd, Yd, epochs, repeats, batch_size=None) - base) / epochs
    sync = _step_time(fbd, client, net, Xd, Yd, 1, repeats, batch_size=4096, mode="sync")
    steps = -(-X.shape[0] // 4096)
    return full, (sync - base) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    import fastbp.dask as fbd

    w = W3.replace(n=8192) if args.quick else W3
    X, Y = w.make_data("float64")
    net = w.network("float64", seed=0)
    epochs = 3
    start = time.perf_counter()
    net.copy().fit(X, Y, optimizer="sgd", epochs=epochs, batch_size=None, shuffle=False)
    local = (time.perf_counter() - start) / epochs
    results = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            results[workers] = _run(fbd, client, X, Y, net.copy(), epochs, args.repeats, workers)
            if workers == 2:
                tiny = _run(fbd, client, X[:128], Y[:128], net.copy(), 20, args.repeats, 2)[0]
    (f1, s1), (f2, s2) = results[1], results[2]
    print(f"W3 shape {w.sizes}, {X.shape[0]:,} rows, float64")
    print(f"full batch, s/step: net.fit {local:.3f}, 1 worker {f1:.3f}, 2 workers {f2:.3f} "
          f"(speed-up {f1 / f2:.2f}x)")
    print(f"sync batch 4096, s/step: 1 worker {s1:.3f}, 2 workers {s2:.3f} "
          f"(speed-up {s1 / s2:.2f}x)")
    print(f"per-round overhead (2 blocks of 64 rows, 2 workers): {tiny * 1000:.1f} ms")


if __name__ == "__main__":
    main()
