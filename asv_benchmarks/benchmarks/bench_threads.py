"""One fit on 1 and 2 threads (``fastbp.set_num_threads``): W2 (digits,
batch 200: four parts of 50 rows) and W3 (784-256-128-10, batch 128: four
parts of 32 rows).  The results are the same bits either way; the ratio of
the two times is the thread scaling.  BLAS runs on one thread throughout
(fastbp limits it while its own threads train, when threadpoolctl is there).
Commits before n_threads skip this suite."""
import fastbp as fb

from .common import W2, W3, data


class ThreadScaling:
    params = (["W2", "W3"], [1, 2])
    param_names = ["workload", "n_threads"]
    timeout = 120

    def setup(self, workload, n_threads):
        if not hasattr(fb, "set_num_threads"):
            raise NotImplementedError("this commit has no n_threads")
        self.w = {"W2": W2, "W3": W3}[workload]
        self.X, self.Y = data(self.w, "float64")
        self.net = self.w.network("float64")
        fb.set_num_threads(n_threads)

    def teardown(self, workload, n_threads):
        if hasattr(fb, "set_num_threads"):
            fb.set_num_threads(None)  # back to the default

    def time_epoch(self, workload, n_threads):
        self.w.fit(self.net, self.X, self.Y, self.w.optimizer.make())
