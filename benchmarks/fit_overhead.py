#!/usr/bin/env python
"""The fixed cost of a ``fit`` call: everything but the epochs' arithmetic.

On W2's network (64-100-10 ReLU/softmax, cross-entropy, Adam with
scikit-learn's epsilon, batch 200, no shuffling) and the digits (1797 rows;
the synthetic stand-in without scikit-learn), one thread, median of
interleaved calls::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/fit_overhead.py \\
        [--rounds 300] [--dtype float64 float32] [--breakdown] [--cprofile]

Each scenario times ``fit(epochs=1)`` (T1) and ``fit(epochs=K)`` (TK)
alternately.  With T = fixed + epochs * per_epoch, the **fixed cost** is
(K T1 - TK) / (K - 1): what a call costs once whatever its epochs (argument
checks, the data's validation scans, the kernel plan, history and
callbacks).  The **kernel** column is one epoch of the compiled loop alone
(``EpochPlan.train_epoch`` on a plan built beforehand), so T1 - kernel is
all a one-epoch call spends outside the loop (the per-epoch bookkeeping,
snapshot and output check included).  **T0** is fit(epochs=0) called back
to back: the same fixed work with warm caches (between epochs of
milliseconds, and on a machine other jobs share, it runs from colder ones:
"fixed" is then larger).  Scenarios:

same data        fit(X, y) again and again with one optimizer (an epoch loop
                 written by hand);
new optimizer    a new Adam for every call on the same data (a sweep);
200-row batches  consecutive 200-row slices of the data, one optimizer (a
                 partial_fit loop; a new view object every call);
10 rows          a 10-row slice: the cost of a call with next to no data;
partial_fit      MLPClassifier.partial_fit on consecutive 200-row batches
                 (scikit-learn's input validation and label encoding
                 included), against the kernel's time for such a batch.

The data's validation scans (finiteness of X, one-hot encoding of the
labels) are proportional to the rows: they are counted in the fixed cost
above, and ``--breakdown`` shows them apart.  ``--breakdown`` times the
phases of a call with wrappers that read the clock (inclusive and self time
per call, medians; each wrapper adds its two clock readings, a fraction of a
microsecond with the wall clock, about 2 us with the CPU clock), ``--cprofile`` lists
the functions cProfile finds most expensive.
"""
import argparse
import cProfile
import functools
import gc
import pstats
import statistics
import sys
import time

import numpy as np

import fastbp as fb

from workloads import W2

K = 10  # epochs of the long call


def _median_us(samples):
    return statistics.median(samples) / 1e3


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}
clock = CLOCKS["wall"]


def _timed(fn):
    began = clock()
    fn()
    return clock() - began


def kernel_epoch_us(net, X, Y, rounds):
    """Median time of one epoch of the compiled loop on (X, Y), plan built
    once, on fit's threads with BLAS limited as fit limits it."""
    # (private: imported here, asv imports this module)
    from fastbp._runner import Runner
    from fastbp._threads import blas_limited

    net = net.copy()
    opt = W2.optimizer.make()
    Y = net._check_Y(Y, X.shape[0])
    runner = Runner(net, X, Y, opt, min(W2.batch_size, X.shape[0]))
    plan = runner.plan(X, Y, None, runner.batch, False)
    rates = opt.rates(runner.n_steps)
    threads = fb.get_num_threads()
    with blas_limited(runner.batch):
        samples = [_timed(lambda: plan.train_epoch(None, rates, 0, n_threads=threads))
                   for _ in range(rounds)]
    return _median_us(samples)


class Scenario:
    """Calls of fit(epochs) on a network of W2's, in one of the scenarios."""

    def __init__(self, name, X, y, dtype, new_optimizer=False, rows=None):
        self.name, self.X, self.y, self.rows = name, X, y, rows
        self.net = W2.network(dtype)
        self.opt = W2.optimizer.make()
        self.new_optimizer = new_optimizer
        self.start = 0

    def data(self):
        """This call's (X, y): the whole data, or the next slice of ``rows``."""
        if self.rows is None:
            return self.X, self.y
        if self.start + self.rows > self.X.shape[0]:
            self.start = 0
        rows = slice(self.start, self.start + self.rows)
        self.start += self.rows
        return self.X[rows], self.y[rows]

    def __call__(self, epochs):
        X, y = self.data()
        opt = W2.optimizer.make() if self.new_optimizer else self.opt
        return self.net.fit(X, y, optimizer=opt, epochs=epochs, batch_size=W2.batch_size,
                            shuffle=False)


