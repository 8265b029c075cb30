"""Property-based tests: whatever a user passes, the outcome is a correct
result or a ValueError/TypeError raised before any compiled loop runs, and a
call that raised leaves the model unchanged."""
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import fastbp as fb  # noqa: E402

# The inputs are extreme on purpose (±1e308, 1e-310, ...).  On the NumPy
# reference backend (FASTBP_KERNELS=numpy) exp then overflows to the right
# limit with a RuntimeWarning; the compiled kernels do not warn.  What these
# tests assert is the result or a clear error, not the warning.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

SETTINGS = settings(max_examples=int(os.environ.get("FASTBP_HYPOTHESIS_EXAMPLES", 100)),
                    deadline=None, suppress_health_check=[HealthCheck.too_slow])
INPUT_ERRORS = (ValueError, TypeError)

dtypes = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8,
                          np.bool_, np.complex128, object])
values = st.floats(allow_nan=True, allow_infinity=True, width=64) | st.sampled_from(
    [0.0, 1e308, -1e308, 1e-310, 3.0e38, np.nan, np.inf])


@st.composite
def arrays(draw, max_dims=3, max_side=6):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side))
    dtype = draw(dtypes)
    if dtype is object:
        return np.empty(shape, dtype=object)
    data = draw(hnp.arrays(np.float64, shape, elements=values))
    with np.errstate(all="ignore"):
        return data.astype(dtype) if dtype is not np.bool_ else data > 0


@st.composite
def networks(draw):
    sizes = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    output, loss = draw(st.sampled_from([("sigmoid", "squared"), ("identity", "squared"),
                                         ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
                                         ("exp", "poisson"), ("relu", "squared")]))
    if output == "softmax" and sizes[-1] < 2:
        sizes[-1] = 2
    hidden = draw(st.sampled_from(["sigmoid", "tanh", "relu", "identity"]))
    dtype = draw(st.sampled_from(["float64", "float32"]))
    return fb.MLP(sizes, hidden=hidden, output=output, loss=loss, dtype=dtype, seed=0)


@SETTINGS
@given(sizes=st.lists(st.one_of(st.integers(-3, 6), st.floats(-2, 5), st.none(),
                                st.text(max_size=2)),
                      max_size=5),
       hidden=st.one_of(st.sampled_from(["sigmoid", "tanh", "relu", "identity", "softmax", "exp",
                                         ""]),
                        st.integers()),
       output=st.sampled_from(["sigmoid", "softmax", "identity", "tanh", "relu", "exp", "bogus"]),
       loss=st.sampled_from(["squared", "cross_entropy", "poisson", "hinge"]),
       init=st.sampled_from(["glorot_uniform", "he_normal", "uniform", "zeros", "nope"]))
def test_model_definitions_build_or_are_refused(sizes, hidden, output, loss, init):
    try:
        net = fb.MLP(sizes, hidden=hidden, output=output, loss=loss, init=init, seed=0)
    except INPUT_ERRORS:
        return
    assert net.params.shape == (net.n_params,)
    assert np.isfinite(net.params).all()


@SETTINGS
@given(net=networks(), X=arrays())
def test_forward_gives_the_right_shape_or_a_clear_error(net, X):
    before = net.params.copy()
    try:
        out = net.forward(X)
    except INPUT_ERRORS:
        np.testing.assert_array_equal(net.params, before)
        return
    assert out.shape == (X.shape[0], net.n_outputs) and out.dtype == net.dtype
    np.testing.assert_array_equal(net.params, before)


@SETTINGS
@given(net=networks(), X=arrays(max_dims=2), Y=arrays(max_dims=2), alpha=values,
       weights=st.none() | arrays(max_dims=1))
def test_loss_and_gradients_are_finite_results_or_clear_errors(net, X, Y, alpha, weights):
    before = net.params.copy()
    try:
        loss = net.loss(X, Y, alpha=alpha, sample_weight=weights)
        dW, db = net.gradients(X, Y, alpha=alpha, sample_weight=weights)
    except INPUT_ERRORS:
        np.testing.assert_array_equal(net.params, before)
        return
    assert isinstance(loss, float) and not np.isnan(loss)
    assert [g.shape for g in dW] == [w.shape for w in net.weights]
    assert [g.shape for g in db] == [b.shape for b in net.biases]
    np.testing.assert_array_equal(net.params, before)


@SETTINGS
@given(net=networks(), X=arrays(max_dims=2, max_side=5), Y=arrays(max_dims=2, max_side=5),
       batch_size=st.none() | st.integers(-2, 7) | st.floats(0, 3),
       epochs=st.integers(-1, 3) | st.none(),
       lr=st.floats(-1, 1e3) | st.sampled_from([1e-300, 1e300, np.nan, np.inf]),
       opt=st.sampled_from(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]),
       shuffle=st.booleans())
def test_fit_trains_or_refuses_and_never_corrupts(net, X, Y, batch_size, epochs, lr, opt, shuffle):
    before = net.params.copy()
    try:
        classes = {"sgd": fb.SGD, "adagrad": fb.AdaGrad, "rmsprop": fb.RMSprop, "adam": fb.Adam}
        optimizer = classes.get(
            opt, lambda lr: fb.SGD(lr=lr, momentum=0.9, nesterov=opt == "nesterov"))(lr=lr)
        history = net.fit(X, Y, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                          shuffle=shuffle, seed=0)
    except INPUT_ERRORS:
        np.testing.assert_array_equal(net.params, before)
        return
    except fb.TrainingDiverged as err:
        # restored to the end of the last good epoch: finite, and those epochs are recorded
        assert np.isfinite(net.params).all()
        assert err.history.epochs == err.epoch - 1
        return
    assert history.epochs == epochs
    assert np.isfinite(net.params).all()
    assert all(np.isfinite(history.loss))


@SETTINGS
@given(kwargs=st.dictionaries(st.sampled_from(["lr", "momentum", "decay", "beta1", "beta2", "eps"]),
                              values | st.integers(-2, 2) | st.none() | st.text(max_size=1),
                              max_size=3),
       cls=st.sampled_from([fb.SGD, fb.AdaGrad, fb.RMSprop, fb.Adam]))
def test_optimizers_accept_valid_and_refuse_invalid_hyperparameters(kwargs, cls):
    try:
        opt = cls(**kwargs)
    except INPUT_ERRORS:
        return
    assert opt.lr.lr > 0
    for name in ("momentum", "decay", "beta1", "beta2"):
        if hasattr(opt, name):
            assert 0 <= getattr(opt, name) < 1
    if hasattr(opt, "eps"):
        assert opt.eps > 0


@SETTINGS
@given(cls=st.sampled_from([fb.schedules.StepDecay, fb.schedules.ExponentialDecay,
                            fb.schedules.InverseTimeDecay, fb.schedules.InverseScaling]),
       lr=values, k=values | st.integers(-3, 3), t=st.integers(0, 10**6))
def test_schedules_give_positive_finite_rates_or_refuse(cls, lr, k, t):
    try:
        sched = cls(lr, k)
    except INPUT_ERRORS:
        return
    with np.errstate(over="ignore"):  # k t or (t + 1)^power overflowing: the rate is 0
        rate = sched(t)
    assert 0 <= rate <= sched.lr and np.isfinite(rate)
