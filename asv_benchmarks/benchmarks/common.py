"""Seeded data shared by the benchmarks (cached: built once per process)."""
import functools

import numpy as np


@functools.lru_cache(maxsize=None)
def classification(n_samples, n_features, n_classes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_classes, n_features))
    y = rng.integers(0, n_classes, n_samples)
    X = (centers[y] + rng.normal(size=(n_samples, n_features))).astype(dtype)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@functools.lru_cache(maxsize=None)
def regression(n_samples, n_features, n_outputs, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, n_features)).astype(dtype)
    Y = rng.random((n_samples, n_outputs)).astype(dtype)
    X.setflags(write=False)
    Y.setflags(write=False)
    return X, Y
