"""The fixed cost of a fit call: everything but the epochs' arithmetic, on
W2's network (64-100-10 ReLU/softmax, Adam, batch 200), measured as
benchmarks/fit_overhead.py measures it (its scenarios and formula are used
here): with T = fixed + epochs * per_epoch, fixed = (K T1 - TK) / (K - 1)
from interleaved fit(epochs=1) and fit(epochs=K) calls.

track_fixed_cost reports that in microseconds (median of interleaved
rounds); time_fit_10_rows times a whole one-epoch fit on a 10-row slice,
nearly all of it overhead; time_partial_fit a scikit-learn-style
partial_fit on a 200-row batch.
"""
from .common import DTYPES, W2, data, load

fit_overhead = load("fit_overhead")


class FitOverhead:
    params = (DTYPES, ["same data", "new optimizer", "200-row batches"])
    param_names = ["dtype", "scenario"]
    rounds = 40

    def setup(self, dtype, scenario):
        X, y = data(W2, dtype)
        options = {"new optimizer": {"new_optimizer": True},
                   "200-row batches": {"rows": 200}}.get(scenario, {})
        self.scenario = fit_overhead.Scenario(scenario, X, y, dtype, **options)

    def track_fixed_cost(self, dtype, scenario):
        t1, tk = fit_overhead.measure(self.scenario, self.rounds)
        return (fit_overhead.K * t1 - tk) / (fit_overhead.K - 1)

    track_fixed_cost.unit = "us"


class SmallFit:
    """A call with next to no arithmetic: what a partial_fit loop pays per call."""

    params = (DTYPES,)
    param_names = ["dtype"]

    def setup(self, dtype):
        X, y = data(W2, dtype)
        self.tiny = fit_overhead.Scenario("10 rows", X, y, dtype, rows=10)

    def time_fit_10_rows(self, dtype):
        self.tiny(1)


class PartialFit:
    """MLPClassifier.partial_fit on consecutive 200-row batches."""

    params = (DTYPES,)
    param_names = ["dtype"]

    def setup(self, dtype):
        try:
            import sklearn  # noqa: F401
        except ImportError:
            raise NotImplementedError("scikit-learn is not installed") from None
        self.partial = fit_overhead.PartialFit(*data(W2, dtype), dtype)

    def time_partial_fit(self, dtype):
        self.partial(1)
