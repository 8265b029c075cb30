"""Whole epochs of training, at sizes that each run well under a second.

W1: the 3-2-1 sigmoid network of the worked example, per-example SGD.
W1b: 64-32-10 sigmoid, per-example SGD.
W2: digits-sized classification (1797 x 64), 100 ReLU units, softmax, Adam, batch 200.
"""
import fastbp as fb

from .common import classification, regression


class PerExample:
    params = (["float64", "float32"], ["3-2-1", "64-32-10"])
    param_names = ["dtype", "network"]

    def setup(self, dtype, network):
        sizes = [int(s) for s in network.split("-")]
        n = 100_000 if sizes[0] == 3 else 10_000
        self.X, self.Y = regression(n, sizes[0], sizes[-1], dtype)
        self.net = fb.MLP(sizes, hidden="sigmoid", output="sigmoid", loss="squared",
                          dtype=dtype, seed=0)
        self.start = self.net.params.copy()

    def time_epoch(self, dtype, network):
        self.net.fit(self.X, self.Y, optimizer=fb.SGD(lr=0.5), epochs=1, batch_size=1)

    def peakmem_epoch(self, dtype, network):
        self.net.fit(self.X, self.Y, optimizer=fb.SGD(lr=0.5), epochs=1, batch_size=1)

    def track_loss_after_one_epoch(self, dtype, network):
        self.net.params = self.start
        return self.net.fit(self.X, self.Y, optimizer=fb.SGD(lr=0.5), epochs=1, batch_size=1).loss[-1]


class MiniBatch:
    params = (["float64", "float32"], [32, 200], ["sgd", "adam"])
    param_names = ["dtype", "batch_size", "optimizer"]

    def setup(self, dtype, batch_size, optimizer):
        self.X, self.y = classification(1797, 64, 10, dtype)
        self.net = fb.MLP([64, 100, 10], hidden="relu", output="softmax", loss="cross_entropy",
                          init="he_uniform", dtype=dtype, seed=0)
        self.start = self.net.params.copy()

    def _fit(self, optimizer, batch_size, epochs=1):
        opt = fb.Adam(lr=1e-3) if optimizer == "adam" else fb.SGD(lr=0.05, momentum=0.9)
        return self.net.fit(self.X, self.y, optimizer=opt, epochs=epochs, batch_size=batch_size,
                            shuffle=True, seed=0)

    def time_epoch(self, dtype, batch_size, optimizer):
        self._fit(optimizer, batch_size)

    def peakmem_epoch(self, dtype, batch_size, optimizer):
        self._fit(optimizer, batch_size)

    def track_loss_after_five_epochs(self, dtype, batch_size, optimizer):
        self.net.params = self.start
        return self._fit(optimizer, batch_size, epochs=5).loss[-1]
