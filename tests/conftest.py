"""Fixtures: the dtype and the kernel backend every parametrized test runs over.
Helpers that tests import are in helpers.py."""
import importlib
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


# What the test extra installs (pyproject.toml): tests skip without these
# elsewhere, but in CI a skip would hide a broken install (dask-ml 2024.4, say,
# does not import next to scikit-learn 1.6+), so there they must import
TEST_EXTRA = ("PIL.Image", "dask.array", "dask.dataframe", "dask_ml.wrappers", "distributed",
              "hypothesis", "matplotlib", "onnx", "onnxruntime", "pandas", "pyarrow",
              "skl2onnx", "sklearn", "tqdm")


def pytest_sessionstart(session):  # noqa: ARG001 - pytest's hook signature
    if os.environ.get("CI") != "true":
        return
    broken = []
    for name in TEST_EXTRA:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - any failure to import is reported
            broken.append(f"{name}: {type(err).__name__}: {err}")
    if broken:
        pytest.exit("CI: the test extra did not install what the tests need:\n  "
                    + "\n  ".join(broken), returncode=1)


@pytest.fixture(scope="module")
def client():
    """A dask client of two local worker processes of one thread each, as on a
    real cluster (every argument pickled); one cluster per test module."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each kernel backend this machine runs (portable, AVX2, NumPy), in turn:
    the kernel, network, training and optimizer tests use it for every test."""
    with _kernels.use(request.param):
        yield _kernels.active()
