"""How many rows the kernels' activation and delta buffers hold, and dense
chunks of rows of sparse input."""
import numpy as np
import scipy.sparse as sp

# Buffers for one pass hold at most this many values per buffer: large data
# sets run through the network in chunks, so memory stays bounded.
_BUFFER_VALUES = 1 << 22


def rows_per_pass(n_rows, n_units, minimum=1024):
    """How many rows the activation buffers hold: the whole batch when it fits
    in _BUFFER_VALUES values (or has at most ``minimum`` rows), else chunks."""
    return int(max(1, min(n_rows, max(minimum, _BUFFER_VALUES // n_units))))


def dense_rows(X, dtype, chunk=1024):
    """Yield (start, dense rows) of X: all of it when dense, ``chunk`` rows
    at a time when sparse (never the whole matrix dense), for the passes that
    do not train (prediction, validation loss, L-BFGS's objective)."""
    if not sp.issparse(X):
        yield 0, np.ascontiguousarray(X, dtype=dtype)
        return
    X = X.tocsr()
    for start in range(0, X.shape[0], chunk):
        yield start, np.ascontiguousarray(X[start: start + chunk].toarray(), dtype=dtype)
