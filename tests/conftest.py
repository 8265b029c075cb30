"""Fixtures: the dtype and the kernel backend every parametrized test runs over.
Helpers that tests import are in helpers.py."""
import os

import numpy as np
import pytest

from fastbp import _kernels

# FASTBP_TEST_BACKENDS=baseline,avx2 chooses the backends the backend fixture
# runs over (CI's sanitized run has no use for the NumPy one).  Default: all
# but AVX-512, whose bits test_kernel_variants compares with the portable
# build's (running every test on a third build that must give the same bits
# would make the suite half as long again).
_WANTED = os.environ.get("FASTBP_TEST_BACKENDS", "")
BACKENDS = [b for b in _kernels.available()
            if (b in _WANTED.split(",") if _WANTED else b != "avx512")]


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each kernel backend this machine runs (portable, AVX2, NumPy), in turn:
    the kernel, network, training and optimizer tests use it for every test."""
    with _kernels.use(request.param):
        yield _kernels.active()
