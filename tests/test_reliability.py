"""Issue 14: state that survives pickling, sizes refused before allocating,
divergence caught from the outputs, extreme sample weights, and errors that
name the argument."""
import pickle

import numpy as np
import pytest

import fastbp as fb
from fastbp import _validation

RNG = np.random.default_rng(0)
X8 = RNG.normal(size=(8, 3))
Y8 = RNG.integers(0, 2, 8)


# --- 1. optimizer state through pickle -------------------------------------------------
@pytest.mark.parametrize("make", [lambda: fb.Adam(lr=0.01), lambda: fb.SGD(0.1, momentum=0.9),
                                  lambda: fb.RMSprop(0.01), lambda: fb.AdaGrad(0.1)])
def test_pickle_then_fit_equals_fit_bit_for_bit(make):
    net = fb.MLP([3, 4, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    opt = make()
    net.fit(X8, Y8, optimizer=opt, epochs=2, batch_size=4, seed=0)
    net2, opt2 = pickle.loads(pickle.dumps((net, opt)))
    net.fit(X8, Y8, optimizer=opt, epochs=2, batch_size=4, seed=0)
    net2.fit(X8, Y8, optimizer=opt2, epochs=2, batch_size=4, seed=0)
    assert opt2.t == opt.t == 8
    np.testing.assert_array_equal(net2.params, net.params)


def test_an_optimizer_pickled_alone_starts_afresh_on_its_next_network():
    net = fb.MLP([3, 2], output="softmax", loss="cross_entropy", init="zeros")
    opt = fb.Adam(lr=0.01)
    net.fit(X8, Y8, optimizer=opt, batch_size=1)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.t == opt.t  # the counters travel; the copy of the network is dropped
    net.fit(X8, Y8, optimizer=clone, batch_size=1)
    assert clone.t == 8  # restarted: it belonged to another network


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_an_estimator_pickled_between_partial_fits_trains_the_same(solver):
    from fastbp.estimators import MLPClassifier

    X = RNG.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    a = MLPClassifier(hidden_layer_sizes=(5,), solver=solver, random_state=0)
    a.partial_fit(X, y, classes=[0, 1])
    b = pickle.loads(pickle.dumps(a))
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    np.testing.assert_array_equal(b._net.params, a._net.params)


# --- 6. sizes ----------------------------------------------------------------------------
@pytest.mark.parametrize("sizes", [[10**6, 10**6], [10, 10**5, 10**5, 2], [2**31 - 1] * 5])
def test_networks_too_large_are_refused_before_allocating(sizes, monkeypatch):
    monkeypatch.setattr(_validation, "_physical_memory", lambda: 16 * 2**30)
    with pytest.raises(ValueError, match=r"layer_sizes .* needs [\d,]+ parameters: .* GiB"):
        fb.MLP(sizes)


def test_the_size_check_counts_without_overflow(monkeypatch):
    monkeypatch.setattr(_validation, "_physical_memory", lambda: None)
    # (2**31-1)*2**31 per layer: 64-bit arithmetic would wrap; Python's ints do not
    with pytest.raises(ValueError, match="more than 64-bit sizes allow"):
        fb.MLP([2**31 - 1] * 5)
    assert _validation.check_network_size("s", [3, 2, 1], np.float32) == 11


def test_the_estimators_refuse_huge_layers(monkeypatch):
    from fastbp.estimators import MLPRegressor

    monkeypatch.setattr(_validation, "_physical_memory", lambda: 16 * 2**30)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPRegressor(hidden_layer_sizes=(10**5, 10**5)).fit(np.ones((3, 2)), np.ones(3))


# --- 7. messages that name the argument -----------------------------------------------------
@pytest.mark.parametrize("call, error, match", [
    (lambda: fb.MLP([2, 1]).fit([[1, 2], [3]], [1, 2]), ValueError, "X must be a rectangular"),
    (lambda: fb.MLP([2, 1], loss=["squared"]), ValueError, "unknown loss"),
    (lambda: fb.MLP([2, 1], hidden=3), TypeError, "hidden must be"),
    (lambda: fb.MLP([2, 1]).fit([[1, 2]], [1], callbacks=3), TypeError, "callbacks must be"),
    (lambda: fb.MLP([2, 1], seed=-1), ValueError, "seed must be >= 0"),
    (lambda: fb.MLP([2, 1], seed="abc"), TypeError, "seed must be None, an int"),
    (lambda: fb.MLP([2, 1]).fit([[1, 2]], [1], seed=-1), ValueError, "seed must be >= 0"),
    (lambda: fb.MLP([2, 1]).fit([[1, 2]], [1], seed=1.5), TypeError, "seed must be"),
])
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_seeds_numpy_accepts_still_work():
    a = fb.MLP([2, 3, 1], seed=np.random.default_rng(5))
    b = fb.MLP([2, 3, 1], seed=np.random.SeedSequence(5))
    np.testing.assert_array_equal(a.params, b.params)
    fb.MLP([2, 1]).fit([[1, 2]], [1], shuffle=True, seed=np.random.RandomState(0))
    fb.MLP([2, 1]).fit([[1, 2]], [1], callbacks=iter([lambda e, logs: None]))


# --- 3. divergence seen in the outputs --------------------------------------------------
@pytest.mark.parametrize("optimizer", [fb.Adam, fb.RMSprop, fb.AdaGrad])
@pytest.mark.parametrize("epochs", [1, 3])
def test_finite_parameters_with_non_finite_outputs_count_as_divergence(optimizer, epochs):
    net = fb.MLP([3, 32, 2], hidden="relu", output="softmax", loss="cross_entropy",
                 init="he_uniform", seed=0)
    start = net.params.copy()
    with pytest.raises(fb.TrainingDiverged, match="outputs on the training data") as info:
        net.fit(X8, Y8, optimizer=optimizer(lr=1e300), epochs=epochs, batch_size=None)
    assert info.value.epoch == 1 and info.value.step is None
    np.testing.assert_array_equal(net.params, start)  # restored: outputs finite again
    assert np.isfinite(net.forward(X8)).all()


def test_the_restored_epoch_has_finite_outputs_with_on_divergence_stop():
    net = fb.MLP([3, 8, 1], hidden="identity", output="identity", seed=0)
    history = net.fit(X8, X8[:, :1], optimizer=fb.SGD(lr=1e-3), epochs=2, batch_size=None)
    good = net.params.copy()
    history = net.fit(X8, X8[:, :1], optimizer=fb.Adam(lr=1e150), epochs=5, batch_size=None,
                      on_divergence="stop")
    assert history.diverged is not None and history.epochs < 5
    assert np.isfinite(net.forward(X8)).all()
    assert history.epochs > 0 or np.array_equal(net.params, good)


def test_the_bound_proves_ordinary_networks_finite_without_a_forward_pass(monkeypatch):
    from fastbp import _guard, _kernels

    net = fb.MLP([3, 5, 2], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    guard = _guard.OutputGuard(net, X8, np.eye(2)[Y8], None)
    assert guard.bounded()
    calls = []
    monkeypatch.setattr(_kernels.active(), "forward_dataset",
                        lambda *a: calls.append(a), raising=False)
    assert guard.finite() and not calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_forward_pass_decides_when_the_bound_cannot(dtype):
    from fastbp import _guard

    net = fb.MLP([3, 4, 1], hidden="identity", output="identity", dtype=dtype, seed=0)
    huge = 1e30 if dtype == "float32" else 1e200
    net.weights[0][...] = huge  # a bound of 3 * huge ...
    net.weights[1][...] = 0     # ... but the output ignores that layer
    X = X8.astype(dtype)
    guard = _guard.OutputGuard(net, X, np.ascontiguousarray(X[:, :1]), None)
    assert not guard.bounded() and guard.finite()
    net.weights[1][...] = huge  # now it does not
    assert not guard.finite()


def test_sparse_input_is_guarded_too():
    sp = pytest.importorskip("scipy.sparse")
    net = fb.MLP([3, 32, 2], hidden="relu", output="softmax", loss="cross_entropy",
                 init="he_uniform", seed=0)
    from fastbp._runner import Runner, train

    X = sp.csr_matrix(X8)
    runner = Runner(net, X, np.eye(2)[Y8], fb.Adam(lr=1e300), 8)
    with pytest.raises(fb.TrainingDiverged, match="outputs"):
        train(runner, 2)
    assert np.isfinite(net.forward(X8)).all()


# --- 4. extreme sample weights ------------------------------------------------------------
@pytest.mark.parametrize("dtype, big, tiny", [("float64", 1e308, 5e-324),
                                              ("float32", 1e38, 1e-45)])
def test_extreme_weights_train_as_their_rescaled_versions(dtype, big, tiny):
    v = np.linspace(0.25, 1.0, 8)
    for c in (big, tiny):
        w = (v * c).astype(dtype)
        k = np.frexp(w.max())[1] - 1
        rescaled = np.ldexp(w, -k)  # exact: a power of two
        nets = [fb.MLP([3, 4, 1], hidden="tanh", dtype=dtype, seed=0) for _ in range(2)]
        histories = [net.fit(X8, X8[:, :1] > 0, optimizer=fb.Adam(0.01), epochs=3,
                             batch_size=4, sample_weight=weights, seed=0)
                     for net, weights in zip(nets, (w, rescaled))]
        np.testing.assert_array_equal(nets[0].params, nets[1].params)
        assert histories[0].loss == histories[1].loss and histories[0].loss[-1] > 0
        assert nets[0].loss(X8, X8[:, :1] > 0, sample_weight=w) == pytest.approx(
            nets[1].loss(X8, X8[:, :1] > 0, sample_weight=rescaled), rel=1e-6)
        assert np.isfinite(nets[0].loss(X8, X8[:, :1] > 0, sample_weight=w))


def test_ordinary_weights_are_used_as_given():
    from fastbp._validation import scale_weights

    w = np.array([1e-3, 5.0, 1e17])
    assert scale_weights(w, 0.5)[0] is w


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_the_estimators_rescale_alpha_with_the_weights(solver):
    from fastbp.estimators import MLPRegressor

    X = RNG.normal(size=(30, 3))
    y = X @ [1.0, -2.0, 0.5]
    v = np.linspace(1.0, 1.9, 30)

    def fit(alpha, w):
        est = MLPRegressor(hidden_layer_sizes=(4,), solver=solver, alpha=alpha, max_iter=5,
                           random_state=0)
        with pytest.warns(Warning):  # not converged in 5 iterations
            return est.fit(X, y, sample_weight=w)

    # the L2 term is alpha / sum(w): scaling both by 2**-70 changes nothing
    a, b = fit(1e-2, np.ldexp(v, 70)), fit(np.ldexp(1e-2, -70), v)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert a.loss_curve_ == b.loss_curve_ if solver == "adam" else a.loss_ == b.loss_


# --- 10. threads and determinism --------------------------------------------------------
def test_forward_from_another_thread_during_fit_is_refused():
    import threading

    X = RNG.random((1000, 3))
    net = fb.MLP([3, 2, 1], seed=0)
    started, tried, seen = threading.Event(), threading.Event(), []

    def callback(epoch, logs):
        seen.append(net.forward(X[:2]))  # the training thread itself: a consistent state
        started.set()
        tried.wait(60)  # fit stays in progress until the other thread has tried

    worker = threading.Thread(target=lambda: net.fit(X, X[:, :1], epochs=3, batch_size=1,
                                                     callbacks=callback))
    worker.start()
    try:
        assert started.wait(60)
        with pytest.raises(RuntimeError, match="forward: this network is being trained"):
            net.forward(X[:2])
    finally:
        tried.set()
        worker.join()
    assert len(seen) == 3
    net.forward(X[:2])  # after fit: allowed again
    pickle.loads(pickle.dumps(net)).forward(X[:2])


def test_the_same_settings_give_the_same_bits_for_a_fixed_thread_count():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    X = RNG.normal(size=(2048, 64))
    y = RNG.integers(0, 4, 2048)
    results = []
    with threadpoolctl.threadpool_limits(2):
        for _ in range(2):
            net = fb.MLP([64, 128, 4], hidden="relu", output="softmax", loss="cross_entropy",
                         seed=0)
            net.fit(X, y, optimizer=fb.Adam(1e-3), epochs=2, batch_size=256, shuffle=True,
                    seed=1)
            results.append(net.params)
    np.testing.assert_array_equal(results[0], results[1])


def test_misaligned_arrays_are_copied_before_the_kernels_read_them():
    # arrays rebuilt from buffers (dask, pickle protocol 5) may start at any
    # byte; the validation scans read them too (the sanitized CI run checks)
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(20, 3)), rng.integers(0, 2, 20), rng.random(20)

    def misaligned(a):
        odd = np.frombuffer(bytearray(a.nbytes + 1), dtype=a.dtype, offset=1,
                            count=a.size).reshape(a.shape)
        odd[...] = a
        assert not odd.flags.aligned
        return odd

    odd = misaligned(X)
    a = fb.MLP([3, 4, 2], output="softmax", loss="cross_entropy", seed=0)
    b = a.copy()
    a.fit(odd, misaligned(y.astype(float)), sample_weight=misaligned(w), batch_size=5,
          shuffle=False)
    b.fit(X, y, sample_weight=w, batch_size=5, shuffle=False)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.forward(odd), a.forward(X))
