"""Kernel backends.  Private: use the names exported by ``fastbp``.

A backend is a set of functions and classes with one interface
(``INTERFACE``): the network passes (``Topology``, ``forward_dataset``,
``loss_dataset``, ``gradient_dataset``), the optimizer step (``update``,
``state_vectors``), the training loop (``EpochPlan``) and the scan that
validates the data (``extremes``).  Four exist:

``baseline``
    the compiled kernels built for any x86-64 (or other) CPU;
``avx2``
    the same sources compiled with AVX2 (x86-64 only): 4 doubles (8 floats)
    per instruction instead of 2 (4), the same bits (no fused multiply-adds);
``avx512``
    and with AVX-512 (F, DQ, VL, BW): 8 doubles (16 floats), the same bits;
``numpy``
    plain NumPy (``fastbp._kernels._numpy`` and ``_numpy_plan``): the reference the compiled
    ones are tested against, slow but written to be read.

At import the widest set the CPU runs is chosen (AVX-512, AVX2, else the
baseline); ``FASTBP_KERNELS=baseline|avx2|avx512|numpy`` overrides the choice.  The rest of
fastbp asks :func:`active` for the backend at each use, so :func:`use`
switches it for the whole process (the tests run over every backend).
The codes the backends share (``Activation``, ``Loss``, ``Rule``,
``Status``) and the units' parameters (``UNIT_PARAMS``) are defined once, in
the Cython sources, and exported here.
"""
import contextlib
import importlib
import os

from fastbp._kernels._activations import UNIT_PARAMS, Activation
from fastbp._kernels._network import Loss
from fastbp._kernels._optimizers import Rule
from fastbp._kernels._train import Status

__all__ = ["Activation", "Loss", "Rule", "Status", "UNIT_PARAMS", "INTERFACE", "BACKENDS",
           "active", "available", "get", "use"]

INTERFACE = ("Topology", "forward_dataset", "loss_dataset", "gradient_dataset",
             "update", "state_vectors", "EpochPlan", "extremes")
BACKENDS = ("avx2", "avx512", "baseline", "numpy")
_COMPILED = {"baseline": "fastbp._kernels", "avx2": "fastbp._kernels._avx2",
             "avx512": "fastbp._kernels._avx512"}
# the CPU features (NumPy's names) each compiled variant needs
_NEEDS = {"avx2": ("AVX2",), "avx512": ("AVX512F", "AVX512DQ", "AVX512VL", "AVX512BW")}
_loaded = {}


class Backend:
    """One backend: ``NAME`` and the functions and classes of INTERFACE."""

    def __init__(self, name, members):
        self.NAME = name
        self.__dict__.update(members)

    def __repr__(self):
        return f"<fastbp kernel backend {self.NAME!r}>"


def _cpu_has(variant):
    """Whether this CPU runs the compiled variant's instructions."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return all(__cpu_features__.get(feature) for feature in _NEEDS[variant])


def _load(name):
    if name == "numpy":
        modules = [importlib.import_module(f"fastbp._kernels.{m}")
                   for m in ("_numpy", "_numpy_plan")]
    else:
        package = _COMPILED[name]
        modules = [importlib.import_module(f"{package}.{m}")
                   for m in ("_network", "_optimizers", "_passes", "_train")]
    found = {}
    for attr in INTERFACE:
        found[attr] = next(getattr(m, attr) for m in modules if hasattr(m, attr))
    return Backend(name, found)


def get(name):
    """The backend ``name`` (one of BACKENDS), loaded on first use; raises
    ImportError when it is not built here (AVX2 off x86-64) or the CPU
    lacks its instructions."""
    if name not in BACKENDS:
        raise ValueError(f"unknown kernel backend {name!r}; expected one of {list(BACKENDS)}")
    if name not in _loaded:
        if name in _NEEDS and not _cpu_has(name):
            raise ImportError(f"the {name} kernels need a CPU with {', '.join(_NEEDS[name])}")
        _loaded[name] = _load(name)
    return _loaded[name]


def available():
    """The names of the backends that load on this machine."""
    names = []
    for name in BACKENDS:
        try:
            get(name)
        except ImportError:
            continue
        names.append(name)
    return names


def _choose():
    wanted = os.environ.get("FASTBP_KERNELS", "auto").lower()
    if wanted not in ("auto", *BACKENDS):
        raise ImportError(f"FASTBP_KERNELS must be 'auto' or one of {list(BACKENDS)}, "
                          f"got {wanted!r}")
    if wanted != "auto":
        return get(wanted)
    for name in ("avx512", "avx2"):
        try:
            return get(name)
        except ImportError:  # not on this CPU, or a build without that set
            pass
    return get("baseline")


_active = _choose()


def active():
    """The backend in use."""
    return _active


@contextlib.contextmanager
def _restoring(previous):
    global _active
    try:
        yield _active
    finally:
        _active = previous


def use(name):
    """Switch the whole process to backend ``name``.  Used as a context
    manager (``with use("numpy"): ...``), it switches back on exit."""
    global _active
    backend, previous = get(name), _active
    _active = backend
    return _restoring(previous)
