#!/usr/bin/env python
"""Two builds of fastbp side by side: the same workload, data and initial
weights, in alternating child processes pinned to one CPU, so that a change
is measured as a ratio taken in one run rather than against a figure from
another day.

    git worktree add /tmp/before HEAD~1
    (cd /tmp/before && python setup.py build_ext --inplace)
    python setup.py build_ext --inplace
    python benchmarks/ab.py /tmp/before . --workloads W1,W1b,W2 --repeats 7

Each repeat runs every checkout once, in turn, in a fresh process that
imports that checkout's fastbp, builds the workload's network and times
``--fits`` one-epoch fits (the fastest counts, as the least disturbed); the
table shows the median over repeats per example (per-example workloads) or
per epoch, and before / after (> 1: the second checkout is faster). Both
checkouts' fits must end with the same parameters (same bits), unless
``--allow-different`` says the change is meant to alter results.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import gc, json, sys, time
root, name, dtype, fits, scale = sys.argv[1:6]
fits = int(fits)
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
    net.fit(X, Y, optimizer=opt, epochs=1, batch_size=w.batch_size, shuffle=False)
    best = min(best, time.perf_counter() - t0)
per = X.shape[0] if w.batch_size == 1 else 1
print(json.dumps({"seconds": best / per, "params": net.params.astype(float).tobytes().hex()}))
"""


def run_child(root, name, dtype, fits, scale, cpu):
    cmd = [sys.executable, "-c", CHILD, str(root), name, dtype, str(fits), scale]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ""})
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
                    help="the CPU to pin the children to (default: the first allowed)")
    ap.add_argument("--quick", action="store_true",
                    help="the workloads at their --quick sizes (a smoke test)")
    ap.add_argument("--allow-different", action="store_true",
                    help="do not require both checkouts to end with the same parameters")
    args = ap.parse_args(argv)
    roots = [p.resolve() for p in (args.before, args.after)]
    for root in roots:
        if not (root / "fastbp" / "__init__.py").is_file():
            ap.error(f"{root} is not a fastbp checkout")
    print(f"before: {roots[0]}\nafter:  {roots[1]}\npinned to CPU {args.cpu}, "
          f"median of {args.repeats} alternating repeats\n")
    print("| workload | dtype | before | after | before / after | same bits |")
    print("|---|---|---|---|---|---|")
    for name in args.workloads.split(","):
        for dtype in args.dtypes.split(","):
            times, params = ([], []), [None, None]
            for _ in range(args.repeats):
                for i, root in enumerate(roots):
                    out = run_child(root, name, dtype, args.fits,
                                    "quick" if args.quick else "full", args.cpu)
                    times[i].append(out["seconds"])
                    params[i] = out["params"]
            b, a = statistics.median(times[0]), statistics.median(times[1])
            same = params[0] == params[1]
            print(f"| {name} | {dtype} | {fmt(b)} | {fmt(a)} | {b / a:.3f} | "
                  f"{'yes' if same else 'no'} |", flush=True)
            if not same and not args.allow_different:
                sys.exit(f"{name} {dtype}: the two checkouts end with different parameters "
                         "(--allow-different if the change is meant to alter results)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
