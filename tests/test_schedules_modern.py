"""Warm-up, cosine annealing (with restarts), one-cycle and polynomial
schedules: hand-computed values, step for step against
torch.optim.lr_scheduler when PyTorch is installed, their checks, and their
use in training."""
import math
import pickle
import warnings

import numpy as np
import pytest

import fastbp as fb
from fastbp import schedules as S

RTOL = 1e-12


# --- hand-computed values (these hold without PyTorch) ------------------------------------
def cos_rate(lr, low, since, period):
    return low + (lr - low) * (1 + math.cos(math.pi * since / period)) / 2


@pytest.mark.parametrize("sched,t,expected", [
    # cosine: lr at 0, the midpoint halfway, min_lr at the end, then min_lr (clamped)
    (S.CosineAnnealing(1.0, 10, min_lr=0.2), [0, 5, 10, 11, 1000], [1.0, 0.6, 0.2, 0.2, 0.2]),
    (S.CosineAnnealing(2.0, 4), [0, 1, 2, 3, 4], [2.0, 1 + 0.5**0.5, 1.0, 1 - 0.5**0.5, 0.0]),
    # restarts every 4: t = 4, 8 are restarts at lr
    (S.CosineAnnealing(1.0, 4, restarts=True), [0, 2, 4, 6, 8, 9],
     [1.0, 0.5, 1.0, 0.5, 1.0, cos_rate(1, 0, 1, 4)]),
    # periods 2, 4, 8 start at t = 0, 2, 6, 14
    (S.CosineAnnealing(1.0, 2, restarts=True, length_mult=2, min_lr=0.1),
     [0, 1, 2, 4, 5, 6, 10, 14, 20], [1.0, 0.55, 1.0, 0.55, cos_rate(1, 0.1, 3, 4), 1.0, 0.55,
                                      1.0, cos_rate(1, 0.1, 6, 16)]),
    # periods 3, 9, 27 start at t = 0, 3, 12, 39: the restarts land exactly on them
    (S.CosineAnnealing(1.0, 3, restarts=True, length_mult=3), [2, 3, 11, 12, 38, 39],
     [cos_rate(1, 0, 2, 3), 1.0, cos_rate(1, 0, 8, 9), 1.0, cos_rate(1, 0, 26, 27), 1.0]),
    # polynomial: linear by default, to end_lr, then end_lr
    (S.Polynomial(1.0, 4), [0, 1, 2, 4, 9], [1.0, 0.75, 0.5, 0.0, 0.0]),
    (S.Polynomial(1.0, 4, power=2.0, end_lr=0.2), [0, 2, 3, 4, 5], [1.0, 0.4, 0.25, 0.2, 0.2]),
    # one-cycle, length 10, pct_start 0.3: up from 0.04 to 1 over t = 0..2, down to
    # 0.04/1e4 over t = 2..9 (the phases end at updates 3 * 1 - 1 = 2 and 9)
    (S.OneCycle(1.0, 10, anneal_strategy="linear"), [0, 1, 2, 9, 12],
     [0.04, 0.52, 1.0, 4e-6, 4e-6]),
    (S.OneCycle(1.0, 10), [1, 2, 5.5], [0.52, 1.0, 4e-6 + (1 - 4e-6) / 2]),
    # three phases, length 10, pct_start 0.25: ends at 1.5, 3, 9
    (S.OneCycle(1.0, 10, pct_start=0.25, anneal_strategy="linear", div_factor=10,
                final_div_factor=100, three_phase=True),
     [0, 1.5, 3, 6, 9], [0.1, 1.0, 0.1, 0.0505, 0.001]),
])
def test_values_by_hand(sched, t, expected):
    np.testing.assert_allclose(sched(np.array(t, dtype=float)), expected, rtol=RTOL, atol=1e-15)


def test_warmup_rises_linearly_then_restarts_the_schedule_at_zero():
    inner = S.CosineAnnealing(0.8, 10, min_lr=0.1)
    w = S.Warmup(inner, 4, start_factor=0.25)
    # 0.8 (0.25 + 0.75 t / 4) for t < 4, then inner(t - 4)
    np.testing.assert_allclose(w(np.arange(4.0)), [0.2, 0.35, 0.5, 0.65], rtol=RTOL)
    np.testing.assert_allclose(w(np.arange(4.0, 20.0)), inner(np.arange(16.0)), rtol=RTOL)
    assert w.per == "step" and w.lr == 0.8 and S.warmup_length(w) == 4
    # the default start is a tenth of the rate; 0 is allowed (the first update is then a no-op)
    assert S.Warmup(inner, 5)(0) == pytest.approx(0.08, rel=RTOL)
    assert S.Warmup(inner, 5, start_factor=0.0)(0) == 0.0
    # a number is a constant rate, counting steps or, if asked, epochs
    np.testing.assert_allclose(S.Warmup(0.5, 2, start_factor=0.5)([0, 1, 2, 50]),
                               [0.25, 0.375, 0.5, 0.5], rtol=RTOL)
    by_epoch = S.Warmup(0.5, 2, per="epoch")
    assert by_epoch.schedule == S.Constant(0.5, per="epoch") and by_epoch.per == "epoch"
    np.testing.assert_allclose(by_epoch.rates(first_step=30, n_steps=7, epoch=1), [0.275])
    # a one-cycle's warm-up rises to its first rate, lr / div_factor
    one = S.OneCycle(1.0, 10, div_factor=4.0)
    np.testing.assert_allclose(S.Warmup(one, 2, start_factor=0.5)([0, 1, 2]),
                               [0.125, 0.1875, 0.25], rtol=RTOL)


