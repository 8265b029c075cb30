"""Dense rows of sparse input, a chunk at a time, for the passes that do not
train (prediction, validation loss, L-BFGS's objective)."""
import numpy as np
import scipy.sparse as sp


def dense_rows(X, dtype, chunk=1024):
    """Yield (start, dense rows) of X: all of it when dense, ``chunk`` rows
    at a time when sparse (never the whole matrix dense)."""
    if not sp.issparse(X):
        yield 0, np.ascontiguousarray(X, dtype=dtype)
        return
    X = X.tocsr()
    for start in range(0, X.shape[0], chunk):
        yield start, np.ascontiguousarray(X[start: start + chunk].toarray(), dtype=dtype)
