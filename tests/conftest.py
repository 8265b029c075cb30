"""Fixtures: the dtype and the kernel backend every parametrized test runs over.
Helpers that tests import are in helpers.py."""
import numpy as np
import pytest

from fastbp import _kernels


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture(params=_kernels.available())
def backend(request):
    """Each kernel backend this machine runs (portable, AVX2, NumPy), in turn:
    the kernel, network, training and optimizer tests use it for every test."""
    with _kernels.use(request.param):
        yield _kernels.active()