def test_warmup_length_sees_through_scaled_and_nested_warmups():
    inner = S.Polynomial(0.1, 100, per="epoch")
    assert S.warmup_length(inner) == 0 and S.warmup_length(0.1) == 0
    assert S.warmup_length(S.OneCycle(0.1, 100)) == 0  # its rise is part of the cycle
    assert S.warmup_length(S.Scaled(S.Warmup(inner, 7), 0.5)) == 7
    assert S.warmup_length(S.Warmup(S.Warmup(inner, 3), 4)) == 7


def test_rates_per_step_or_per_epoch():
    per_step = S.Warmup(S.Polynomial(1.0, 8), 2, start_factor=0.5)
    np.testing.assert_allclose(per_step.rates(first_step=1, n_steps=3, epoch=0),
                               [0.75, 1.0, 0.875], rtol=RTOL)
    per_epoch = S.CosineAnnealing(1.0, 4, per="epoch")
    np.testing.assert_allclose(per_epoch.rates(first_step=99, n_steps=5, epoch=2), [0.5])


ALL = [S.Warmup(S.CosineAnnealing(0.1, 50, min_lr=1e-3, restarts=True, length_mult=2), 5),
       S.Warmup(0.3, 4, start_factor=0.0, per="epoch"),
       S.OneCycle(0.5, 40, pct_start=0.25, anneal_strategy="linear", three_phase=True),
       S.Polynomial(0.2, 30, power=0.5, end_lr=0.01, per="epoch"),
       S.Scaled(S.Warmup(S.OneCycle(0.5, 40), 3), 0.5)]


@pytest.mark.parametrize("sched", ALL, ids=repr)
def test_they_pickle_compare_and_show_their_arguments(sched):
    clone = pickle.loads(pickle.dumps(sched))
    assert clone == sched and hash(clone) == hash(sched)
    np.testing.assert_array_equal(clone.rates(3, 50, 4), sched.rates(3, 50, 4))
    assert repr(clone) == repr(sched) and "lambda" not in repr(sched)
    rebuilt = eval(repr(sched), {k: getattr(S, k) for k in S.__all__})  # noqa: S307 - our repr
    assert rebuilt == sched
    assert S.Warmup(0.3, 4) != S.Warmup(0.3, 5)


