"""The schedules that run over a fixed length: cosine annealing (with
optional warm restarts), one-cycle and polynomial decay.  Public as
``fastbp.schedules.CosineAnnealing``, ``OneCycle`` and ``Polynomial``.

Each is a closed form of ``t``, the rate PyTorch's scheduler of the same name
gives after ``t`` calls of ``scheduler.step()``.  Past its length each stays
at its last rate, where PyTorch would go on (cosine), raise (one-cycle) or
also stay (polynomial).
"""
import numpy as np

from fastbp._schedule_base import Schedule, check_length, floor_rate, positive
from fastbp._validation import check_bool, check_choice, check_int, check_real

__all__ = ["CosineAnnealing", "OneCycle", "Polynomial"]


class CosineAnnealing(Schedule):
    """min_lr + (lr - min_lr) (1 + cos(pi t / length)) / 2, then min_lr (or a restart).

    torch's ``CosineAnnealingLR(T_max=length, eta_min=min_lr)``, and with
    ``restarts=True`` its ``CosineAnnealingWarmRestarts(T_0=length,
    T_mult=length_mult, eta_min=min_lr)`` (SGDR, Loshchilov & Hutter 2017):
    after each period the rate jumps back to ``lr`` and the next period is
    ``length_mult`` times longer.

    Without restarts the rate stays at ``min_lr`` for t >= length.  (torch's
    CosineAnnealingLR instead follows the cosine on past T_max, back up to
    the initial rate at 2 T_max: rarely what anyone wants once the planned
    run is over.)

    Parameters
    ----------
    lr : float
        The rate at t = 0 (and at each restart).
    length : int
        Updates (or epochs, ``per="epoch"``) from ``lr`` down to ``min_lr``;
        with restarts, the first period.
    min_lr : float, default 0.0
        The lowest rate, in [0, lr].
    restarts : bool, default False
        Restart the cosine at ``lr`` after each period.
    length_mult : int, default 1
        With restarts, each period is this many times the previous one (>= 1).
    per : {"step", "epoch"}, default "step"
    """

    def __init__(self, lr, length, min_lr=0.0, restarts=False, length_mult=1, per="step"):
        super().__init__(lr, per)
        self.length = check_length("length", length)
        self.min_lr = floor_rate("min_lr", min_lr, self.lr)
        self.restarts = check_bool("restarts", restarts)
        self.length_mult = check_int("length_mult", length_mult, 1)
        if self.length_mult != 1 and not self.restarts:
            raise ValueError(f"length_mult={length_mult} needs restarts=True: without restarts "
                             f"there is one period")

    def _position(self, t):
        """(t since the current period began, the current period's length)."""
        first, mult = float(self.length), float(self.length_mult)
        if not self.restarts:
            return np.minimum(t, first), first
        if self.length_mult == 1:
            return np.mod(t, first), first
        # period k starts at first (mult^k - 1) / (mult - 1); the logarithm
        # can land a rounding off a whole k, so step k to the period holding t
        k = np.floor(np.log1p(t / first * (mult - 1.0)) / np.log(mult))

        def start(k):
            return first * (mult ** k - 1.0) / (mult - 1.0)

        k = np.where(t < start(k), k - 1.0, k)
        k = np.where(t >= start(k + 1.0), k + 1.0, k)
        return t - start(k), first * mult ** k

    def _rate(self, t):
        since, period = self._position(t)
        return self.min_lr + (self.lr - self.min_lr) * (1.0 + np.cos(np.pi * since / period)) / 2.0


