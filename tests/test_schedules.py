import math
import pickle

import numpy as np
import pytest

from fastbp import schedules as S


@pytest.mark.parametrize("sched,t,expected", [
    (S.Constant(0.3), [0, 5, 1000], [0.3, 0.3, 0.3]),
    (S.StepDecay(0.8, factor=0.5, every=3), [0, 2, 3, 5, 6, 9], [0.8, 0.8, 0.4, 0.4, 0.2, 0.1]),
    (S.ExponentialDecay(2.0, k=0.1), [0, 1, 10], [2.0, 2 * math.exp(-0.1), 2 * math.exp(-1)]),
    (S.InverseTimeDecay(1.0, k=0.5), [0, 1, 4], [1.0, 1 / 1.5, 1 / 3]),
    (S.InverseScaling(0.1, power=0.5), [0, 3, 99], [0.1, 0.05, 0.01]),
])
def test_schedule_values(sched, t, expected):
    np.testing.assert_allclose(sched(np.array(t)), expected, rtol=1e-15)
    assert sched(t[1]) == pytest.approx(expected[1], rel=1e-15)


def test_rates_count_steps_or_epochs():
    per_step = S.InverseTimeDecay(1.0, k=1.0)
    np.testing.assert_allclose(per_step.rates(first_step=10, n_steps=3, epoch=99),
                               [1 / 11, 1 / 12, 1 / 13])
    per_epoch = S.InverseTimeDecay(1.0, k=1.0, per="epoch")
    # the same rate for every step of the epoch comes back once
    np.testing.assert_allclose(per_epoch.rates(first_step=10, n_steps=3, epoch=2), [1 / 3])
    np.testing.assert_allclose(S.Constant(0.2).rates(first_step=10, n_steps=3, epoch=2), [0.2])
    # StepDecay counts epochs unless told otherwise
    assert S.StepDecay(1.0, 0.5, 2).per == "epoch"
    np.testing.assert_allclose(S.StepDecay(1.0, 0.5, 2, per="step").rates(0, 5, 0),
                               [1, 1, 0.5, 0.5, 0.25])


@pytest.mark.parametrize("sched", [S.Constant(0.1), S.StepDecay(0.1, 0.3, 4),
                                   S.ExponentialDecay(0.1, 0.01),
                                   S.InverseTimeDecay(0.1, 0.2, per="epoch"),
                                   S.InverseScaling(0.1, 0.25)])
def test_schedules_pickle_and_compare(sched):
    clone = pickle.loads(pickle.dumps(sched))
    assert clone == sched and hash(clone) == hash(sched)
    np.testing.assert_array_equal(clone.rates(3, 4, 1), sched.rates(3, 4, 1))
    assert repr(clone) == repr(sched)


@pytest.mark.parametrize("make,err,match", [
    (lambda: S.Constant(0), ValueError, "lr must be a finite number > 0"),
    (lambda: S.Constant(float("inf")), ValueError, "lr"),
    (lambda: S.StepDecay(0.1, factor=0), ValueError, "factor"),
    (lambda: S.StepDecay(0.1, factor=1.5), ValueError, r"factor must be in \(0.0, 1.0\]"),
    (lambda: S.StepDecay(0.1, every=0), ValueError, "every must be an integer >= 1"),
    (lambda: S.StepDecay(0.1, every=2.5), ValueError, "every"),
    (lambda: S.ExponentialDecay(0.1, k=-1), ValueError, "k must be a finite number >= 0"),
    (lambda: S.InverseScaling(0.1, power=float("nan")), ValueError, "power"),
    (lambda: S.InverseTimeDecay(0.1, k=1, per="batch"), ValueError,
     "per must be 'step' or 'epoch'"),
    (lambda: S.as_schedule("0.1"), TypeError,
     "lr must be a positive number or a fastbp.schedules.Schedule"),
])
def test_bad_schedules_are_refused(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_negative_counter_is_refused():
    with pytest.raises(ValueError, match="t must be >= 0"):
        S.Constant(0.1)(-1)
