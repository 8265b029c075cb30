#!/usr/bin/env python
"""fastbp against a hand-written Numba loop and a jitted JAX epoch, one core each.

Usage
-----
::

    PYTHONPATH=. python benchmarks/rivals.py [--workloads W1,W1b,W2,W3]
        [--dtypes float64,float32] [--repeats N] [--quick] [--threads]
        [--markdown PATH] [--json PATH]

Numba and JAX are benchmark-only tools (``pip install numba jax``; never
dependencies of fastbp): the column of a missing one is left empty.
``--quick`` shrinks the workloads so the run takes seconds (a smoke test:
its times mean nothing, its targets are not judged, its agreement checks
hold).  ``--threads`` adds fastbp's thread scaling (below).

What runs
---------
The workloads are those of ``benchmarks/workloads.py``: W1 and W1b
(per-example SGD on sigmoid networks, squared loss), W2 (digits, Adam with
scikit-learn's epsilon as fastbp's ``Adam(eps_hat=True)``, batch 200) and W3
(60,000 x 784, (256, 128) ReLU, batch 128), no shuffling.  The rivals are
``benchmarks/rival_numba.py`` (one ``@njit(error_model="numpy")`` function per
epoch, ``np.dot`` for the products) and ``benchmarks/rival_jax.py`` (one
``jax.jit`` of ``lax.scan`` per epoch).  All three start from fastbp's
initial weights and train on the same arrays.

One core: the process is pinned to one CPU (``os.sched_setaffinity``, every
thread) before JAX starts, XLA runs with ``--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1``, Numba with ``NUMBA_NUM_THREADS=1``, and
threadpoolctl limits BLAS and OpenMP to one thread.

Timing: each implementation's first call (compilation included) is timed on
its own and reported as "compile" = first call - median epoch.  Then the
repeats are interleaved (fastbp, Numba, JAX, fastbp, ...); each repeat times
enough epochs for ``min_time`` seconds, every epoch from the same initial
state (reset untimed), and reports their mean; the table gives the median of
the repeats (``--repeats``, default 7) and the spread, half their range
relative to the median.  Per-example workloads are reported per example.

Agreement: after the last timed epoch (one epoch from the initial state)
each rival's parameters are compared with fastbp's: max |a - b| / max |b|
over the parameter arrays.  Rounding-level (≤ 1e-10) is required in float64;
float32 is reported for information.

Thread scaling (``--threads``): fastbp alone on W2 and W3 with
``fit(..., n_threads=1)`` and ``n_threads=2``, in a child process that is
not pinned (BLAS still on one thread), median of interleaved repeats; it
also says whether the two give bit-identical parameters.  Each repeat is
bracketed by a probe of where the host has put the two CPUs (one die of its
processor or two: benchmarks/cores.py; on two dies two threads run slower,
whatever the code), and the speed-up is also given per placement, over the
repeats during which it held.  Where ``MLP.fit`` has no ``n_threads`` the
section says so.
"""
import os

# Read by XLA and Numba when they start: set before anything imports them.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen="
                           "false intra_op_parallelism_threads=1").strip()
os.environ["NUMBA_NUM_THREADS"] = "1"

import argparse
import contextlib
import datetime
import gc
import importlib
import inspect
import json
import math
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cores
import numpy as np
import scipy
from compare import rel_diff

import fastbp as fb

from baselines import fastbp_weights
from reporting import Timing, cpu_model, fmt_time, git_commit, md_table, text_table
from workloads import WORKLOADS

ALL_WORKLOADS = ("W1", "W1b", "W2", "W3")
ALL_DTYPES = ("float64", "float32")
# The targets: fastbp at least this many times faster than each rival.
TARGETS = {"W1": 1.5, "W1b": 1.5, "W2": 1.3, "W3": 1.0}
MIN_TIME = {"full": 0.2, "quick": 0.01}  # seconds of epochs per timed repeat
AGREEMENT_F64 = 1e-10
THREAD_CHILD = "--thread-scaling-child"


# --------------------------------------------------------------------------
# One core
# --------------------------------------------------------------------------
def pin_to_one_cpu():
    """Pin every thread of this process to the first CPU it may use; returns it."""
    cpu = min(os.sched_getaffinity(0))
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(tid), {cpu})
    return cpu


