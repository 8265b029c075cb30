"""Compiled kernels (Cython).  Private: use the names exported by ``fastbp``.

On x86-64 the kernels are built twice from one source: for any x86-64 CPU
(``fastbp._kernels._network`` etc.) and with AVX2 (``fastbp._kernels._avx2``),
whose loops run 4 doubles (8 floats) per instruction instead of 2 (4).  Both
give the same bits (no fused multiply-adds in either).  This module picks the
AVX2 set when the CPU has AVX2 and ``FASTBP_KERNELS`` is not ``baseline``, and
exposes the chosen modules as ``network``, ``optimizers``, ``train`` and
``activations``; the rest of fastbp imports them from here, never directly.
"""
import importlib
import os


def _cpu_has_avx2():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return bool(__cpu_features__.get("AVX2"))


def _load(variant):
    package = {"avx2": "fastbp._kernels._avx2", "baseline": "fastbp._kernels"}[variant]
    return [importlib.import_module(f"{package}.{name}")
            for name in ("_activations", "_network", "_optimizers", "_train")]


def _choose():
    wanted = os.environ.get("FASTBP_KERNELS", "auto").lower()
    if wanted not in ("auto", "avx2", "baseline"):
        raise ImportError(f"FASTBP_KERNELS must be 'auto', 'avx2' or 'baseline', got {wanted!r}")
    if wanted == "baseline" or (wanted == "auto" and not _cpu_has_avx2()):
        return "baseline", _load("baseline")
    try:
        return "avx2", _load("avx2")
    except ImportError:
        if wanted == "avx2":
            raise
        return "baseline", _load("baseline")  # a build without the AVX2 set


VARIANT, (activations, network, optimizers, train) = _choose()
