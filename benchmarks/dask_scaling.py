"""fastbp.dask on one machine: W3-shaped training (784-256-128-10, float64)
on 1 vs 2 local worker processes of 1 thread (and 1 BLAS thread) each.

    python benchmarks/dask_scaling.py            # 60,000 rows (W3's size)
    python benchmarks/dask_scaling.py --quick    # 8,192 rows: a minute

Both clusters run side by side and their repeats are interleaved, so a
change in the machine's load hits both alike.  Reported, as medians over
every timed step:

* full batch: wall seconds per step (one gradient over all rows, summed
  over the blocks, one update) with 1 and 2 workers, and the speed-up; the
  workers' CPU seconds per step (summed over workers; what one worker
  spends, for 2), which tells the split of the work from the waiting; and
  the single-process ``net.fit(batch_size=None)`` step for reference;
* the per-round overhead: a full-batch step on 2 blocks of 1 row on 2
  workers, where the arithmetic is negligible (the parameters out to each
  block's worker, two gradients back, scheduling, the driver's update); and
  beside it dask's own round trip for the same payload (two tasks that take
  the parameters and return an array of their size, nothing else), the
  floor under any framework's round;
* exact synchronous mini-batches (batch 4096): seconds per step.

The machine's load average is printed before and after: on a shared
machine the workers compete with other processes for the cores.
"""
import argparse
import os
import resource
import time

import numpy as np

from workloads import W3


def _cpu_seconds():
    """This process's user + system CPU seconds (run on each worker)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _StepClock:
    """A fit callback noting when each epoch ends: the differences are the
    steps' wall times, fit's setup (checking and persisting the blocks) left
    out."""

    def __init__(self):
        self.ends = []

    def __call__(self, epoch, logs):  # noqa: ARG002 - the callback's signature
        self.ends.append(time.perf_counter())

    def steps(self):
        return list(np.diff(self.ends))


def _timed_fit(fbd, client, net, X, Y, epochs, **kw):
    """(wall seconds per step, workers' CPU seconds per step summed, the
    largest worker's) of ``epochs`` epochs of fbd.fit, from its second
    epoch on."""
    clock = _StepClock()
    cpu = {}

    def first_epoch_done(epoch, logs):  # noqa: ARG001 - the callback's signature
        if epoch == 0:
            cpu.update(client.run(_cpu_seconds))
    fbd.fit(net, X, Y, client=client, optimizer="sgd", epochs=epochs, shuffle=False,
            callbacks=[clock, first_epoch_done], **kw)
    after = client.run(_cpu_seconds)
    steps = clock.steps()
    spent = [after[w] - cpu[w] for w in after]
    return steps, sum(spent) / len(steps), max(spent) / len(steps)


def _echo(params):
    """What a worker sends back in a round: an array of the parameters' size."""
    return np.empty_like(params)


def _round_trips(client, params, rounds):
    """Wall seconds of ``rounds`` rounds of two tasks, one per worker, that
    take ``params`` and return an array of its size: dask's own cost of what
    a fastbp.dask round sends and receives."""
    workers = sorted(client.nthreads())
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.gather([client.submit(_echo, params, pure=False, workers=[w]) for w in workers])
        times.append(time.perf_counter() - start)
    return times


def _blocks(X, Y, n_blocks):
    import dask.array as da

    rows = -(-X.shape[0] // n_blocks)
    return (da.from_array(X, chunks=(rows, X.shape[1])),
            da.from_array(Y, chunks=(rows,) + Y.shape[1:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    import fastbp.dask as fbd

    w = W3.replace(n=8192) if args.quick else W3
    X, Y = w.make_data("float64")
    net = w.network("float64", seed=0)
    print(f"W3 shape {w.sizes}, {X.shape[0]:,} rows, float64; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    clusters = {k: LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                                dashboard_address=":0") for k in (1, 2)}
    clients = {k: Client(c, set_as_default=False) for k, c in clusters.items()}
    try:
        data = {k: _blocks(X, Y, k) for k in clients}
        tiny = _blocks(X[:2], Y[:2], 2)
        full = {k: ([], [], []) for k in clients}
        sync, overhead, floor, local = {k: [] for k in clients}, [], [], []
        for _ in range(args.repeats):
            for k, client in clients.items():  # interleaved: 1 worker, 2 workers, ...
                steps, cpu, cpu_max = _timed_fit(fbd, client, net.copy(), *data[k],
                                                 args.epochs + 1, batch_size=None)
                full[k][0].extend(steps)
                full[k][1].append(cpu)
                full[k][2].append(cpu_max)
                sync[k].extend(_timed_fit(fbd, client, net.copy(), *data[k], 2,
                                          batch_size=4096, mode="sync")[0])
            overhead.extend(_timed_fit(fbd, clients[2], net.copy(), *tiny, 21,
                                       batch_size=None)[0])
            floor.extend(_round_trips(clients[2], net.params, 20))
            start = time.perf_counter()
            net.copy().fit(X, Y, optimizer="sgd", epochs=1, batch_size=None, shuffle=False)
            local.append(time.perf_counter() - start)
    finally:
        for c in (*clients.values(), *clusters.values()):
            c.close()
    med = {k: float(np.median(v[0])) for k, v in full.items()}
    steps_per_epoch = -(-X.shape[0] // 4096)
    s1, s2 = (float(np.median(sync[k])) / steps_per_epoch for k in (1, 2))
    print(f"full batch, s/step: net.fit {np.median(local):.3f}, 1 worker {med[1]:.3f}, "
          f"2 workers {med[2]:.3f} (speed-up {med[1] / med[2]:.2f}x)")
    print(f"  workers' CPU s/step: 1 worker {np.median(full[1][1]):.3f}; 2 workers "
          f"{np.median(full[2][1]):.3f} in all, {np.median(full[2][2]):.3f} the busier one")
    print(f"sync batch 4096, s/step: 1 worker {s1:.3f}, 2 workers {s2:.3f} "
          f"(speed-up {s1 / s2:.2f}x)")
    print(f"per-round overhead (2 blocks of 1 row, 2 workers): "
          f"{np.median(overhead) * 1000:.1f} ms (fastest {min(overhead) * 1000:.1f} ms); "
          f"dask's own round trip with the same payload {np.median(floor) * 1000:.1f} ms")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