def optional_import(name):
    """The module, or None when it (or the package it needs) is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
class Contender:
    """One implementation of one workload: ``impl`` has reset() (back to the
    initial state, untimed), run() (one epoch) and weights() ([W..., b...])."""

    def __init__(self, name, impl):
        self.name, self.impl = name, impl
        self.first = None
        self.number = 1
        self.samples = []
        self.places = []  # per sample, where the CPUs were (race's probe), None: they moved

    def once(self):
        self.impl.reset()
        t0 = time.perf_counter()
        self.impl.run()
        return time.perf_counter() - t0

    @property
    def timing(self):
        s = self.samples
        return Timing(statistics.median(s), min(s), max(s), len(s), self.number)

    @property
    def compile_time(self):
        """First call - median epoch; None where the first call compiled
        nothing (Numba reusing a compilation of an earlier row)."""
        compiled = getattr(self.impl, "compiled", None)
        if compiled is not None and not compiled():
            return None
        return self.first - self.timing.median


def race(contenders, repeats, min_time, probe=None):
    """Time the contenders side by side (see the module docstring); with
    ``probe`` (a function saying where the CPUs are), each repeat is
    bracketed by it and its samples tagged with the answer (None when the
    two answers differ)."""
    for c in contenders:
        c.first = c.once()  # compilation, if any, happens here
    for c in contenders:
        c.number = max(1, math.ceil(min_time / max(c.once(), 1e-9)))
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            where = probe() if probe else None
            for c in contenders:
                c.samples.append(sum(c.once() for _ in range(c.number)) / c.number)
            where = where if probe and probe() == where else None
            for c in contenders:
                c.places.append(where)
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------
# The implementations
# --------------------------------------------------------------------------
class Fastbp:
    """fastbp's MLP trained as the workload says, from a new network and a
    fresh optimizer each time."""

    def __init__(self, w, dtype, X, Y, **fit_options):
        self.w, self.dtype, self.X, self.Y, self.options = w, dtype, X, Y, fit_options
        self.reset()

    def reset(self):
        self.net = self.w.network(self.dtype)
        self.opt = self.w.optimizer.make()

    def run(self):
        self.net.fit(self.X, self.Y, optimizer=self.opt, epochs=1,
                     batch_size=self.w.batch_size, shuffle=False, **self.options)

    def weights(self):
        return fastbp_weights(self.net)


def contenders_for(w, dtype, X, Y, rivals):
    """fastbp and whichever rivals are installed, for workload ``w``."""
    net = w.network(dtype)
    out = [Contender("fastbp", Fastbp(w, dtype, X, Y))]
    numba_mod, jax_mod = rivals
    if w.batch_size == 1:
        if len(w.sizes) != 3:
            raise ValueError(f"{w.name}: the per-example rivals have one hidden layer")
        start = fastbp_weights(net)
        if numba_mod:
            out.append(Contender("Numba", numba_mod.NumbaPerExample(start, X, Y,
                                                                      w.optimizer.lr)))
        if jax_mod:
            out.append(Contender("JAX", jax_mod.per_example(start, X, Y, w.optimizer.lr)))
    else:
        spec = w.optimizer
        if numba_mod:
            out.append(Contender("Numba", numba_mod.NumbaAdam(net.params.copy(), w.sizes, X, Y,
                                                              w.batch_size, spec)))
        if jax_mod:
            out.append(Contender("JAX", jax_mod.minibatch(fastbp_weights(net), X, Y,
                                                          w.batch_size, spec)))
    return out


def workload_data(w, dtype):
    """(X, targets, what the rows are); the digits need scikit-learn."""
    if w.name == "W2" and optional_import("sklearn") is None:
        return (*w.make_data(dtype, synthetic=True), "synthetic 1,797 rows (no scikit-learn)")
    X, Y = w.make_data(dtype)
    return X, Y, f"{X.shape[0]:,} rows"


def run_workload(w, dtype, rivals, repeats, min_time):
    """One result row: times, ratios, compile times and agreement."""
    X, Y, measured = workload_data(w, dtype)
    cs = contenders_for(w, dtype, X, Y, rivals)
    race(cs, repeats, min_time)
    base = cs[0]
    per = "example" if w.batch_size == 1 else "epoch"
    scale = 1.0 / X.shape[0] if per == "example" else 1.0
    row = dict(workload=w.name, dtype=dtype, measured=measured, per=per, impls={})
    for c in cs:
        t = c.timing
        row["impls"][c.name] = dict(
            seconds=t.median * scale, spread=t.spread / 2, number=t.number,
            ratio=t.median / base.timing.median,
            compile=c.compile_time if c is not base else None,
            compiled_earlier=c is not base and c.compile_time is None,
            agreement=rel_diff(c.impl.weights(), base.impl.weights()) if c is not base else None)
    return row


def judge(row, quick):
    """'yes', '**NO**', 'n/a (quick)' or '' (a rival missing)."""
    goal = TARGETS[row["workload"]]
    rivals = [v for k, v in row["impls"].items() if k != "fastbp"]
    if len(rivals) < 2:
        return ""
    if quick:
        return "n/a (quick)"
    return "yes" if all(v["ratio"] >= goal for v in rivals) else "**NO**"


def agreement_ok(row):
    """True/False for float64 (rounding-level required), None for float32."""
    if row["dtype"] != "float64":
        return None
    return all(v["agreement"] <= AGREEMENT_F64
               for k, v in row["impls"].items() if k != "fastbp")


# --------------------------------------------------------------------------
# Thread scaling (in a child process that is not pinned)
# --------------------------------------------------------------------------
def thread_scaling(workloads, dtypes, scale, repeats, min_time):
    """Rows of fastbp with n_threads=1 vs 2, or a sentence saying why not."""
    if "n_threads" not in inspect.signature(fb.MLP.fit).parameters:
        return "unavailable: this fastbp's MLP.fit has no n_threads parameter"
    if len(os.sched_getaffinity(0)) < 2:
        return "unavailable: this process may use only one CPU"
    rows = []
    for name in workloads:
        if name not in ("W2", "W3"):
            continue
        w = WORKLOADS[name].at(scale)
        for dtype in dtypes:
            X, Y, measured = workload_data(w, dtype)
            cs = [Contender(f"{k} thread{'s' * (k > 1)}", Fastbp(w, dtype, X, Y, n_threads=k))
                  for k in (1, 2)]
            race(cs, repeats, min_time, probe=cores.placement)
            one, two = cs
            same = all(np.array_equal(a, b)
                       for a, b in zip(one.impl.weights(), two.impl.weights()))
            rows.append(dict(workload=name, dtype=dtype, measured=measured,
                             one=one.timing.median, two=two.timing.median,
                             speedup=one.timing.median / two.timing.median, identical=same,
                             by_placement=by_placement(one, two)))
    return rows


def by_placement(one, two):
    """{where the CPUs were: {"speedup": median one / median two, "repeats"}}
    over the repeats whose placement held (see race)."""
    out = {}
    for where in sorted({p for p in one.places if p}):
        keep = [i for i, p in enumerate(one.places) if p == where]
        out[where] = dict(repeats=len(keep),
                          speedup=statistics.median(one.samples[i] for i in keep)
                          / statistics.median(two.samples[i] for i in keep))
    return out


def run_thread_child(args):
    """Run this script again, unpinned, for the thread-scaling rows."""
    cmd = [sys.executable, str(Path(__file__).resolve()), THREAD_CHILD,
           "--workloads", ",".join(args.workloads), "--dtypes", ",".join(args.dtypes),
           "--repeats", str(args.repeats)] + (["--quick"] if args.quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return f"failed: {proc.stderr.strip()[-500:]}"
    return json.loads(proc.stdout)


def thread_child_main(args):
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1, user_api="blas"):
        result = thread_scaling(args.workloads, args.dtypes, args.scale, args.repeats,
                                MIN_TIME[args.scale])
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def fmt_spread(v):
    return f"{fmt_time(v['seconds'])} (±{100 * v['spread']:.0f}%)"


def speed_table(rows, quick):
    headers = ("workload", "dtype", "measured on", "fastbp", "Numba", "JAX",
               "fastbp × (Numba)", "fastbp × (JAX)", "target", "met?")
    cells = []
    for r in rows:
        imp = r["impls"]

        def cell(name, imp=imp, per=r["per"]):
            return f"{fmt_spread(imp[name])}/{per}" if name in imp else "not installed"

        def ratio(name, imp=imp):
            return f"{imp[name]['ratio']:.2f}" if name in imp else ""

        cells.append((r["workload"], r["dtype"], r["measured"], cell("fastbp"), cell("Numba"),
                      cell("JAX"), ratio("Numba"), ratio("JAX"),
                      f"fastbp ≥ {TARGETS[r['workload']]}× both", judge(r, quick)))
    return headers, cells


def checks_table(rows):
    headers = ("workload", "dtype", "Numba compile", "JAX compile", "Numba vs fastbp",
               "JAX vs fastbp", "agreement")
    cells = []
    for r in rows:
        imp = r["impls"]

        def comp(name, imp=imp):
            if name not in imp:
                return ""
            if imp[name]["compiled_earlier"]:
                return "none (an earlier row compiled it)"
            return fmt_time(imp[name]["compile"])

        def agree(name, imp=imp):
            return f"{imp[name]['agreement']:.1e}" if name in imp else ""

        ok = agreement_ok(r)
        verdict = ("(information)" if ok is None
                   else f"≤ {AGREEMENT_F64:.0e}: " + ("yes" if ok else "**NO**"))
        cells.append((r["workload"], r["dtype"], comp("Numba"), comp("JAX"), agree("Numba"),
                      agree("JAX"), verdict))
    return headers, cells


def threads_table(result):
    if isinstance(result, str):
        return None, result
    headers = ("workload", "dtype", "measured on", "1 thread", "2 threads", "speedup",
               "bit-identical", "target", "by where the two CPUs were (benchmarks/cores.py)")
    cells = [(r["workload"], r["dtype"], r["measured"], f"{fmt_time(r['one'])}/epoch",
              f"{fmt_time(r['two'])}/epoch", f"{r['speedup']:.2f}",
              "yes" if r["identical"] else "**NO**", "≥ 1.7×, bit-identical",
              "; ".join(f"{where}: {v['speedup']:.2f} ({v['repeats']} repeats)"
                        for where, v in r["by_placement"].items()) or "not probed")
             for r in result]
    return headers, cells


def version(name):
    mod = optional_import(name)
    return getattr(mod, "__version__", "?") if mod else "not installed"


def environment(args, cpu):
    fb_dir = Path(fb.__file__).resolve().parent
    commit = git_commit(fb_dir)
    info = [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
                    f"{platform.release()}"),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("python", platform.python_version()),
        ("numpy", np.__version__),
        ("scipy", scipy.__version__),
        ("fastbp", f"{fb.__version__} ({fb_dir}{', git ' + commit if commit else ''})"),
        ("numba", f"{version('numba')} (llvmlite {version('llvmlite')})"),
        ("jax", f"{version('jax')} (jaxlib {version('jaxlib')})"),
    ]
    tpc = optional_import("threadpoolctl")
    if tpc is not None:
        for lib in tpc.threadpool_info():
            arch = f", {lib['architecture']}" if lib.get("architecture") else ""
            info.append((lib["user_api"].upper(), f"{lib['internal_api']} "
                         f"{lib.get('version') or ''}{arch}, {Path(lib['filepath']).name}"))
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if env:
        info.append(("environment", ", ".join(f"{k}={v}" for k, v in env.items())))
    quick = ", --quick (sizes shrunk: targets not judged)" if args.quick else ""
    info.append(("settings", f"pinned to CPU {cpu}; XLA_FLAGS={os.environ['XLA_FLAGS']}; "
                             f"NUMBA_NUM_THREADS=1; BLAS/OpenMP limited to 1 thread; median "
                             f"of {args.repeats} interleaved repeats{quick}"))
    return info


def markdown(info, rows, threads, quick, command):
    parts = ["# fastbp against Numba and JAX", ""]
    parts += [f"- **{k}**: {v}" for k, v in info]
    parts += ["", f"Regenerate with `{command}`; what is measured and how: the docstring of "
              "`benchmarks/rivals.py`. `fastbp ×` = the rival's time / fastbp's "
              "(> 1: fastbp is faster).", "", "## Speed (one core each)", ""]
    parts.append(md_table(*speed_table(rows, quick)))
    parts += ["", "## Compile time and agreement", "",
              "Compile = first call − median epoch. Agreement = max |a − b| / max |b| over "
              "the parameter arrays after one epoch from the same initial weights.", ""]
    parts.append(md_table(*checks_table(rows)))
    if threads is not None:
        parts += ["", "## fastbp thread scaling (not pinned; BLAS on one thread)", ""]
        headers, cells = threads_table(threads)
        parts.append(md_table(headers, cells) if headers else cells)
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def csv_list(allowed, what):
    def parse(text):
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {what} {bad}; choose from {list(allowed)}")
        return items
    return parse


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", type=csv_list(ALL_WORKLOADS, "workloads"),
                   default=list(ALL_WORKLOADS),
                   help="comma-separated, default all ('' for none: --threads alone)")
    p.add_argument("--dtypes", type=csv_list(ALL_DTYPES, "dtypes"), default=list(ALL_DTYPES),
                   help="comma-separated, default float64,float32")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats (default 7, 2 with --quick)")
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test in seconds")
    p.add_argument("--threads", action="store_true",
                   help="also fastbp's n_threads=1 vs 2 on W2 and W3")
    p.add_argument("--markdown", metavar="PATH", help="also write the report as markdown")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument(THREAD_CHILD, action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 7
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    args.scale = "quick" if args.quick else "full"
    return args


def rerun_command(argv):
    """The command that reproduces the report (without --json, which only
    adds an output)."""
    kept, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--json":
            skip = True
        elif not a.startswith("--json="):
            kept.append(a)
    return " ".join(["PYTHONPATH=. python benchmarks/rivals.py", *kept])


def main(argv=None):
    args = parse_args(argv)
    if args.thread_scaling_child:
        return thread_child_main(args)

    # the thread scaling first, in a child with this process's CPUs: a child
    # inherits its parent's affinity, and a pinned parent running JAX would
    # share the child's first CPU with JAX's threads
    threads = run_thread_child(args) if args.threads else None
    cpu = pin_to_one_cpu()  # before JAX creates its CPU client and threads
    rivals = (optional_import("rival_numba"), optional_import("rival_jax"))
    info = environment(args, cpu)
    for k, v in info:
        print(f"{k}: {v}")
    print(flush=True)

    tpc = optional_import("threadpoolctl")
    limits = tpc.threadpool_limits(1) if tpc is not None else None
    rows = []
    try:
        for name in args.workloads:
            w = WORKLOADS[name].at(args.scale)
            for dtype in w.dtypes:
                if dtype not in args.dtypes:
                    continue
                t0 = time.perf_counter()
                rows.append(run_workload(w, dtype, rivals, args.repeats, MIN_TIME[args.scale]))
                print(text_table(*speed_table(rows[-1:], args.quick)))
                print(f"[{name} {dtype}: {time.perf_counter() - t0:.1f} s]\n", flush=True)
    finally:
        if limits is not None:
            limits.restore_original_limits()

    info.insert(3, ("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg())))

    print("Speed (one core each)")
    print(text_table(*speed_table(rows, args.quick)))
    print("\nCompile time and agreement")
    print(text_table(*checks_table(rows)))
    if threads is not None:
        print("\nfastbp thread scaling")
        headers, cells = threads_table(threads)
        print(text_table(headers, cells) if headers else cells)
    if args.markdown:
        text = markdown(info, rows, threads, args.quick,
                        rerun_command(sys.argv[1:] if argv is None else argv))
        Path(args.markdown).write_text(text, encoding="utf-8")
        print(f"\nwrote {args.markdown}")
    if args.json:
        Path(args.json).write_text(json.dumps(dict(rows=rows, threads=threads), indent=1),
                                   encoding="utf-8")
    return 1 if any(agreement_ok(r) is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