class OneCycle(Schedule):
    """lr / div_factor rising to lr, then annealing to lr / div_factor / final_div_factor.

    torch's ``OneCycleLR(max_lr=lr, total_steps=length, ...)`` with
    ``cycle_momentum=False`` (Smith & Topin 2017): the rate rises from
    ``lr / div_factor`` to the peak ``lr`` in the first ``pct_start`` of the
    run, then anneals to ``lr / div_factor / final_div_factor`` at update
    ``length - 1``.  ``three_phase`` comes back down to ``lr / div_factor``
    symmetrically before the final anneal.  The momentum cycling of
    torch's version is not done: an optimizer's momentum stays as set.

    After ``length - 1`` the rate stays at its final value (torch raises an
    error past ``total_steps``).

    Parameters
    ----------
    lr : float
        The peak rate (torch's ``max_lr``).
    length : int
        Updates (or epochs) in the cycle (torch's ``total_steps``).
    pct_start : float, default 0.3
        Fraction of the cycle spent rising, in (0, 1).
    anneal_strategy : {"cos", "linear"}, default "cos"
    div_factor : float, default 25.0
        The initial rate is ``lr / div_factor``.
    final_div_factor : float, default 1e4
        The final rate is the initial one divided by this.
    three_phase : bool, default False
    per : {"step", "epoch"}, default "step"
    """

    def __init__(self, lr, length, pct_start=0.3, anneal_strategy="cos", div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, per="step"):
        super().__init__(lr, per)
        self.length = check_length("length", length)
        self.pct_start = check_real("pct_start", pct_start, 0.0, 1.0, True, True)
        self.anneal_strategy = check_choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.div_factor = positive("div_factor", div_factor)
        self.final_div_factor = positive("final_div_factor", final_div_factor)
        self.three_phase = check_bool("three_phase", three_phase)
        ends = [end for end, _, _ in self._phases()]
        if ends[0] <= 0:
            raise ValueError(
                f"pct_start * length must be > 1 so that the rise has at least one update, got "
                f"pct_start={self.pct_start} and length={self.length}")
        if ends[-1] <= ends[-2]:
            raise ValueError(
                f"pct_start={self.pct_start} leaves no updates for the last phase of a "
                f"{'three' if self.three_phase else 'two'}-phase cycle of length {self.length}")

    def _phases(self):
        """[(last update of the phase, its first rate, its last rate)], as torch lays them out."""
        initial = self.lr / self.div_factor
        final = initial / self.final_div_factor
        rise = self.pct_start * self.length - 1.0
        if self.three_phase:
            return [(rise, initial, self.lr),
                    (2.0 * self.pct_start * self.length - 2.0, self.lr, initial),
                    (self.length - 1.0, initial, final)]
        return [(rise, initial, self.lr), (self.length - 1.0, self.lr, final)]

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1.0)
        return (end - start) * pct + start

    def _rate(self, t):
        rate = np.zeros_like(t)
        begin, done = 0.0, np.zeros(t.shape, dtype=bool)
        phases = self._phases()
        for i, (end, first, last) in enumerate(phases):
            here = ~done if i == len(phases) - 1 else ~done & (t <= end)
            pct = np.clip((t - begin) / (end - begin), 0.0, 1.0)
            rate = np.where(here, self._anneal(first, last, pct), rate)
            begin, done = end, done | here
        return rate


class Polynomial(Schedule):
    """end_lr + (lr - end_lr) (1 - min(t, length) / length) ** power.

    torch's ``PolynomialLR(total_iters=length, power=power)`` when
    ``end_lr`` is 0 (its only end), Keras's ``PolynomialDecay(lr, length,
    end_lr, power)`` otherwise.  The rate stays at ``end_lr`` from t =
    ``length`` on: with the default end 0, training makes no progress after
    that, so give the schedule the whole run (the command line does).

    Parameters
    ----------
    lr : float
        The rate at t = 0.
    length : int
        Updates (or epochs) to reach ``end_lr``.
    power : float, default 1.0
        The exponent, > 0 (1 is a linear decay).
    end_lr : float, default 0.0
        The final rate, in [0, lr].
    per : {"step", "epoch"}, default "step"
    """

    def __init__(self, lr, length, power=1.0, end_lr=0.0, per="step"):
        super().__init__(lr, per)
        self.length = check_length("length", length)
        self.power = positive("power", power)
        self.end_lr = floor_rate("end_lr", end_lr, self.lr)

    def _rate(self, t):
        left = 1.0 - np.minimum(t, self.length) / self.length
        return self.end_lr + (self.lr - self.end_lr) * left ** self.power