class PartialFit:
    """MLPClassifier.partial_fit on consecutive 200-row batches."""

    name = "partial_fit"

    def __init__(self, X, y, dtype):
        from fastbp.estimators import MLPClassifier

        self.X, self.y, self.start = X, y, 0
        self.clf = MLPClassifier(hidden_layer_sizes=(100,), batch_size=W2.batch_size,
                                 shuffle=False, random_state=0, dtype=dtype)
        self.clf.partial_fit(X[:200], y[:200], classes=np.arange(10))

    def __call__(self, epochs):
        for _ in range(epochs):
            if self.start + 200 > self.X.shape[0]:
                self.start = 0
            rows = slice(self.start, self.start + 200)
            self.start += 200
            self.clf.partial_fit(self.X[rows], self.y[rows])


def measure_empty(scenario, rounds):
    """Median of fit(epochs=0) called back to back, in microseconds: the
    checks, the data's scans and the plan alone, with warm caches."""
    for _ in range(5):
        scenario(0)
    gc.collect()
    gc.disable()
    try:
        return _median_us([_timed(lambda: scenario(0)) for _ in range(rounds)])
    finally:
        gc.enable()


def measure(scenario, rounds):
    """(T1, TK) medians in microseconds over interleaved calls."""
    for _ in range(5):  # warm up
        scenario(1)
    t1, tk = [], []
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            t1.append(_timed(lambda: scenario(1)))
            tk.append(_timed(lambda: scenario(K)))
    finally:
        gc.enable()
    return _median_us(t1), _median_us(tk)


# --------------------------------------------------------------------------
# Breakdown: inclusive and self time of the phases of a call
# --------------------------------------------------------------------------
PHASES = [
    ("fastbp.training", "fit"),
    ("fastbp.network", "MLP._check_X"),
    ("fastbp._validation", "check_X_range"),
    ("fastbp.network", "MLP._check_Y"),
    ("fastbp.network", "MLP._check_weights"),
    ("fastbp._regularization", "Regularization.for_fit"),
    ("fastbp._runner", "Runner.__init__"),
    ("fastbp._runner", "Runner.plan"),
    ("fastbp._runner", "_PlanCache.get"),
    ("fastbp._guard", "OutputGuard.__init__"),
    ("fastbp.optimizers", "Optimizer._bind"),
    ("fastbp._runner", "train"),
    ("fastbp._runner", "Runner.run_epoch"),
    ("fastbp._guard", "OutputGuard.finite"),
    ("fastbp.optimizers", "Optimizer.rates"),
]


