"""Learning-rate schedules.

A schedule is a pure function from a counter ``t`` to a learning rate.  ``t``
counts optimizer updates from 0, or epochs from 0 for a schedule built with
``per="epoch"``.  The training loop evaluates the schedule for every step of an
epoch at once, as an array (one value when the rate is constant over the
epoch), and hands it to the compiled loop.

Schedules are small picklable objects (no closures), usable wherever an
optimizer takes ``lr``::

    fb.SGD(lr=fb.schedules.InverseTimeDecay(0.5, k=1e-3))
"""
import numbers

import numpy as np

from fastbp._validation import check_real

__all__ = [
    "Schedule",
    "Constant",
    "StepDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "InverseScaling",
    "Scaled",
    "as_schedule",
]


def _positive(name, value):
    return check_real(name, value, 0.0, low_open=True)


def _non_negative(name, value):
    return check_real(name, value, 0.0)


class Schedule:
    """Base class: subclasses define ``_rate(t)`` over a float64 array ``t``."""

    per = "step"
    constant = False  # True when the rate never changes

    def __init__(self, lr, per="step"):
        self.lr = _positive("lr", lr)
        if per not in ("step", "epoch"):
            raise ValueError(f"per must be 'step' or 'epoch', got {per!r}")
        self.per = per

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


class Constant(Schedule):
    """lr, whatever t."""

    constant = True

    def _rate(self, t):
        return np.full_like(t, self.lr)


class StepDecay(Schedule):
    """lr * factor ** floor(t / every).

    Counts epochs by default (multiply by ``factor`` every ``every`` epochs);
    ``per="step"`` counts updates instead.
    """

    def __init__(self, lr, factor=0.5, every=10, per="epoch"):
        super().__init__(lr, per)
        self.factor = check_real("factor", factor, 0.0, 1.0, low_open=True)
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"every must be an integer >= 1, got {every!r}")
        self.every = int(every)

    def _rate(self, t):
        return self.lr * self.factor ** np.floor(t / self.every)


class ExponentialDecay(Schedule):
    """lr * exp(-k t)."""

    def __init__(self, lr, k, per="step"):
        super().__init__(lr, per)
        self.k = _non_negative("k", k)

    def _rate(self, t):
        return self.lr * np.exp(-self.k * t)


class InverseTimeDecay(Schedule):
    """lr / (1 + k t)."""

    def __init__(self, lr, k, per="step"):
        super().__init__(lr, per)
        self.k = _non_negative("k", k)

    def _rate(self, t):
        return self.lr / (1.0 + self.k * t)


class InverseScaling(Schedule):
    """lr / (t + 1) ** power (scikit-learn's 'invscaling' counts t from 1)."""

    def __init__(self, lr, power=0.5, per="step"):
        super().__init__(lr, per)
        self.power = _non_negative("power", power)

    def _rate(self, t):
        return self.lr / (t + 1.0) ** self.power


class Scaled(Schedule):
    """``scale`` times another schedule's rate.

    What ReduceLROnPlateau puts in an optimizer's ``lr``: the wrapped schedule
    keeps its shape (decay, per-epoch counting), only its level changes.
    Scaling a Scaled schedule rescales the wrapped one instead of nesting.
    """

    def __init__(self, schedule, scale):
        if not isinstance(schedule, Schedule):
            raise TypeError(
                f"schedule must be a fastbp.schedules.Schedule, got {type(schedule).__name__}")
        scale = _positive("scale", scale)
        if isinstance(schedule, Scaled):
            schedule, scale = schedule.schedule, scale * schedule.scale
            if not scale < float("inf"):
                raise ValueError(f"scale {scale} of the nested Scaled schedules is not finite")
        self.schedule, self.scale = schedule, scale
        self.per = schedule.per

    def _params(self):
        return {"schedule": self.schedule, "scale": self.scale}

    @property
    def lr(self):
        """The initial rate: the wrapped schedule's, scaled."""
        return self.scale * self.schedule.lr

    def _rate(self, t):
        return self.scale * self.schedule._rate(t)


def as_schedule(lr):
    """A Schedule from a Schedule or a positive number (a constant rate)."""
    if isinstance(lr, Schedule):
        return lr
    if isinstance(lr, numbers.Real) and not isinstance(lr, bool):
        return Constant(lr)
    raise TypeError(
        f"lr must be a positive number or a fastbp.schedules.Schedule, got {type(lr).__name__}"
    )
