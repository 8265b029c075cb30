"""Learning-rate schedules.

A schedule is a pure function from a counter ``t`` to a learning rate.  ``t``
counts optimizer updates from 0, or epochs from 0 for a schedule built with
``per="epoch"``.  The training loop evaluates the schedule for every step of an
epoch at once, as an array (one value when the rate is constant over the
epoch), and hands it to the compiled loop.

Schedules are small picklable objects (no closures), usable wherever an
optimizer takes ``lr``::

    fb.SGD(lr=fb.schedules.InverseTimeDecay(0.5, k=1e-3))

:class:`Warmup` puts a linear warm-up in front of any of them::

    fb.Adam(lr=fb.schedules.Warmup(fb.schedules.CosineAnnealing(1e-3, length=5000), 500))

The schedules with a length (cosine annealing, one-cycle, polynomial) live in
``fastbp._annealing`` and are re-exported here.
"""
import numbers

import numpy as np

from fastbp._annealing import CosineAnnealing, OneCycle, Polynomial
from fastbp._schedule_base import Schedule, check_length, check_per, non_negative, positive
from fastbp._validation import check_real

__all__ = [
    "Schedule",
    "Constant",
    "StepDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "InverseScaling",
    "Scaled",
    "Warmup",
    "CosineAnnealing",
    "OneCycle",
    "Polynomial",
    "warmup_length",
    "as_schedule",
]


class Constant(Schedule):
    """lr, whatever t."""

    constant = True

    def _rate(self, t):
        return np.full_like(t, self.lr)

    def rates(self, first_step, n_steps, epoch):
        if type(self)._rate is not Constant._rate:  # a subclass with its own rule
            return super().rates(first_step, n_steps, epoch)
        return np.array([self.lr], dtype=np.float64)  # what _rate gives, made directly


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
        self.k = non_negative("k", k)

    def _rate(self, t):
        return self.lr * np.exp(-self.k * t)


class InverseTimeDecay(Schedule):
    """lr / (1 + k t)."""

    def __init__(self, lr, k, per="step"):
        super().__init__(lr, per)
        self.k = non_negative("k", k)

    def _rate(self, t):
        return self.lr / (1.0 + self.k * t)


class InverseScaling(Schedule):
    """lr / (t + 1) ** power (scikit-learn's 'invscaling' counts t from 1)."""

    def __init__(self, lr, power=0.5, per="step"):
        super().__init__(lr, per)
        self.power = non_negative("power", power)

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
        scale = positive("scale", scale)
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
        """The wrapped schedule's ``lr`` (its initial rate; a one-cycle's peak), scaled."""
        return self.scale * self.schedule.lr

    def _rate(self, t):
        return self.scale * self.schedule._rate(t)


class Warmup(Schedule):
    """A linear rise to another schedule's first rate, then that schedule from its t = 0.

    For t < ``length`` the rate is r0 (start_factor + (1 - start_factor) t /
    length), r0 being the wrapped schedule's rate at its t = 0; from t =
    ``length`` on it is the wrapped schedule's rate at t - length, so the
    wrapped schedule runs in full after the warm-up (a cosine still reaches
    its minimum ``length`` updates after the warm-up ends).  That is torch's
    ``SequentialLR([LinearLR(start_factor=start_factor, total_iters=length),
    X], milestones=[length])``.

    Parameters
    ----------
    schedule : Schedule or float
        What runs after the warm-up; a number is a constant rate.
    length : int
        How many counts the warm-up lasts, in the wrapped schedule's unit
        (updates, or epochs for a ``per="epoch"`` schedule).
    start_factor : float, default 0.1
        The first rate as a fraction of r0, in [0, 1].  0.1 keeps the first
        updates small without wasting them: 0 (Keras's and Hugging Face's
        warm-ups) makes the first update a no-op, and torch's LinearLR
        defaults to 1/3.
    per : {"step", "epoch"}, optional
        What a number ``schedule`` counts (default "step"); for a Schedule
        it is the schedule's own ``per``, and giving another is an error.
    """

    def __init__(self, schedule, length, start_factor=0.1, per=None):
        if per is not None:
            check_per(per)
        if isinstance(schedule, numbers.Real) and not isinstance(schedule, bool):
            schedule = Constant(schedule, per="step" if per is None else per)
        elif not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be a fastbp.schedules.Schedule or a positive number, "
                            f"got {type(schedule).__name__}")
        elif per is not None and per != schedule.per:
            raise ValueError(f"per={per!r} differs from the wrapped schedule's per="
                             f"{schedule.per!r}: the warm-up counts in the wrapped schedule's unit")
        self.schedule = schedule
        self.length = check_length("length", length)
        self.start_factor = check_real("start_factor", start_factor, 0.0, 1.0)
        self.per = schedule.per

    def _params(self):
        return {"schedule": self.schedule, "length": self.length,
                "start_factor": self.start_factor}

    @property
    def lr(self):
        """The wrapped schedule's ``lr`` (the rate the warm-up leads to, but
        for a one-cycle, whose ``lr`` is its peak)."""
        return self.schedule.lr

    def _rate(self, t):
        top = self.schedule._rate(np.float64(0.0))
        rising = top * (self.start_factor + (1.0 - self.start_factor) * t / self.length)
        after = self.schedule._rate(np.maximum(t - self.length, 0.0))
        return np.where(t < self.length, rising, after)


def warmup_length(schedule):
    """How long the warm-up of ``schedule`` lasts, in its counter's unit.

    Parameters
    ----------
    schedule : Schedule or float

    Returns
    -------
    int
        The counts (updates, or epochs when ``schedule.per == "epoch"``)
        before the warmed-up schedule begins: the sum of the lengths of its
        :class:`Warmup` wrappers, seen through :class:`Scaled`; 0 for a
        schedule without one or a number.  (The rise of :class:`OneCycle`
        is part of its cycle, not a warm-up.)
    """
    if isinstance(schedule, Warmup):
        return schedule.length + warmup_length(schedule.schedule)
    if isinstance(schedule, Scaled):
        return warmup_length(schedule.schedule)
    return 0


def as_schedule(lr):
    """A Schedule from a Schedule or a positive number (a constant rate)."""
    if isinstance(lr, Schedule):
        return lr
    if isinstance(lr, numbers.Real) and not isinstance(lr, bool):
        return Constant(lr)
    raise TypeError(
        f"lr must be a positive number or a fastbp.schedules.Schedule, got {type(lr).__name__}"
    )