@pytest.mark.parametrize("make,err,match", [
    (lambda: S.CosineAnnealing(0.1, 0), ValueError, "length must be >= 1"),
    (lambda: S.CosineAnnealing(0.1, 10.0), TypeError, "length must be an integer"),
    (lambda: S.CosineAnnealing(0.1, 10, min_lr=0.2), ValueError,
     r"min_lr must be in \[0.0, 0.1\], got 0.2"),
    (lambda: S.CosineAnnealing(0.1, 10, min_lr=-1e-3), ValueError, "min_lr"),
    (lambda: S.CosineAnnealing(0.1, 10, restarts=1), TypeError, "restarts must be True or False"),
    (lambda: S.CosineAnnealing(0.1, 10, restarts=True, length_mult=0), ValueError,
     "length_mult must be >= 1"),
    (lambda: S.CosineAnnealing(0.1, 10, length_mult=2), ValueError,
     "length_mult=2 needs restarts=True"),
    (lambda: S.CosineAnnealing(0.1, 10, per="batch"), ValueError, "per must be 'step' or 'epoch'"),
    (lambda: S.OneCycle(0.1, 3), ValueError,
     r"pct_start \* length must be > 1 .* pct_start=0.3 and length=3"),
    (lambda: S.OneCycle(0.1, 100, pct_start=1.0), ValueError, r"pct_start must be in \(0.0, 1.0\)"),
    (lambda: S.OneCycle(0.1, 100, pct_start=0.6, three_phase=True), ValueError,
     "pct_start=0.6 leaves no updates for the last phase of a three-phase cycle"),
    (lambda: S.OneCycle(0.1, 100, anneal_strategy="exp"), ValueError,
     r"anneal_strategy must be one of \['cos', 'linear'\], got 'exp'"),
    (lambda: S.OneCycle(0.1, 100, div_factor=0), ValueError, "div_factor must be a finite number"),
    (lambda: S.OneCycle(0.1, 100, final_div_factor=-1), ValueError, "final_div_factor"),
    (lambda: S.OneCycle(0.0, 100), ValueError, "lr must be a finite number > 0"),
    (lambda: S.Polynomial(0.1, 10, power=0), ValueError, "power must be a finite number > 0"),
    (lambda: S.Polynomial(0.1, 10, end_lr=0.5), ValueError, r"end_lr must be in \[0.0, 0.1\]"),
    (lambda: S.Polynomial(0.1, -2), ValueError, "length must be >= 1"),
    (lambda: S.Warmup("0.1", 5), TypeError, "schedule must be a fastbp.schedules.Schedule or a "
                                            "positive number, got str"),
    (lambda: S.Warmup(-0.1, 5), ValueError, "lr must be a finite number > 0"),
    (lambda: S.Warmup(0.1, 0), ValueError, "length must be >= 1"),
    (lambda: S.Warmup(0.1, 5, start_factor=1.5), ValueError,
     r"start_factor must be in \[0.0, 1.0\]"),
    (lambda: S.Warmup(S.Polynomial(0.1, 9), 5, per="epoch"), ValueError,
     "per='epoch' differs from the wrapped schedule's per='step'"),
    (lambda: S.Warmup(0.1, 5, per="update"), ValueError, "per must be 'step' or 'epoch'"),
])
def test_bad_values_are_refused(make, err, match):
    with pytest.raises(err, match=match):
        make()


# --- in training ---------------------------------------------------------------------------
def test_fit_runs_a_warmed_up_cosine_per_step():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    net = fb.MLP([3, 6, 2], hidden="tanh", output="identity", loss="squared", seed=1)
    manual = net.copy()
    sched = S.Warmup(S.CosineAnnealing(0.2, 16, min_lr=0.01), 6, start_factor=0.2)
    epochs, batch, steps = 6, 5, 4  # 4 updates per epoch: the warm-up ends inside epoch 1
    history = net.fit(X, Y, optimizer=fb.SGD(lr=sched), epochs=epochs, batch_size=batch,
                      shuffle=False)
    # history.lr is the rate of each epoch's first update
    np.testing.assert_allclose(history.lr, sched(steps * np.arange(epochs)), rtol=RTOL)
    # every update used its own rate: the same batches stepped one by one agree
    opt, params = fb.SGD(lr=sched), manual.params.copy()
    for _ in range(epochs):
        for b in range(steps):
            manual.params = params
            dW, db = manual.gradients(X[b * batch:(b + 1) * batch], Y[b * batch:(b + 1) * batch])
            opt.step(params, np.concatenate([np.r_[w.ravel(), v] for w, v in zip(dW, db)]))
    np.testing.assert_allclose(net.params, params, rtol=1e-12, atol=1e-14)
    assert opt.t == epochs * steps


