#!/usr/bin/env python
"""Two builds of fastbp side by side: the same workload, data and initial
weights, in alternating child processes pinned to one CPU, so that a change
is measured as a ratio taken in one run rather than against a figure from
another day.

    git worktree add /tmp/before HEAD~1
    (cd /tmp/before && python setup.py build_ext --inplace)
    python setup.py build_ext --inplace
    python benchmarks/ab.py /tmp/before . --workloads W1,W1b,W2 --repeats 7

Each repeat runs every checkout once, in a fresh process that imports that
checkout's fastbp, builds the workload's network and times ``--fits``
one-epoch fits (the fastest counts, as the least disturbed); the order
alternates from one repeat to the next.  The table shows the median over
repeats per example (per-example workloads) or per epoch, and before / after
(> 1: the second checkout is faster): the median of each repeat's own ratio,
so that a slow spell of the host, which stretches both runs of a repeat,
cancels out (the ratio of the medians can swing by 30% on a busy host). Both
checkouts' fits must end with the same parameters (same bits), unless
``--allow-different`` says the change is meant to alter results.

``--threads N`` fits with ``n_threads=N`` in children that may use the first
N CPUs (BLAS on one thread).  Where two CPUs sit changes what two threads
can do (benchmarks/cores.py: a cache line's round trip between them, one die
or two, can change every few seconds on a VM), so each repeat is bracketed
by that probe and the table has a row per placement seen, its repeats
counted (a repeat during which the CPUs moved counts for neither).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import cores

CHILD = r"""
import gc, json, sys, time
root, name, dtype, fits, scale, threads = sys.argv[1:7]
fits, threads = int(fits), int(threads)
sys.path[:0] = [root, root + "/benchmarks"]
import numpy as np
import fastbp
from workloads import WORKLOADS
assert fastbp.__file__.startswith(root), (fastbp.__file__, root)
w = WORKLOADS[name] if scale == "full" else WORKLOADS[name].at(scale)
X, Y = w.make_data(dtype)
best = float("inf")
gc.disable()
for _ in range(fits):
    net = w.network(dtype)
    opt = w.optimizer.make()
    t0 = time.perf_counter()
    net.fit(X, Y, optimizer=opt, epochs=1, batch_size=w.batch_size, shuffle=False,
            n_threads=threads)
    best = min(best, time.perf_counter() - t0)
per = X.shape[0] if w.batch_size == 1 else 1
print(json.dumps({"seconds": best / per, "params": net.params.astype(float).tobytes().hex()}))
"""


def run_child(root, name, dtype, fits, scale, cpus, threads):
    cmd = ["taskset", "-c", ",".join(map(str, cpus)), sys.executable, "-c", CHILD, str(root),
           name, dtype, str(fits), scale, str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": "", "OPENBLAS_NUM_THREADS": "1"})
    if proc.returncode != 0:
        sys.exit(f"{root}: {name} {dtype} failed:\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def fmt(seconds):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path, help="a checkout built in place")
    ap.add_argument("after", type=Path, help="another (e.g. .)")
    ap.add_argument("--workloads", default="W1,W1b,W2",
                    help="names from benchmarks/workloads.py (default W1,W1b,W2)")
    ap.add_argument("--dtypes", default="float64")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--fits", type=int, default=3, help="fits per child (the fastest counts)")
    ap.add_argument("--cpu", type=int, default=min(os.sched_getaffinity(0)),
                    help="the CPU to pin one-thread children to (default: the first allowed)")
    ap.add_argument("--threads", type=int, default=1,
                    help="fit with n_threads=THREADS, on the first THREADS CPUs allowed")
    ap.add_argument("--quick", action="store_true",
                    help="the workloads at their --quick sizes (a smoke test)")
    ap.add_argument("--allow-different", action="store_true",
                    help="do not require both checkouts to end with the same parameters")
    args = ap.parse_args(argv)
    roots = [p.resolve() for p in (args.before, args.after)]
    allowed = sorted(os.sched_getaffinity(0))
    if not 1 <= args.threads <= len(allowed):
        ap.error(f"--threads must be between 1 and the {len(allowed)} CPUs allowed")
    cpus = [args.cpu] if args.threads == 1 else allowed[:args.threads]
    for root in roots:
        if not (root / "fastbp" / "__init__.py").is_file():
            ap.error(f"{root} is not a fastbp checkout")
    print(f"before: {roots[0]}\nafter:  {roots[1]}\nn_threads={args.threads} on CPUs "
          f"{','.join(map(str, cpus))}, median of {args.repeats} alternating repeats\n")
    print("| workload | dtype | CPUs | before | after | before / after | same bits |")
    print("|---|---|---|---|---|---|---|")
    for name in args.workloads.split(","):
        for dtype in args.dtypes.split(","):
            times, params = {}, [None, None]  # placement -> (before's, after's)
            for repeat in range(args.repeats):
                where = cores.placement() if args.threads > 1 else ""
                order = (0, 1) if repeat % 2 == 0 else (1, 0)
                pair = {i: run_child(roots[i], name, dtype, args.fits,
                                     "quick" if args.quick else "full", cpus, args.threads)
                        for i in order}
                if args.threads > 1 and cores.placement() != where:
                    continue  # the host moved the CPUs meanwhile
                for i, out in sorted(pair.items()):
                    times.setdefault(where, ([], []))[i].append(out["seconds"])
                    params[i] = out["params"]
            same = params[0] == params[1]
            if not times:
                print(f"| {name} | {dtype} | moved during every repeat | | | | |")
            for where, (before, after) in sorted(times.items()):
                b, a = statistics.median(before), statistics.median(after)
                ratio = statistics.median(x / y for x, y in zip(before, after))
                label = (f"{where} ({len(before)})" if where
                         else "pinned" if args.threads == 1 else "not probed")
                print(f"| {name} | {dtype} | {label} | {fmt(b)} | {fmt(a)} | {ratio:.3f} | "
                      f"{'yes' if same else 'no'} |", flush=True)
            if not same and not args.allow_different:
                sys.exit(f"{name} {dtype}: the two checkouts end with different parameters "
                         "(--allow-different if the change is meant to alter results)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
