"""The NumPy backend (fastbp._kernels._numpy) against the compiled kernels,
function by function: the same interface, the same numbers (to rounding),
in float32 and float64."""
import pickle
import re

import numpy as np
import pytest
from helpers import HIDDEN, OUTPUT_LOSS, tolerance

from fastbp import _kernels
from fastbp._kernels import _numpy as NP
from fastbp._kernels._numpy_plan import EpochPlan

K = _kernels.get("baseline")  # the compiled kernels, portable build

Activation, Loss, Rule, Status = NP.Activation, NP.Loss, NP.Rule, NP.Status


def code(kind, name):
    return int(kind[name.upper()])


def make_problem(sizes, hidden, output, loss, n, dtype, seed=0, weighted=False):
    """Both backends' Topology, and params, X, Y (valid targets), weights."""
    codes = [code(Activation, hidden)] * (len(sizes) - 2) + [code(Activation, output)]
    tops = K.Topology(sizes, codes, code(Loss, loss)), NP.Topology(sizes, codes, code(Loss, loss))
    rng = np.random.default_rng(seed)
    params = rng.uniform(-0.5, 0.5, tops[0].n_params)
    X = rng.normal(size=(n, sizes[0]))
    k = sizes[-1]
    if output == "softmax":
        Y = np.eye(k)[rng.integers(0, k, n)]
    elif loss == "poisson":
        Y = rng.poisson(1.5, (n, k)).astype(float)
    elif output == "sigmoid":
        Y = rng.uniform(0.05, 0.95, (n, k))
    else:
        Y = rng.normal(size=(n, k))
    w = None
    if weighted:
        w = rng.uniform(0.2, 2.0, n).astype(dtype)
        w[3:6] = 0.0  # with batch size 3 the second batch counts for nothing
    return tops, params.astype(dtype), X.astype(dtype), Y.astype(dtype), w


def buffers(top, rows, dtype):
    return np.empty(rows * top.n_units, dtype), np.empty(rows * top.n_units, dtype)


# --- module constants and Topology ------------------------------------------------
def test_names_and_codes_are_the_compiled_ones():
    from fastbp._kernels import _activations, _network, _optimizers
    assert NP.NAME == "numpy"
    assert (Activation, Loss, Rule) == (_activations.Activation, _network.Loss, _optimizers.Rule)
    assert [(s.name, int(s)) for s in Status] == [
        ("OK", 0), ("LOSS_NOT_FINITE", 1), ("PARAMS_NOT_FINITE", 2), ("INTERRUPTED", 3)]
    assert [NP.state_vectors(r) for r in Rule] == [0, 1, 1, 1, 1, 2, 1, 1]
    with pytest.raises(ValueError, match="unknown update rule 17"):
        NP.state_vectors(17)


@pytest.mark.parametrize("sizes,acts,loss", [
    ([3, 1], [0], 0), ([4, 5, 3], [2, 4], 1), ([2, 7, 7, 2], [3, 1, 1], 1),
    ([6, 1, 4, 9, 2], [1, 2, 3, 0], 0), ([3, 4, 2], [2, 5], 2)])
def test_topology_matches_the_compiled_one(sizes, acts, loss):
    want, got = K.Topology(sizes, acts, loss), NP.Topology(sizes, acts, loss)
    for name in ("sizes", "activations", "param_offsets", "unit_offsets"):
        a, b = getattr(want, name), getattr(got, name)
        np.testing.assert_array_equal(b, a)
        assert b.dtype == a.dtype and not b.flags.writeable
        with pytest.raises(AttributeError):
            setattr(got, name, a)
    assert (got.loss, got.n_params, got.n_units) == (want.loss, want.n_params, want.n_units)
    assert type(got.loss) is int and type(got.n_params) is int and type(got.n_units) is int
    clone = pickle.loads(pickle.dumps(got))
    assert type(clone) is NP.Topology and repr(clone) == repr(got)
    np.testing.assert_array_equal(clone.param_offsets, got.param_offsets)


