"""Where does the host put this machine's first two CPUs?  Two probes.

A virtual machine's CPUs are threads of the host, which places and moves
them, every few seconds at times; two placements change how two threads of
one fit run, and neither shows inside the VM:

- on two dies (CCDs) of the host's processor, a cache line written by one
  CPU and read by the other takes a round trip of ~340 ns instead of ~65
  (measured on a 2-vCPU AMD EPYC VM, in spells of seconds).  fastbp's
  threads hand rows and gradients to each other every batch: W2 on two
  threads ran 0.7x of one thread in such spells (``round_trip_ns``);
- on the two hardware threads (SMT) of one core, two busy CPUs each run at
  about half speed (``corun_ratio``: ~0.5 instead of ~1.0).

Thread-scaling figures taken in either spell measure the host, not the
code: benchmarks/rivals.py and benchmarks/ab.py --threads bracket each
repeat with ``placement`` (the round trip) and report per placement.

    python benchmarks/cores.py [--seconds 30]     # a timeline, one line a second
"""
import argparse
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED_CORE_BELOW = 0.75  # co-run/solo rate under this: the CPUs share a core
FAR_ABOVE_NS = 150        # a round trip longer than this: the CPUs are on two dies
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


@functools.cache
def _pingpong():
    """benchmarks/pingpong.c built with the C compiler, or None without one."""
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        return None
    exe = Path(tempfile.mkdtemp(prefix="fastbp-cores-")) / "pingpong"
    src = Path(__file__).with_name("pingpong.c")
    built = subprocess.run([cc, "-O2", "-pthread", str(src), "-o", str(exe)],
                           capture_output=True)
    return exe if built.returncode == 0 else None


def round_trip_ns(seconds=0.05, windows=3):
    """Median round trip of a cache line between the first two CPUs in ns, or
    None with fewer than two CPUs or no C compiler."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    exe = _pingpong()
    if len(cpus) < 2 or exe is None:
        return None
    out = subprocess.run([str(exe), str(cpus[0]), str(cpus[1]), str(seconds), str(windows)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


def placement():
    """Where the first two CPUs sit now: "one die", "two dies", or "" when
    it cannot be probed (one CPU, no C compiler)."""
    trip = round_trip_ns()
    if trip is None:
        return ""
    return "two dies" if trip > FAR_ABOVE_NS else "one die"


def describe(ratio=None, trip=None):
    """Words for the probes' results (either may be None: not measured)."""
    parts = []
    if trip is not None:
        where = "two dies" if trip > FAR_ABOVE_NS else "one die"
        parts.append(f"round trip {trip:.0f} ns ({where})")
    if ratio is not None:
        where = "share one core" if ratio < SHARED_CORE_BELOW else "have a core each"
        parts.append(f"together/alone {ratio:.2f} ({where})")
    return ", ".join(parts) or "one CPU only"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=30.0, help="how long to watch")
    args = p.parse_args()
    end = time.monotonic() + args.seconds
    t0 = time.monotonic()
    while time.monotonic() < end:
        print(f"{time.monotonic() - t0:6.1f} s  {describe(corun_ratio(), round_trip_ns())}",
              flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == _WORKER:
        os.sched_setaffinity(0, {int(sys.argv[2])})
        print(_spin(float(sys.argv[3]), float(sys.argv[4])))
    else:
        main()
