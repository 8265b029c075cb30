"""fastbp.dask's estimators continue training as the local ones do:
warm_start and partial_fit on dask collections equal the local estimator's
on the same rows (synchronous mode and lbfgs: to rounding)."""
import numpy as np
import pytest

import fastbp as fb

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
fbd = pytest.importorskip("fastbp.dask")


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.array(["ant", "bee", "cat"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    return X, y


def _chunked(*arrays, chunks=(100, 60, 80)):
    return [da.from_array(a, chunks=(chunks,) + a.shape[1:]) for a in arrays]


def _same(est, ref, rtol=1e-10):
    np.testing.assert_allclose(est._net.params, ref._net.params, rtol=rtol, atol=1e-13)
    np.testing.assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=rtol)
    assert (est.n_iter_, est.t_) == (ref.n_iter_, ref.t_)


SGD = dict(hidden_layer_sizes=(5,), solver="sgd", batch_size=40, learning_rate_init=0.1,
           max_iter=3, random_state=0, mode="sync")


def _local(params):
    return {k: v for k, v in params.items() if k != "mode"}


def test_warm_start_continues_as_the_local_estimator(client):
    X, y = _data()
    Xd, yd = _chunked(X, y)
    est = fbd.MLPClassifier(**SGD, client=client)
    ref = fb.MLPClassifier(**_local(SGD))
    with pytest.warns(Warning):  # not converged in 3 epochs, each fit
        est.fit(Xd, yd)
        ref.fit(X, y)
        first = est._net.params.copy()
        est.set_params(warm_start=True, learning_rate_init=0.05).fit(Xd, yd)
        ref.set_params(warm_start=True, learning_rate_init=0.05).fit(X, y)
    _same(est, ref)
    assert len(est.loss_curve_) == 6  # the curve goes on, as scikit-learn's
    assert not np.allclose(est._net.params, first)
    with pytest.raises(ValueError, match="same classes"):
        est.fit(*_chunked(X[y != "cat"], y[y != "cat"], chunks=90))


def test_partial_fit_continues_the_optimizer(client):
    X, y = _data()
    params = {**SGD, "solver": "adam", "learning_rate_init": 0.02}
    est = fbd.MLPClassifier(**params, client=client)
    ref = fb.MLPClassifier(**_local(params))
    classes = ["ant", "bee", "cat"]
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(*_chunked(X, y))
    for rows in (slice(0, 120), slice(120, 240), slice(0, 240)):
        est.partial_fit(*_chunked(X[rows], y[rows], chunks=50), classes=classes)
        ref.partial_fit(X[rows], y[rows], classes=classes)
    _same(est, ref)
    assert est._optimizer.t == ref._optimizer.t == 3 + 3 + 6
    np.testing.assert_allclose(est._optimizer._state[1], ref._optimizer._state[1], rtol=1e-9,
                               atol=1e-16)
    with pytest.raises(ValueError, match="not the same as on the first call"):
        est.partial_fit(*_chunked(X, y), classes=["ant", "bee"])
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        est.partial_fit(*_chunked(X, np.where(y == "cat", "dog", y)))


def test_regressor_partial_fit_and_lbfgs_warm_start(client):
    X, _ = _data()
    y = np.sin(X[:, 0]) + X[:, 2]
    Xd, yd = _chunked(X, y)
    params = dict(hidden_layer_sizes=(4,), solver="sgd", batch_size=60, random_state=2)
    est = fbd.MLPRegressor(**params, mode="sync", client=client)
    ref = fb.MLPRegressor(**params)
    for _ in range(2):
        est.partial_fit(Xd, yd)
        ref.partial_fit(X, y)
    _same(est, ref)
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=2,
                  warm_start=True)
    est = fbd.MLPRegressor(**params, client=client)
    ref = fb.MLPRegressor(**params)
    with pytest.warns(Warning):  # 5 iterations: not converged, each fit
        for _ in range(2):
            est.fit(Xd, yd)
            ref.fit(X, y)
    np.testing.assert_allclose(est._net.params, ref._net.params, rtol=1e-8, atol=1e-12)
    assert not hasattr(fbd.MLPRegressor(solver="lbfgs", client=client), "partial_fit")