class Phases:
    """Wraps functions and methods with perf_counter_ns timers; per call of
    the scenario, adds up each phase's inclusive time and the time spent in
    other timed phases within it (for its self time)."""

    def __init__(self):
        self.inclusive, self.children, self.calls = {}, {}, {}
        self.samples = []  # per scenario call: {phase: (calls, inclusive, self)}
        self.stack = []
        self.undo = []

    def wrap(self, name, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self.stack.append(0)
            began = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = clock() - began
                children = self.stack.pop()
                if self.stack:
                    self.stack[-1] += spent
                self.inclusive[name] = self.inclusive.get(name, 0) + spent
                self.children[name] = self.children.get(name, 0) + children
                self.calls[name] = self.calls.get(name, 0) + 1
        return timed

    def end_call(self):
        self.samples.append({name: (self.calls[name], total, total - self.children[name])
                             for name, total in self.inclusive.items()})
        self.inclusive, self.children, self.calls = {}, {}, {}

    def install(self):
        for module_name, qualname in PHASES:
            module = sys.modules.get(module_name) or __import__(module_name, fromlist=["_"])
            owner, attr = module, qualname
            if "." in qualname:
                cls_name, attr = qualname.split(".")
                owner = getattr(module, cls_name, None)
            original = getattr(owner, attr, None) if owner is not None else None
            if original is None:
                continue  # not in this version of fastbp
            self._replace(owner, attr, original, self.wrap(qualname, original),
                          everywhere="." not in qualname)
        backend = fb._kernels.active()
        self._replace(backend, "EpochPlan", backend.EpochPlan,
                      self._plan_factory(backend.EpochPlan), everywhere=False)

    def _plan_factory(self, cls):
        """EpochPlan's construction timed, and its train_epoch (the kernel)."""
        make = self.wrap("EpochPlan(...) [kernel]", cls)
        phases = self

        class TimedPlan:
            def __init__(self, *args, **kwargs):
                self._plan = make(*args, **kwargs)
                self.train_epoch = phases.wrap("train_epoch [kernel]", self._plan.train_epoch)

            def __getattr__(self, name):
                return getattr(self._plan, name)

        return TimedPlan

    def _replace(self, owner, attr, original, new, everywhere):
        targets = [owner]
        if everywhere:  # also where it was imported by name
            targets = [m for name, m in list(sys.modules.items())
                       if name.startswith("fastbp") and getattr(m, attr, None) is original]
        for target in targets:
            setattr(target, attr, new)
            self.undo.append((target, attr, original))

    def uninstall(self):
        for target, attr, original in reversed(self.undo):
            setattr(target, attr, original)
        self.undo.clear()

    def report(self):
        """Per phase, the median over the calls of its inclusive and self time."""
        names = {name: None for sample in self.samples for name in sample}
        print(f"    {'phase (medians per call)':34s} {'calls':>6s} {'incl. us':>9s} "
              f"{'self us':>8s}")
        for name in names:
            rows = [sample.get(name, (0, 0, 0)) for sample in self.samples]
            calls, incl, own = (statistics.median(column) for column in zip(*rows))
            print(f"    {name:34s} {calls:6.0f} {incl / 1e3:9.1f} {own / 1e3:8.1f}")


def breakdown(scenario, rounds):
    phases = Phases()
    for _ in range(5):
        scenario(1)
    phases.install()
    scenario.net.__dict__.pop("_fit_cache", None)  # so that its plan is built timed
    try:
        gc.disable()
        for _ in range(rounds):
            scenario(1)
            phases.end_call()
    finally:
        gc.enable()
        phases.uninstall()
    phases.report()


def profile(scenario, rounds):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        scenario(1)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="interleaved (T1, TK) pairs")
    parser.add_argument("--dtype", nargs="+", default=["float64", "float32"],
                        choices=["float64", "float32"])
    parser.add_argument("--scenarios", nargs="+", default=None,
                        help="only these, by their first word: same, new, 200-row, 10, "
                             "partial_fit")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall",
                        help="wall: elapsed time; cpu: this thread's CPU time, which leaves "
                             "out the time other processes hold the core (a busy machine)")
    parser.add_argument("--breakdown", action="store_true", help="time the phases of a call")
    parser.add_argument("--cprofile", action="store_true", help="cProfile's top functions")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    print(f"fastbp {fb.__version__}, kernels {fb._kernels.active().NAME}, "
          f"NumPy {np.__version__}; "
          f"K = {K}; median of {args.rounds} interleaved calls; {args.clock} clock; microseconds")
    for dtype in args.dtype:
        X, y = W2.make_data(dtype, synthetic=_without_sklearn())
        scenarios = [
            Scenario("same data", X, y, dtype),
            Scenario("new optimizer", X, y, dtype, new_optimizer=True),
            Scenario("200-row batches", X, y, dtype, rows=200),
            Scenario("10 rows", X, y, dtype, rows=10),
        ]
        if not _without_sklearn():
            scenarios.append(PartialFit(X, y, dtype))
        if args.scenarios:
            scenarios = [s for s in scenarios if s.name.split()[0] in args.scenarios]
        kernels = {n: kernel_epoch_us(W2.network(dtype), X[:n], y[:n], args.rounds)
                   for n in (X.shape[0], 200, 10)}
        print(f"\n{dtype}: kernel epoch {kernels[X.shape[0]]:.1f} us on {X.shape[0]} rows, "
              f"{kernels[200]:.1f} on 200, {kernels[10]:.1f} on 10")
        print(f"  {'scenario':18s} {'T1':>9s} {f'T{K}/{K}':>9s} {'fixed':>8s} {'kernel':>8s} "
              f"{'T1-kernel':>9s} {'T0':>8s}")
        for scenario in scenarios:
            t1, tk = measure(scenario, args.rounds)
            rows = getattr(scenario, "rows", 200) or X.shape[0]
            kernel = kernels[rows]
            # (K partial_fit calls are K calls: only T1 - kernel tells)
            partial = isinstance(scenario, PartialFit)
            fixed = "" if partial else f"{(K * t1 - tk) / (K - 1):8.1f}"
            empty = "" if partial else f"{measure_empty(scenario, args.rounds):8.1f}"
            print(f"  {scenario.name:18s} {t1:9.1f} {tk / K:9.1f} {fixed:>8s} {kernel:8.1f} "
                  f"{t1 - kernel:9.1f} {empty:>8s}".rstrip(), flush=True)
            if args.breakdown and not isinstance(scenario, PartialFit):
                breakdown(scenario, args.rounds)
            if args.cprofile:
                profile(scenario, args.rounds)


@functools.cache
def _without_sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return True
    return False


if __name__ == "__main__":
    main()