@pytest.mark.parametrize("args", [
    ([3], [], 0), ([3, 0, 1], [1, 1], 0), ([[3, 2]], [1], 0), ([3, 2, 1], [1], 0),
    ([3, 2, 1], [1, 99], 0), ([3, 2, 1], [1, -1], 0), ([3, 2, 1], [4, 1], 0),
    ([3, 2, 1], [1, 1], 7)])
def test_topology_refuses_what_the_compiled_one_refuses(args):
    with pytest.raises(ValueError) as compiled:
        K.Topology(*args)
    with pytest.raises(ValueError, match=re.escape(str(compiled.value))):
        NP.Topology(*args)


# --- forward, loss, gradient ---------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_dataset_functions_match_the_compiled_ones(hidden, output, loss, weighted, dtype):
    (kt, nt), params, X, Y, w = make_problem([5, 7, 6, 3], hidden, output, loss, 11, dtype,
                                             weighted=weighted)
    acts, deltas = buffers(kt, 11, dtype)
    tol = tolerance(dtype)
    want, got = np.empty((11, 3), dtype), np.full((11, 3), np.nan, dtype)
    K.forward_dataset(kt, params, X, want, acts)
    NP.forward_dataset(nt, params, X, got, acts)
    np.testing.assert_allclose(got, want, rtol=tol * 10, atol=tol)
    assert NP.loss_dataset(nt, params, X, Y, w, acts) == pytest.approx(
        K.loss_dataset(kt, params, X, Y, w, acts), rel=tol * 10)
    for alpha in (0.0, 0.3):
        g_want, g_got = np.empty_like(params), np.full_like(params, np.nan)
        r_want = K.gradient_dataset(kt, params, X, Y, w, g_want, acts, deltas, alpha)
        r_got = NP.gradient_dataset(nt, params, X, Y, w, g_got, acts, deltas, alpha)
        np.testing.assert_allclose(g_got, g_want, rtol=tol * 100, atol=tol * 10)
        assert r_got == pytest.approx(r_want, rel=tol * 10)
        assert (r_got[2] == 0.0) == (alpha == 0)


def test_gradient_refuses_weights_that_sum_to_zero(dtype):
    (kt, nt), params, X, Y, _ = make_problem([3, 4, 2], "tanh", "identity", "squared", 4, dtype)
    w, g = np.zeros(4, dtype), np.empty_like(params)
    acts, deltas = buffers(kt, 4, dtype)
    for backend, top in ((K, kt), (NP, nt)):
        with pytest.raises(ValueError, match="the sample weights sum to zero"):
            backend.gradient_dataset(top, params, X, Y, w, g, acts, deltas, 0.0)


@pytest.mark.parametrize("bad", ["X columns", "Y columns", "grads", "weights", "params", "dtype"])
def test_dataset_functions_refuse_what_the_compiled_ones_refuse(bad):
    (kt, nt), params, X, Y, w = make_problem([3, 4, 2], "tanh", "identity", "squared", 6,
                                             np.float64, weighted=True)
    grads = np.empty_like(params)
    if bad == "X columns":
        X = X[:, :2].copy()
    elif bad == "Y columns":
        Y = np.ones((6, 3))
    elif bad == "grads":
        grads = grads[1:]
    elif bad == "weights":
        w = w[1:]
    elif bad == "params":
        params = params[1:]
    else:
        X = X.astype(np.float32)
    acts, deltas = buffers(kt, 6, np.float64)
    for backend, top in ((K, kt), (NP, nt)):
        with pytest.raises(ValueError):
            backend.gradient_dataset(top, params, X, Y, w, grads, acts, deltas, 0.1)
        if bad not in ("grads", "Y columns"):
            with pytest.raises(ValueError):
                backend.loss_dataset(top, params, X, Y, w, acts)


