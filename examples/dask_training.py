"""Training on a dask cluster: the same classifier trained by net.fit, and
by fastbp.dask.fit on row blocks held by two local workers, full batch,
exact synchronous mini-batches and local SGD.

    python examples/dask_training.py [--rows N] [--processes]

Needs dask and distributed (fastbp's dask extra).  Full batch and
mode="sync" give net.fit's parameters to rounding; mode="local" (parameters
averaged after every epoch) does not, but trains as well.
"""
import argparse

import numpy as np

import fastbp as fb


def main(rows=4000, processes=False, seed=0):
    import dask.array as da
    from distributed import Client, LocalCluster

    import fastbp.dask

    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.0, size=(3, 10))
    y = rng.integers(0, 3, rows)
    X = centers[y] + rng.normal(size=(rows, 10))
    Xd, yd = da.from_array(X, chunks=(rows // 4, 10)), da.from_array(y, chunks=rows // 4)
    start = fb.MLP([10, 16, 3], hidden="relu", output="softmax", loss="cross_entropy",
                   init="he_uniform", seed=seed)
    runs = {"full batch": dict(epochs=20, batch_size=None),
            "sync": dict(epochs=5, batch_size=rows // 8, mode="sync"),
            "local": dict(epochs=3, batch_size=32, mode="local")}
    results = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        for name, kw in runs.items():
            mode = kw.pop("mode", None)
            local, dist = start.copy(), start.copy()
            local.fit(X, y, optimizer=fb.Adam(lr=0.01), shuffle=True, seed=seed, **kw)
            history = fastbp.dask.fit(dist, Xd, yd, client=client, optimizer=fb.Adam(lr=0.01),
                                      shuffle=True, seed=seed, mode=mode, **kw)
            gap = float(np.abs(dist.params - local.params).max())
            accuracy = float(np.mean(dist.forward(X).argmax(axis=1) == y))
            results[name] = (gap, accuracy)
            batch = "all rows" if kw["batch_size"] is None else f"batch {kw['batch_size']}"
            print(f"{name:10s} {batch:10s} final loss {history.loss[-1]:.4f}  "
                  f"accuracy {accuracy:.3f}  largest difference from net.fit {gap:.1e}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--processes", action="store_true",
                        help="worker processes instead of threads")
    args = parser.parse_args()
    main(args.rows, args.processes)