def test_the_estimators_take_a_schedule_as_learning_rate():
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    seen = []
    sched = S.Warmup(S.OneCycle(0.05, 40), 8)
    est = fb.MLPRegressor(hidden_layer_sizes=(5,), solver="sgd", learning_rate=sched,
                          batch_size=10, max_iter=10, random_state=0, tol=0,
                          callbacks=lambda epoch, logs: seen.append(logs["lr"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        est.fit(X, y)
    np.testing.assert_allclose(seen, sched(4 * np.arange(10)), rtol=RTOL)  # 4 updates an epoch
    assert est.get_params()["learning_rate"] is sched
    # a constant schedule is scikit-learn's 'constant' mode, to the bit
    a = fb.MLPRegressor(hidden_layer_sizes=(5,), learning_rate=S.Constant(0.01), max_iter=5,
                        random_state=0)
    b = fb.MLPRegressor(hidden_layer_sizes=(5,), learning_rate_init=0.01, max_iter=5,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a.fit(X, y)
        b.fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    # a schedule in the wrong parameter, or a wrong string, says where it goes
    with pytest.raises(TypeError, match=r"learning_rate_init must be a positive number; pass "
                                        r"the schedule as learning_rate=Polynomial\("):
        fb.MLPRegressor(learning_rate_init=S.Polynomial(0.01, 10)).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate must be one of .* or a fastbp.schedules"):
        fb.MLPRegressor(learning_rate="cosine").fit(X, y)


# --- against torch.optim.lr_scheduler ---------------------------------------------------
def torch_rates(make, lr, n):
    """The rate of torch's SGD at each of its first ``n`` steps under the
    scheduler ``make(torch, optimizer)``, stepped once per update."""
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's deprecated step(epoch)
        sched = make(torch.optim.lr_scheduler, opt)
        rates = []
        for _ in range(n):
            rates.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
    return np.array(rates)


TORCH_CASES = [
    ("cosine", lambda L, o: L.CosineAnnealingLR(o, T_max=50, eta_min=0.01),
     S.CosineAnnealing(0.5, 50, min_lr=0.01), 51),
    ("cosine-to-0", lambda L, o: L.CosineAnnealingLR(o, T_max=37),
     S.CosineAnnealing(0.5, 37), 37),
    ("restarts", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=7, eta_min=1e-3),
     S.CosineAnnealing(0.5, 7, min_lr=1e-3, restarts=True), 60),
    ("restarts-x2", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3),
     S.CosineAnnealing(0.5, 5, min_lr=1e-3, restarts=True, length_mult=2), 200),
    ("restarts-x3", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=3),
     S.CosineAnnealing(0.5, 3, restarts=True, length_mult=3), 400),
    ("one-cycle", lambda L, o: L.OneCycleLR(o, max_lr=0.8, total_steps=100,
                                            cycle_momentum=False),
     S.OneCycle(0.8, 100), 100),
    ("one-cycle-linear", lambda L, o: L.OneCycleLR(
        o, max_lr=0.8, total_steps=97, pct_start=0.33, anneal_strategy="linear", div_factor=10.0,
        final_div_factor=100.0, cycle_momentum=False),
     S.OneCycle(0.8, 97, pct_start=0.33, anneal_strategy="linear", div_factor=10.0,
                final_div_factor=100.0), 97),
    ("one-cycle-3", lambda L, o: L.OneCycleLR(o, max_lr=0.8, total_steps=61, pct_start=0.2,
                                              three_phase=True, cycle_momentum=False),
     S.OneCycle(0.8, 61, pct_start=0.2, three_phase=True), 61),
    ("polynomial", lambda L, o: L.PolynomialLR(o, total_iters=30, power=0.9),
     S.Polynomial(0.5, 30, power=0.9), 45),
    ("polynomial-2", lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0),
     S.Polynomial(0.5, 12, power=2.0), 20),
    ("warmup-constant", lambda L, o: L.LinearLR(o, start_factor=0.2, total_iters=8),
     S.Warmup(0.5, 8, start_factor=0.2), 20),
    ("warmup-cosine", lambda L, o: L.SequentialLR(o, [
        L.LinearLR(o, start_factor=0.1, total_iters=10),
        L.CosineAnnealingLR(o, T_max=40, eta_min=0.02)], milestones=[10]),
     S.Warmup(S.CosineAnnealing(0.5, 40, min_lr=0.02), 10), 51),
    ("warmup-restarts", lambda L, o: L.SequentialLR(o, [
        L.LinearLR(o, start_factor=1 / 3, total_iters=4),
        L.CosineAnnealingWarmRestarts(o, T_0=6, T_mult=2, eta_min=0.01)], milestones=[4]),
     S.Warmup(S.CosineAnnealing(0.5, 6, min_lr=0.01, restarts=True, length_mult=2), 4, 1 / 3),
     80),
    ("warmup-polynomial", lambda L, o: L.SequentialLR(o, [
        L.LinearLR(o, start_factor=0.5, total_iters=3),
        L.PolynomialLR(o, total_iters=20, power=1.5)], milestones=[3]),
     S.Warmup(S.Polynomial(0.5, 20, power=1.5), 3, start_factor=0.5), 30),
]


@pytest.mark.parametrize("name,make,sched,n", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_step_for_step_against_torch(name, make, sched, n):
    want = torch_rates(make, sched.lr, n)  # torch's OneCycleLR sets its own first rate
    got = sched.rates(first_step=0, n_steps=n, epoch=0)
    # relative only: where torch reaches exactly 0, so must we
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=name)
    if not isinstance(sched, S.Warmup):  # per="epoch" counts epochs with the same numbers
        by_epoch = type(sched)(**{**sched._params(), "per": "epoch"})
        np.testing.assert_allclose([by_epoch.rates(999, 3, e)[0] for e in range(n)], want,
                                   rtol=RTOL, atol=0)


def test_past_the_end_where_torch_goes_on_ours_stay():
    # torch's CosineAnnealingLR climbs back after T_max; CosineAnnealing stays at min_lr
    want = torch_rates(lambda L, o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.1), 1.0, 16)
    got = S.CosineAnnealing(1.0, 10, min_lr=0.1)(np.arange(16.0))
    assert want[15] > 0.2 and np.all(got[10:] == 0.1)