def test_the_reference_computes_in_the_arrays_dtype():
    (kt, nt), params, X, Y, _ = make_problem([3, 4, 2], "tanh", "softmax", "cross_entropy", 5,
                                             np.float32)
    W, b = NP._layers(nt, params)
    acts = ["tanh", "softmax"]
    assert all(a.dtype == np.float32 for a in NP.forward(W, b, acts, X))
    dW, db = NP.gradients(W, b, acts, "cross_entropy", X, Y, alpha=0.1, sample_weight=Y[:, 0] + 1)
    assert all(a.dtype == np.float32 for a in dW + db)


# --- update rules --------------------------------------------------------------------
@pytest.mark.parametrize("eps_hat", [False, True])
@pytest.mark.parametrize("rule", list(Rule), ids=[r.name for r in Rule])
def test_update_matches_the_compiled_one(rule, eps_hat, dtype):
    rng = np.random.default_rng(int(rule))
    n = 23
    p0 = rng.normal(size=n).astype(dtype)
    grads = [(rng.normal(size=n) * rng.uniform(0.01, 3)).astype(dtype) for _ in range(12)]
    grads[2][:4] = 0  # zero gradients must not divide by zero
    k = NP.state_vectors(rule)
    state = {}
    for backend in (K, NP):
        p = p0.copy()
        s1, s2 = (np.zeros(n, dtype) if k > i else p[:0] for i in range(2))
        trail = []
        for t, g in enumerate(grads, start=4):  # a run that started 3 steps ago
            backend.update(rule, p, g, s1, s2, 0.05 / t, 1e-6, 0.8, 0.99, eps_hat, t)
            trail.append(np.concatenate([p, s1, s2]))
        state[backend] = trail
    tol = tolerance(dtype)
    for got, want in zip(state[NP], state[K]):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_update_refuses_what_the_compiled_one_refuses():
    p = np.zeros(4)
    for backend in (K, NP):
        with pytest.raises(ValueError, match="grads has 3 entries"):
            backend.update(Rule.SGD, p, np.zeros(3), p[:0], p[:0], 0.1)
        with pytest.raises(ValueError, match="state vector 1"):
            backend.update(Rule.ADAM, p, np.zeros(4), p[:0], p[:0], 0.1)
        with pytest.raises(ValueError, match="state vector 2"):
            backend.update(Rule.ADAM, p, np.zeros(4), np.zeros(4), p[:0], 0.1)
        with pytest.raises(ValueError, match="unknown update rule"):
            backend.update(17, p, np.zeros(4), p, p, 0.1)
        with pytest.raises(ValueError, match="dtype mismatch"):
            backend.update(Rule.SGD, p, np.zeros(4, dtype=np.float32), p, p, 0.1)


@pytest.mark.parametrize("rule,kind,kwargs", [
    (Rule.SGD, "sgd", {}),
    (Rule.MOMENTUM, "sgd", dict(momentum=0.9)),
    (Rule.NESTEROV, "sgd", dict(momentum=0.9, nesterov=True)),
    (Rule.VELOCITY, "sgd", dict(momentum=0.9, lr_in_velocity=True)),
    (Rule.VELOCITY_NESTEROV, "sgd", dict(momentum=0.9, nesterov=True, lr_in_velocity=True)),
    (Rule.ADAGRAD, "adagrad", dict(eps=1e-6)),
    (Rule.RMSPROP, "rmsprop", dict(decay=0.9, eps=1e-6)),
    (Rule.ADAM, "adam", dict(beta1=0.9, beta2=0.99, eps=1e-6)),
    (Rule.ADAM, "adam", dict(beta1=0.9, beta2=0.99, eps=1e-6, eps_hat=True)),
])
def test_update_is_the_published_rule_in_folded_form(rule, kind, kwargs):
    # the kernels' form (Adam's bias correction folded into lr and eps) against
    # ReferenceOptimizer's published one, under a changing rate
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=17)
    p, ref_p = p0.copy(), p0.copy()
    s1, s2 = np.zeros(17), np.zeros(17)
    ref = NP.ReferenceOptimizer(kind, None, **kwargs)
    h1 = kwargs.get("momentum", kwargs.get("decay", kwargs.get("beta1", 0.0)))
    for t in range(1, 16):
        g = rng.normal(size=17)
        NP.update(rule, p, g, s1, s2, 0.1 / t, kwargs.get("eps", 0.0), h1, kwargs.get("beta2", 0.0),
                  kwargs.get("eps_hat", False), t)
        ref.step([ref_p], [g], lr=0.1 / t)
        np.testing.assert_allclose(p, ref_p, rtol=1e-12, atol=1e-14)


