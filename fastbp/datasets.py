"""Small generated data sets that ship with fastbp (no downloads)."""
import numpy as np

__all__ = ["xor", "spirals"]


def xor():
    """The four XOR examples: X (4, 2) of 0/1 inputs, y (4,) of 0/1 targets."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array([0, 1, 1, 0], dtype=np.float64)


def spirals(n_per_class=100, n_classes=2, turns=1.0, noise=0.02, seed=0):
    """Interleaved spiral arms, one per class, in the unit disc.

    Returns X (n_per_class * n_classes, 2) and integer labels y.  Not linearly
    separable: a network needs hidden units to classify it.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0.1, 1.0, n_per_class)
    X, y = [], []
    for k in range(n_classes):
        angle = 2 * np.pi * (turns * t + k / n_classes)
        X.append(np.c_[t * np.cos(angle), t * np.sin(angle)])
        y.append(np.full(n_per_class, k))
    X = np.concatenate(X) + rng.normal(scale=noise, size=(n_per_class * n_classes, 2))
    return X, np.concatenate(y)
