"""What the benchmarks share: the workloads and their data.

The workloads are defined once, in the repository's benchmarks/workloads.py,
which benchmarks/compare.py imports as its neighbour.  asv imports this
package from asv_benchmarks/benchmarks/ of the work tree (whichever commit
it measures), so that module is always at ../../benchmarks/workloads.py from
here; it is loaded from that path under the name ``workloads`` rather than by
putting benchmarks/ on sys.path, so nothing else there becomes importable
(and asv, which collects benchmarks from every module of this package, never
sees it).  bench_overhead.py loads benchmarks/fit_overhead.py the same way.
"""
import functools
import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name):
    """The module benchmarks/<name>.py of the work tree, by path, under ``name``."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


workloads = load("workloads")

# Each workload at the "asv" scale: an epoch well under a second.
W1, W1b, W2, W3, W4, THREADS = (workloads.WORKLOADS[name].at("asv")
                                for name in ("W1", "W1b", "W2", "W3", "W4", "threads"))

# asv times both precisions of every workload (compare.py runs W1 and W1b in
# float64 only): each has its own kernels to keep fast.
DTYPES = ["float64", "float32"]


@functools.cache
def data(workload, dtype):
    """The workload's (X, targets) in ``dtype``, built once per process and
    read-only (the benchmarks share them).  W2 uses its synthetic stand-in
    for the digits, so that the numbers do not depend on whether asv's
    environment has scikit-learn."""
    options = {"synthetic": True} if workload.name == "W2" else {}
    X, Y = workload.make_data(dtype, **options)
    X.setflags(write=False)
    Y.setflags(write=False)
    return X, Y


@functools.cache
def classification(n_samples, n_features, n_classes, dtype):
    """Gaussian classes of any shape (the kernel benchmarks), read-only."""
    X, y = workloads.gaussian_classes(n_samples, n_features, n_classes, dtype)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y