# --- epochs ----------------------------------------------------------------------------
def compiled_epoch(top, params, grads, s1, s2, X, Y, w, order, batch_size, rule, lr, t0,
                   hyper, alpha, l2_per_weight):
    """One epoch of the compiled EpochPlan."""
    rows = min(batch_size, X.shape[0])
    acts, deltas = buffers(top, rows, X.dtype)
    gather = np.empty(rows * (X.shape[1] + Y.shape[1] + 1), X.dtype)
    plan = K.EpochPlan(top, params, grads, s1, s2, X, Y, w, batch_size, rule, *hyper, alpha,
                       l2_per_weight, acts, deltas, gather)
    return plan.train_epoch(order, lr, t0)


def numpy_epoch(top, params, grads, s1, s2, X, Y, w, order, batch_size, rule, lr, t0,
                hyper, alpha, l2_per_weight):
    plan = EpochPlan(top, params, grads, s1, s2, X, Y, w, batch_size, rule, *hyper,
                        alpha, l2_per_weight, None, None, None)
    assert plan.n_steps == -(-X.shape[0] // batch_size)
    return plan.train_epoch(order, lr, t0)


def train_both(tops, params, X, Y, w, batch_size, rule, epochs, rates, shuffle, alpha,
               l2_per_weight, hyper=(1e-8, 0.9, 0.999, False)):
    """Train copies of ``params`` with each backend; their (results, params, s1, s2)."""
    n = X.shape[0]
    n_steps = -(-n // batch_size)
    k = NP.state_vectors(rule)
    out = []
    for run, top in ((compiled_epoch, tops[0]), (numpy_epoch, tops[1])):
        p, grads = params.copy(), np.empty_like(params)
        s1, s2 = (np.zeros_like(p) if k > i else p[:0] for i in range(2))
        results, t0 = [], 0
        for e in range(epochs):
            order = (np.random.default_rng([7, e]).permutation(n).astype(np.intp) if shuffle
                     else None)
            lr = rates(t0, n_steps)
            results.append(run(top, p, grads, s1, s2, X, Y, w, order, batch_size, rule, lr, t0,
                               hyper, alpha, l2_per_weight))
            t0 += results[-1][-1]
        out.append((results, p, s1, s2))
    return out


CONSTANT = lambda t0, n_steps: np.array([0.05])  # noqa: E731
SCHEDULE = lambda t0, n_steps: 0.05 / (1 + 0.2 * np.arange(t0, t0 + n_steps))  # noqa: E731

# (network, shuffled, weighted, l2_per_weight, alpha, rates)
VARIANTS = {
    "stored": (("tanh", "softmax", "cross_entropy"), False, False, False, 0.01, CONSTANT),
    "shuffled": (("tanh", "softmax", "cross_entropy"), True, False, False, 0.01, SCHEDULE),
    "no_l2": (("relu", "identity", "squared"), True, False, False, 0.0, SCHEDULE),
    "weighted": (("sigmoid", "exp", "poisson"), False, True, False, 0.01, SCHEDULE),
    "weighted_l2_per_weight": (("relu", "softmax", "cross_entropy"), True, True, True, 0.05,
                               SCHEDULE),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("batch_size", [1, 3, None], ids=["example", "minibatch", "batch"])
@pytest.mark.parametrize("rule", list(Rule), ids=[r.name for r in Rule])
def test_epoch_plan_runs_epochs_as_the_compiled_one_does(rule, batch_size, variant, dtype):
    (hidden, output, loss), shuffle, weighted, l2_per_weight, alpha, rates = VARIANTS[variant]
    tops, params, X, Y, w = make_problem([4, 6, 3], hidden, output, loss, 10, dtype, seed=int(rule),
                                         weighted=weighted)
    (want, p_want, *s_want), (got, p_got, *s_got) = train_both(
        tops, params, X, Y, w, batch_size or 10, rule, 2, rates, shuffle, alpha, l2_per_weight)
    tol = tolerance(dtype)
    for (status, step, loss_sum, sq_sum, updates), r in zip(got, want):
        assert (status, step, updates) == (r[0], r[1], r[4]) and type(status) is Status
        assert status == Status.OK
        assert loss_sum == pytest.approx(r[2], rel=tol * 10)
        assert sq_sum == pytest.approx(r[3], rel=tol * 10) and (sq_sum == 0) == (alpha == 0)
    if weighted and not shuffle:  # the zero-weight rows were skipped
        assert got[0][4] == {1: 7, 3: 3, None: 1}[batch_size]
    for a, b in zip([p_got] + s_got, [p_want] + s_want):
        assert a.dtype == dtype
        if dtype == np.float64:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
        else:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("batch_size", [1, 4, None], ids=["example", "minibatch", "batch"])
def test_epoch_plan_stops_where_the_compiled_one_stops(batch_size, dtype):
    # SGD with momentum and too large a rate: the loss overflows part-way
    # through some epoch; both stop at the same step, before its update
    tops, params, X, Y, _ = make_problem([3, 8, 1], "identity", "identity", "squared", 20, dtype)
    X, Y = X * 10, Y * 100
    kwargs = dict(batch_size=batch_size or 20, rule=Rule.MOMENTUM,
                  rates=lambda t0, n: np.array([0.02]), shuffle=False, alpha=0.01,
                  l2_per_weight=False)
    (want, *_), (got, *_) = train_both(tops, params, X, Y, None, epochs=60, **kwargs)
    stops = [i for i, r in enumerate(want) if r[0] != Status.OK]
    assert stops and [i for i, r in enumerate(got) if r[0] != Status.OK][:1] == stops[:1]
    assert got[stops[0]][0] == Status.LOSS_NOT_FINITE
    assert got[stops[0]][1] == want[stops[0]][1] and got[stops[0]][4] == want[stops[0]][4]


def test_epoch_plan_reports_non_finite_params_and_losses(dtype):
    # a finite loss, then an update so large that the weights overflow
    tops, params, _, _, _ = make_problem([2, 3, 1], "tanh", "identity", "squared", 4, dtype)
    X, Y = np.full((4, 2), 1e3, dtype), np.full((4, 1), 1e3, dtype)
    huge = np.array([1e307 if dtype == np.float64 else 1e37])
    (want, *_), (got, p, *_) = train_both(tops, params, X, Y, None, 4, Rule.SGD, 1,
                                          lambda t0, n: huge, False, 0.0, False)
    assert got[0][0] == want[0][0] == Status.PARAMS_NOT_FINITE
    assert got[0][1:2] + got[0][4:] == (-1, 1) and not np.isfinite(p).all()
    # a NaN parameter: the first batch's loss is NaN, nothing is updated
    params[0] = np.nan
    (want, *_), (got, p, *_) = train_both(tops, params, X, Y, None, 2, Rule.ADAM, 1,
                                          CONSTANT, False, 0.1, False)
    assert got[0][:2] == want[0][:2] == (Status.LOSS_NOT_FINITE, 0)
    assert got[0][4] == 0
    np.testing.assert_array_equal(p, params)


@pytest.mark.parametrize("batch_size", [1, 3, 10])
def test_epoch_plan_follows_the_reference_trainer(batch_size):
    # the backend's folded Adam and the reference trainer's published one
    tops, params, X, Y, w = make_problem([4, 5, 3], "tanh", "softmax", "cross_entropy", 10,
                                         np.float64, weighted=True)
    nt = tops[1]
    p, grads = params.copy(), np.empty_like(params)
    s1, s2 = np.zeros_like(params), np.zeros_like(params)
    plan = EpochPlan(nt, p, grads, s1, s2, X, Y, w, batch_size, Rule.ADAM, 1e-8, 0.9, 0.999,
                        False, 0.05, True, None, None, None)
    t0, losses = 0, []
    for e in range(2):
        order = np.random.default_rng([3, e]).permutation(10)
        status, _, loss_sum, penalty_sum, updates = plan.train_epoch(order, np.array([0.01]),
                                                                     t0)
        assert status == Status.OK
        t0 += updates
        losses.append((loss_sum + penalty_sum) / 10)
    W, b = (list(a) for a in NP._layers(nt, params.copy()))
    want = NP.train(W, b, ["tanh", "softmax"], "cross_entropy", X, Y,
                    NP.ReferenceOptimizer("adam", 0.01), epochs=2, batch_size=batch_size,
                    alpha=0.05, sample_weight=w, l2_per_weight=True,
                    orders=[np.random.default_rng([3, e]).permutation(10) for e in range(2)])
    np.testing.assert_allclose(losses, want, rtol=1e-12)
    np.testing.assert_allclose(p,
                               np.concatenate([np.concatenate([a.ravel(), c])
                                               for a, c in zip(W, b)]),
                               rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("bad,match", [
    ("params", "params"), ("grads", "grads"), ("s1", "s1"), ("s2", "s2"), ("X", "X"),
    ("Y", "Y"), ("weights", "weights"), ("X dtype", "X"), ("no rows", "X has no rows"),
    ("batch_size", "batch_size must be >= 1"), ("rule", "unknown update rule")])
def test_epoch_plan_refuses_bad_arrays_once(bad, match):
    (_, nt), params, X, Y, w = make_problem([3, 4, 2], "tanh", "identity", "squared", 6,
                                            np.float64, weighted=True)
    args = dict(top=nt, params=params, grads=np.empty_like(params), s1=np.zeros_like(params),
                s2=np.zeros_like(params), X=X, Y=Y, weights=w, batch_size=2, rule=Rule.ADAM,
                eps=1e-8, h1=0.9, h2=0.999, eps_hat=False, alpha=0.0, l2_per_weight=False,
                acts=None, deltas=None, gather=None)
    if bad in ("params", "grads", "s1", "s2", "weights"):
        args[bad] = args[bad][1:]
    elif bad in ("X", "Y"):
        args[bad] = args[bad][:, 1:].copy()
    elif bad == "X dtype":
        args["X"] = X.astype(np.float32)
    elif bad == "no rows":
        args.update(X=X[:0], Y=Y[:0], weights=w[:0])
    elif bad == "batch_size":
        args["batch_size"] = 0
    else:
        args["rule"] = 17
    with pytest.raises(ValueError, match=match):
        EpochPlan(**args)


def test_epoch_plan_train_epoch_refuses_bad_rates_and_orders():
    (_, nt), params, X, Y, _ = make_problem([3, 4, 2], "tanh", "identity", "squared", 7, np.float64)
    plan = EpochPlan(nt, params, np.empty_like(params), params[:0], params[:0], X, Y, None, 2,
                        Rule.SGD, 0.0, 0.0, 0.0, False, 0.0, False, None, None, None)
    assert plan.n_steps == 4
    with pytest.raises(ValueError, match="need 4 step rates"):
        plan.train_epoch(None, np.full(3, 0.1), 0)
    with pytest.raises(ValueError, match="order has 6 entries, expected 7"):
        plan.train_epoch(np.arange(6), np.full(4, 0.1), 0)
    assert plan.train_epoch(np.arange(7)[::-1].copy(), np.full(4, 0.1), 0)[:2] == (Status.OK, -1)
