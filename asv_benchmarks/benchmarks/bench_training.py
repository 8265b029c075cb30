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


class Wide:
    """W3 and W4 shapes at a size that runs well under a second: 784 inputs,
    hidden (256, 128), Adam, batch 128 (W3); 1024 inputs, hidden
    (width, width), SGD momentum 0.9, batch 256 (W4-like)."""

    params = (["float64", "float32"], ["W3", "W4"])
    param_names = ["dtype", "workload"]

    def setup(self, dtype, workload):
        if workload == "W3":
            self.X, self.y = classification(2048, 784, 10, dtype)
            sizes, self.batch = [784, 256, 128, 10], 128
            self.opt = lambda: fb.Adam(lr=1e-3)
        else:
            self.X, self.y = classification(1024, 1024, 10, dtype)
            sizes, self.batch = [1024, 512, 512, 10], 256
            self.opt = lambda: fb.SGD(lr=0.01, momentum=0.9)
        self.net = fb.MLP(sizes, hidden="relu", output="softmax", loss="cross_entropy",
                          init="he_uniform", dtype=dtype, seed=0)
        self.flops = 6 * self.X.shape[0] * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))

    def time_epoch(self, dtype, workload):
        self.net.fit(self.X, self.y, optimizer=self.opt(), batch_size=self.batch, shuffle=True, seed=0)

    def peakmem_epoch(self, dtype, workload):
        self.net.fit(self.X, self.y, optimizer=self.opt(), batch_size=self.batch, shuffle=True, seed=0)

    def track_gflops(self, dtype, workload):
        import time
        start = time.perf_counter()
        self.net.fit(self.X, self.y, optimizer=self.opt(), batch_size=self.batch, shuffle=True, seed=0)
        return self.flops / (time.perf_counter() - start) / 1e9

    track_gflops.unit = "GFLOP/s"


class Threads:
    """Four networks trained in four Python threads vs one after another:
    the epoch loop releases the GIL, so threads run in parallel."""

    params = (["sequential", "threads"],)
    param_names = ["mode"]

    def setup(self, mode):
        self.X, self.y = classification(4000, 32, 4, "float64")
        self.nets = [fb.MLP([32, 64, 4], hidden="relu", output="softmax", loss="cross_entropy",
                            seed=s) for s in range(4)]

    def _train(self, net):
        net.fit(self.X, self.y, optimizer=fb.Adam(lr=1e-3), epochs=2, batch_size=1)

    def time_four_networks(self, mode):
        import threading
        if mode == "sequential":
            for net in self.nets:
                self._train(net)
            return
        threads = [threading.Thread(target=self._train, args=(net,)) for net in self.nets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
