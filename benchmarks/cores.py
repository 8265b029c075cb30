"""Do two CPUs of this machine compute at full speed at the same time?

A virtual machine's two CPUs may be the two hardware threads (SMT siblings)
of one physical core: each then runs at full speed alone but at about half
speed while the other works, and the host may move them together or apart
every few seconds.  Thread-scaling figures taken in such a spell measure the
host, not the code.  This probe times the same arithmetic (square roots and
multiplies of L1-sized arrays, which use the core's shared units) in one
process pinned to the first CPU, alone and then with a twin pinned to the
second CPU, and returns the rate together / the rate alone:

    ~1.0  the two CPUs have a core each,
    ~0.5  they share one core (two threads get one core's work done).

    python benchmarks/cores.py [--seconds 30]     # a timeline, one probe per line
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

SHARED_CORE_BELOW = 0.75  # co-run/solo rate under this: the CPUs share a core
_WORKER = "--probe-worker"


def _spin(start, seconds):
    """Rounds of arithmetic done from ``start`` (a time.monotonic value, the
    same clock in every process) for ``seconds``."""
    a = np.linspace(1.0, 2.0, 2048)
    b = np.empty_like(a)
    while time.monotonic() < start:
        pass
    rounds, end = 0, start + seconds
    while time.monotonic() < end:
        for _ in range(20):
            np.sqrt(a, out=b)
            np.multiply(b, a, out=b)
        rounds += 1
    return rounds


def _workers(cpus, seconds):
    """Start one pinned worker per CPU at the same moment; their round counts."""
    start = time.monotonic() + 0.3  # time for the interpreters to start
    procs = [subprocess.Popen([sys.executable, __file__, _WORKER, str(cpu), repr(start),
                               repr(seconds)], stdout=subprocess.PIPE, text=True)
             for cpu in cpus]
    return [int(p.communicate()[0]) for p in procs]


def corun_ratio(seconds=0.2):
    """Rate of the first CPU while the second also computes / its rate alone,
    or None with fewer than two CPUs."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    if len(cpus) < 2:
        return None
    (alone,) = _workers(cpus[:1], seconds)
    together, _ = _workers(cpus, seconds)
    return together / alone


def describe(ratio):
    if ratio is None:
        return "one CPU only"
    where = "share one core" if ratio < SHARED_CORE_BELOW else "have a core each"
    return f"{ratio:.2f} (the two CPUs {where})"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=30.0, help="how long to watch")
    args = p.parse_args()
    end = time.monotonic() + args.seconds
    t0 = time.monotonic()
    while time.monotonic() < end:
        print(f"{time.monotonic() - t0:6.1f} s  together/alone {describe(corun_ratio())}",
              flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == _WORKER:
        os.sched_setaffinity(0, {int(sys.argv[2])})
        print(_spin(float(sys.argv[3]), float(sys.argv[4])))
    else:
        main()
