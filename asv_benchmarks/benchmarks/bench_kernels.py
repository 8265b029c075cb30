"""Kernels: forward pass, gradient (forward + backward), optimizer update."""
import numpy as np

import fastbp as fb
from fastbp._kernels import optimizers as _optimizers

from .common import classification


class Network:
    params = (["float64", "float32"], [1, 32, 256], [16, 256])
    param_names = ["dtype", "batch", "width"]

    def setup(self, dtype, batch, width):
        self.X, self.y = classification(batch, 64, 10, dtype)
        self.net = fb.MLP([64, width, width, 10], hidden="relu", output="softmax",
                          loss="cross_entropy", dtype=dtype, seed=0)

    def time_forward(self, dtype, batch, width):
        self.net.forward(self.X)

    def time_gradients(self, dtype, batch, width):
        self.net.gradients(self.X, self.y)


class Update:
    params = (["float64", "float32"], ["sgd", "momentum", "adagrad", "rmsprop", "adam"], [10_000, 1_000_000])
    param_names = ["dtype", "optimizer", "n_params"]

    def setup(self, dtype, optimizer, n_params):
        rng = np.random.default_rng(0)
        self.p = rng.normal(size=n_params).astype(dtype)
        self.g = rng.normal(size=n_params).astype(dtype)
        self.s1, self.s2 = np.zeros_like(self.p), np.zeros_like(self.p)
        self.rule = {"sgd": _optimizers.Rule.SGD, "momentum": _optimizers.Rule.MOMENTUM,
                     "adagrad": _optimizers.Rule.ADAGRAD, "rmsprop": _optimizers.Rule.RMSPROP,
                     "adam": _optimizers.Rule.ADAM}[optimizer]

    def time_update(self, dtype, optimizer, n_params):
        _optimizers.update(self.rule, self.p, self.g, self.s1, self.s2, 1e-3, 1e-8, 0.9, 0.999)
