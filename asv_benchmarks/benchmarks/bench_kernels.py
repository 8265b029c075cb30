"""Kernels: forward pass, gradient (forward + backward), optimizer update.

Only the public API is used, so that asv can measure older commits too: the
update through ``Optimizer.step``, or, in commits before it existed, through
the kernel call that ``fit`` made then (skipped where neither is found).
"""
import numpy as np

import fastbp as fb

from .common import DTYPES, W2, classification


class Network:
    """W2's network (ReLU, softmax, cross-entropy) with two hidden layers of
    ``width`` units, on one batch."""

    params = (DTYPES, [1, 32, 256], [16, 256])
    param_names = ["dtype", "batch", "width"]

    def setup(self, dtype, batch, width):
        self.X, self.y = classification(batch, 64, 10, dtype)
        self.net = W2.replace(sizes=(64, width, width, 10)).network(dtype)

    def time_forward(self, dtype, batch, width):
        self.net.forward(self.X)

    def time_gradients(self, dtype, batch, width):
        self.net.gradients(self.X, self.y)


class Update:
    params = (DTYPES, ["sgd", "momentum", "adagrad", "rmsprop", "adam"], [10_000, 1_000_000])
    param_names = ["dtype", "optimizer", "n_params"]
    optimizers = {"sgd": fb.SGD, "momentum": lambda: fb.SGD(momentum=0.9), "adagrad": fb.AdaGrad,
                  "rmsprop": fb.RMSprop, "adam": fb.Adam}

    def setup(self, dtype, optimizer, n_params):
        rng = np.random.default_rng(0)
        self.p = rng.normal(size=n_params).astype(dtype)
        self.g = rng.normal(size=n_params).astype(dtype)
        opt = self.optimizers[optimizer]()
        if hasattr(opt, "step"):
            opt.step(self.p, self.g)  # the first step allocates the state: not timed
            self.update = lambda: opt.step(self.p, self.g)
        else:
            self.update = _older_update(opt.rule, self.p, self.g)

    def time_update(self, dtype, optimizer, n_params):
        self.update()


def _older_update(rule, p, g):
    """The update as commits before Optimizer.step called the kernel."""
    try:
        from fastbp import _kernels
        kernel = _kernels.active().update
    except (ImportError, AttributeError):
        raise NotImplementedError("no optimizer update entry point in this commit") from None
    s1, s2 = np.zeros_like(p), np.zeros_like(p)
    return lambda: kernel(rule, p, g, s1, s2, 1e-3, 1e-8, 0.9, 0.999)
