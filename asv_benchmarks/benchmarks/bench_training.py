"""Whole epochs of training, the workloads of benchmarks/workloads.py at
sizes where an epoch runs well under a second.

W1: the 3-2-1 sigmoid network of the worked example, per-example SGD.
W1b: 64-32-10 sigmoid, per-example SGD.
W2: digits-sized classification (1797 x 64), 100 ReLU units, softmax, Adam,
batch 200; and with batch 32, and with momentum SGD.
W3, W4: wide networks (784-256-128-10 with Adam; 1024-512-512-10 with
momentum SGD).
Threads: four small networks trained in four Python threads at once.
"""
import threading
import time

from .common import DTYPES, THREADS, W1, W2, W3, W4, W1b, data, workloads


class PerExample:
    params = (DTYPES, ["W1", "W1b"])
    param_names = ["dtype", "workload"]

    def setup(self, dtype, workload):
        self.w = {"W1": W1, "W1b": W1b}[workload]
        self.X, self.Y = data(self.w, dtype)
        self.net = self.w.network(dtype)
        self.start = self.net.params.copy()

    def _epoch(self):
        return self.w.fit(self.net, self.X, self.Y, self.w.optimizer.make())

    def time_epoch(self, dtype, workload):
        self._epoch()

    def peakmem_epoch(self, dtype, workload):
        self._epoch()

    def track_loss_after_one_epoch(self, dtype, workload):
        self.net.params = self.start
        return self._epoch().loss[-1]


class MiniBatch:
    """W2, and W2 with batch 32 and/or momentum SGD in place of Adam."""

    params = (DTYPES, [32, 200], ["sgd", "adam"])
    param_names = ["dtype", "batch_size", "optimizer"]
    optimizers = {"adam": W2.optimizer,
                  "sgd": workloads.OptimizerSpec("sgd", lr=0.05, momentum=0.9)}

    def setup(self, dtype, batch_size, optimizer):
        self.w = W2.replace(batch_size=batch_size, optimizer=self.optimizers[optimizer])
        self.X, self.y = data(W2, dtype)
        self.net = self.w.network(dtype)
        self.start = self.net.params.copy()

    def _fit(self, epochs=1):
        return self.w.fit(self.net, self.X, self.y, self.w.optimizer.make(), epochs=epochs)

    def time_epoch(self, dtype, batch_size, optimizer):
        self._fit()

    def peakmem_epoch(self, dtype, batch_size, optimizer):
        self._fit()

    def track_loss_after_five_epochs(self, dtype, batch_size, optimizer):
        self.net.params = self.start
        return self._fit(epochs=5).loss[-1]


class Wide:
    """W3 and W4 at a size that runs well under a second."""

    params = (DTYPES, ["W3", "W4"])
    param_names = ["dtype", "workload"]

    def setup(self, dtype, workload):
        self.w = {"W3": W3, "W4": W4}[workload]
        self.X, self.y = data(self.w, dtype)
        self.net = self.w.network(dtype)
        sizes = self.w.sizes
        self.flops = 6 * self.w.n * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))

    def _epoch(self):
        self.w.fit(self.net, self.X, self.y, self.w.optimizer.make())

    def time_epoch(self, dtype, workload):
        self._epoch()

    def peakmem_epoch(self, dtype, workload):
        self._epoch()

    def track_gflops(self, dtype, workload):
        start = time.perf_counter()
        self._epoch()
        return self.flops / (time.perf_counter() - start) / 1e9

    track_gflops.unit = "GFLOP/s"


class Threads:
    """Four networks trained in four Python threads vs one after another:
    the epoch loop releases the GIL, so threads run in parallel."""

    params = (["sequential", "threads"],)
    param_names = ["mode"]

    def setup(self, mode):
        (dtype,) = THREADS.dtypes
        self.X, self.y = data(THREADS, dtype)
        self.nets = [THREADS.network(dtype, seed=s) for s in range(4)]

    def _train(self, net):
        THREADS.fit(net, self.X, self.y, THREADS.optimizer.make())

    def time_four_networks(self, mode):
        if mode == "sequential":
            for net in self.nets:
                self._train(net)
            return
        threads = [threading.Thread(target=self._train, args=(net,)) for net in self.nets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
