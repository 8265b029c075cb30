"""dask-ml's wrappers around the plain estimators: Incremental trains as
sequential partial_fit calls on the same blocks, bit for bit (the estimator,
optimizer state included, travels between worker processes by pickle), and
ParallelPostFit predicts and scores as the plain estimator."""
import numpy as np
import pytest
import sklearn.utils

import fastbp as fb

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
wrappers = pytest.importorskip("dask_ml.wrappers")


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = np.array(["ant", "bee", "cat"])[(X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)]
    return X, y


CHUNKS = (70, 80, 60, 90)
STARTS = np.cumsum((0,) + CHUNKS)


def _blocks(order):
    return [slice(STARTS[b], STARTS[b + 1]) for b in order]


def _params(solver):
    return dict(hidden_layer_sizes=(7,), solver=solver, random_state=3, batch_size=25,
                learning_rate_init=0.05, dropout=0.1, alpha=1e-3)


def _blockwise(method, X, chunks):
    """``method`` applied to each row block of X, concatenated: what a
    block-wise prediction must equal bit for bit (BLAS may round a block
    differently from the whole)."""
    starts = np.cumsum((0,) + chunks)
    return np.concatenate([method(X[a:b]) for a, b in zip(starts[:-1], starts[1:])])


def _assert_same_fit(got, expected):
    for a, b in zip(got.coefs_ + got.intercepts_, expected.coefs_ + expected.intercepts_):
        assert np.array_equal(a, b)
    assert got.loss_curve_ == expected.loss_curve_
    assert (got.n_iter_, got.t_) == (expected.n_iter_, expected.t_)
    for s, t in zip(got._optimizer._state, expected._optimizer._state):
        assert np.array_equal(s, t)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_incremental_equals_sequential_partial_fit(client, solver):
    """Blocks in dask-ml's shuffled order (random_state=0), two partial_fit
    rounds: the second starts from the first's estimator, pickled back to a
    worker with its optimizer's moments."""
    X, y = _data()
    Xd, yd = da.from_array(X, chunks=(CHUNKS, 5)), da.from_array(y, chunks=(CHUNKS,))
    classes = np.unique(y)
    inc = wrappers.Incremental(fb.MLPClassifier(**_params(solver)), shuffle_blocks=True,
                               random_state=0)
    inc.fit(Xd, yd, classes=classes)
    inc.partial_fit(Xd, yd, classes=classes)
    assert inc.estimator.__dict__.get("coefs_") is None  # dask-ml fitted a clone

    order = list(range(len(CHUNKS)))
    sklearn.utils.check_random_state(0).shuffle(order)
    assert order != sorted(order)  # the blocks really were visited out of order
    expected = fb.MLPClassifier(**_params(solver))
    for rows in _blocks(order) * 2:
        expected.partial_fit(X[rows], y[rows], classes=classes)
    assert len(expected.loss_curve_) == 2 * len(CHUNKS)
    _assert_same_fit(inc.estimator_, expected)
    # a different block order gives a different fit: the comparison can fail
    other = fb.MLPClassifier(**_params(solver))
    for rows in _blocks(range(len(CHUNKS))) * 2:
        other.partial_fit(X[rows], y[rows], classes=classes)
    assert not np.array_equal(other.coefs_[0], expected.coefs_[0])


def test_parallel_post_fit_predicts_as_the_estimator(client):
    X, y = _data(500)
    plain = fb.MLPClassifier(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=200,
                             random_state=0).fit(X[:200], y[:200])
    wrapped = wrappers.ParallelPostFit(fb.MLPClassifier(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=200, random_state=0))
    wrapped.fit(X[:200], y[:200])
    Xd, yd = da.from_array(X, chunks=(120, 5)), da.from_array(y, chunks=120)
    labels = wrapped.predict(Xd)
    assert isinstance(labels, da.Array)
    assert np.array_equal(labels.compute(), _blockwise(plain.predict, X, Xd.chunks[0]))
    proba = wrapped.predict_proba(Xd)
    assert isinstance(proba, da.Array) and proba.chunks[0] == Xd.chunks[0]
    assert np.array_equal(proba.compute(), _blockwise(plain.predict_proba, X, Xd.chunks[0]))
    np.testing.assert_allclose(proba.compute(), plain.predict_proba(X), rtol=1e-12, atol=1e-300)
    assert wrapped.score(Xd, yd) == pytest.approx(plain.score(X, y), rel=1e-15)
    assert 0.5 < plain.score(X, y) < 1  # not all one class: the labels differ by row


def test_incremental_regressor(client):
    X, _ = _data()
    y = X[:, 0] - 0.5 * X[:, 3]
    params = dict(hidden_layer_sizes=(4,), solver="adam", random_state=1, batch_size=32,
                  learning_rate_init=0.01)
    inc = wrappers.Incremental(fb.MLPRegressor(**params), shuffle_blocks=False)
    inc.fit(da.from_array(X, chunks=(CHUNKS, 5)), da.from_array(y, chunks=(CHUNKS,)))
    expected = fb.MLPRegressor(**params)
    for rows in _blocks(range(len(CHUNKS))):
        expected.partial_fit(X[rows], y[rows])
    _assert_same_fit(inc.estimator_, expected)
    predicted = inc.predict(da.from_array(X, chunks=(100, 5)))
    assert np.array_equal(predicted.compute(), _blockwise(expected.predict, X, (100,) * 3))
