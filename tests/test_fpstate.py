"""Training flushes subnormal numbers to zero (they slow x86 arithmetic many
times over) and gives the caller back its floating-point state."""
import numpy as np
import pytest

import fastbp as fb
from fastbp import _kernels

COMPILED = [b for b in ("baseline", "avx2", "avx512") if b in _kernels.available()]


@pytest.mark.parametrize("backend_name", COMPILED)
@pytest.mark.parametrize("batch_size, n_threads", [(1, 1), (4, 1), (128, 2)])
def test_subnormal_weights_are_flushed_and_the_caller_keeps_its_state(
        backend_name, batch_size, n_threads):
    tiny = np.float32(1e-40)  # a float32 subnormal
    assert 0 < tiny < np.finfo(np.float32).tiny
    net = fb.MLP([3, 2, 1], seed=0, dtype="float32")
    net.params[:] = tiny
    # zero inputs: the first layer's weights get a zero gradient, so only the
    # flush can change them (w - lr * 0 reads w as 0 with DAZ)
    X, Y = np.zeros((128, 3), np.float32), np.ones((128, 1), np.float32)
    first = slice(0, 6)  # W_1 (3 x 2)
    with _kernels.use(backend_name):
        net.fit(X, Y, optimizer=fb.SGD(lr=0.1), batch_size=batch_size, shuffle=False,
                n_threads=n_threads)
    assert np.all(net.params[first] == 0)
    # the process's own arithmetic still has subnormals
    assert np.float32(1e-38) * np.float32(1e-2) > 0
    assert np.multiply(np.full(4, 1e-38, np.float32), np.float32(1e-2)).min() > 0


def test_the_numpy_reference_does_not_flush():
    net = fb.MLP([3, 2, 1], seed=0, dtype="float32")
    net.params[:] = np.float32(1e-40)
    with _kernels.use("numpy"):
        net.fit(np.zeros((8, 3), np.float32), np.ones((8, 1), np.float32),
                optimizer=fb.SGD(lr=0.1), batch_size=1, shuffle=False)
    assert np.all(net.params[:6] == np.float32(1e-40))
