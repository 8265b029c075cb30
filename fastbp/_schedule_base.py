"""The base class of the learning-rate schedules (public as
``fastbp.schedules.Schedule``) and the argument checks they share.  A module of
its own so that ``fastbp.schedules`` and ``fastbp._annealing`` both build on it
without importing each other."""
import numpy as np

from fastbp._validation import check_int, check_real


def positive(name, value):
    return check_real(name, value, 0.0, low_open=True)


def non_negative(name, value):
    return check_real(name, value, 0.0)


def check_length(name, value):
    """A schedule length: a whole number of counter units, at least 1."""
    return check_int(name, value, 1)


def check_per(per):
    if per not in ("step", "epoch"):
        raise ValueError(f"per must be 'step' or 'epoch', got {per!r}")
    return per


def floor_rate(name, value, lr):
    """A lowest rate (where a decay ends) in [0, lr]."""
    return check_real(name, value, 0.0, lr)


class Schedule:
    """Base class: subclasses define ``_rate(t)`` over a float64 array ``t``."""

    per = "step"
    constant = False  # True when the rate never changes

    def __init__(self, lr, per="step"):
        self.lr = positive("lr", lr)
        self.per = check_per(per)

    def __call__(self, t):
        """The learning rate at counter ``t`` (a number or an array)."""
        t = np.asarray(t, dtype=np.float64)
        if np.any(t < 0):
            raise ValueError("the schedule counter t must be >= 0")
        rate = self._rate(t)
        return float(rate) if rate.ndim == 0 else rate

    def rates(self, first_step, n_steps, epoch):
        """Learning rates of the ``n_steps`` updates starting at update number
        ``first_step``, in epoch number ``epoch`` (both counted from 0).

        A rate that is the same for every step of the epoch (``per="epoch"``,
        or a constant) comes back as a one-element array: the compiled loop
        reads it for every step, and no per-step array is allocated.
        """
        if self.per == "epoch" or self.constant:
            return np.array([self._rate(np.float64(epoch))], dtype=np.float64)
        t = np.arange(first_step, first_step + n_steps, dtype=np.float64)
        return np.ascontiguousarray(self._rate(t), dtype=np.float64)

    def _params(self):
        return dict(vars(self))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self._params() == other._params()

    def __hash__(self):
        return hash((type(self), tuple(sorted(self._params().items()))))
