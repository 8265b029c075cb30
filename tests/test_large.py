"""Data sets with more than 2**31 elements.

The kernels index rows with 64-bit Py_ssize_t offsets and hand BLAS only the
sizes of one pass of rows (each checked < 2**31), so such data works.  This
test proves it on memory-mapped sparse files (no real disk use, but the pages
are read): opt in with FASTBP_TEST_LARGE=1 (about 17 GB of address space).
"""
import os

import numpy as np
import pytest

import fastbp as fb

pytestmark = pytest.mark.skipif(
    os.environ.get("FASTBP_TEST_LARGE") != "1",
    reason="set FASTBP_TEST_LARGE=1 to run (reads ~17 GB of mapped zeros)")


def test_rows_beyond_two_to_the_31_are_read_where_they_are(tmp_path):
    n = 2**31 + 16
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(n, 1))
    Y = np.lib.format.open_memmap(tmp_path / "Y.npy", mode="w+", dtype=np.float32, shape=(n, 1))
    # only the last 16 rows, all past index 2**31, carry signal
    X[-16:, 0] = np.arange(1, 17)
    Y[-16:, 0] = 2 * np.arange(1, 17)
    X.flush()
    Y.flush()
    net = fb.MLP([1, 1], hidden=[], output="identity", loss="squared", dtype="float32",
                 init="zeros")
    dW, db = net.gradients(X, Y)
    # d/dw mean 1/2 (w x - y)^2 at w = 0: -mean(x y) = -sum(2 k^2) / n
    expected = -2 * sum(k * k for k in range(1, 17)) / n
    np.testing.assert_allclose(dW[0][0, 0], expected, rtol=1e-4)
    np.testing.assert_allclose(db[0][0], -2 * sum(range(1, 17)) / n, rtol=1e-4)
