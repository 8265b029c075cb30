"""fastbp's drop-in estimators against scikit-learn's own MLP: same parameters,
same data, same random_state -> the same loss curve and weights (float64)."""
import contextlib
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn import neural_network as sk  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import fastbp as fb  # noqa: E402

RTOL = 1e-8

SGD_VARIANTS = [
    dict(solver="sgd", momentum=0.0, learning_rate="constant", learning_rate_init=0.05),
    dict(solver="sgd", momentum=0.9, nesterovs_momentum=False, learning_rate="constant"),
    dict(solver="sgd", momentum=0.9, nesterovs_momentum=True, learning_rate="constant"),
    dict(solver="sgd", momentum=0.9, learning_rate="invscaling", learning_rate_init=0.2,
         power_t=0.3),
    dict(solver="sgd", momentum=0.0, learning_rate="invscaling", learning_rate_init=0.1),
    # a huge tol makes every epoch "no improvement": the rate is divided by 5
    # every 3 epochs, and training stops once it is <= 1e-6
    dict(solver="sgd", momentum=0.5, learning_rate="adaptive", tol=10.0, n_iter_no_change=2,
         learning_rate_init=0.05),
    dict(solver="adam", learning_rate_init=0.01),
    dict(solver="adam", learning_rate_init=0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-6),
]
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


def data(kind, n=67, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    if kind == "binary":
        return X, (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    if kind == "multiclass":
        return X, np.digitize(X[:, 0] + 0.5 * X[:, 2], [-0.5, 0.5]) * 10  # labels 0, 10, 20
    if kind == "multilabel":
        return X, (X[:, :3] > 0).astype(int)
    if kind == "regression":
        return X, X[:, 0] - 2 * X[:, 1] * X[:, 2]
    if kind == "multi_output":
        return X, np.c_[X[:, 0] - X[:, 1], np.sin(X[:, 2])]
    if kind == "poisson":
        return X, rng.poisson(np.exp(0.3 * X[:, 0]))
    raise ValueError(kind)


def pair(kind, **params):
    cls = "MLPClassifier" if kind in ("binary", "multiclass", "multilabel") else "MLPRegressor"
    if kind == "poisson":
        params["loss"] = "poisson"
    return getattr(sk, cls)(**params), getattr(fb, cls)(**params)


def fit_both(ours, theirs, X, y, **fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y, **fit)
        ours.fit(X, y, **fit)


def assert_same(ours, theirs, curves=True):
    if curves:
        assert len(ours.loss_curve_) == len(theirs.loss_curve_)
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=RTOL)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=RTOL)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("variant", SGD_VARIANTS, ids=lambda v: "-".join(
    str(v.get(k)) for k in ("solver", "momentum", "nesterovs_momentum", "learning_rate")))
@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_stochastic_solvers_match(kind, variant, activation):
    X, y = data(kind)
    params = dict(hidden_layer_sizes=(7, 4), activation=activation, max_iter=12, alpha=1e-3,
                  batch_size=16, shuffle=False, random_state=3, **variant)
    theirs, ours = pair(kind, **params)
    fit_both(ours, theirs, X, y)
    assert_same(ours, theirs)
    if variant.get("learning_rate") == "adaptive":
        assert theirs.n_iter_ < params["max_iter"] or theirs._optimizer.learning_rate < 0.05


@pytest.mark.parametrize("kind", ["binary", "multilabel", "multi_output", "poisson"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_every_target_kind_matches_with_shuffling(kind, solver):
    # same random_state -> same init, same shuffles (scikit-learn's stream)
    X, y = data(kind)
    lr = 0.01 if kind == "poisson" else 0.05
    theirs, ours = pair(kind, hidden_layer_sizes=(6,), solver=solver, max_iter=10,
                        batch_size=10, shuffle=True, random_state=7, learning_rate_init=lr,
                        activation="tanh")
    fit_both(ours, theirs, X, y)
    assert_same(ours, theirs)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression", "multi_output"])
def test_warm_start_from_assigned_coefs(kind):
    """The issue's protocol: give both the same starting weights through
    warm_start, then several epochs without shuffling."""
    X, y = data(kind, seed=1)
    params = dict(hidden_layer_sizes=(5,), solver="sgd", max_iter=1, shuffle=False,
                  learning_rate_init=0.05, warm_start=True, batch_size=20, random_state=0)
    theirs, ours = pair(kind, **params)
    fit_both(ours, theirs, X, y)
    rng = np.random.default_rng(5)
    coefs = [rng.uniform(-0.5, 0.5, c.shape) for c in theirs.coefs_]
    intercepts = [rng.uniform(-0.5, 0.5, b.shape) for b in theirs.intercepts_]
    for est in (theirs, ours):
        est.coefs_ = [c.copy() for c in coefs]
        est.intercepts_ = [b.copy() for b in intercepts]
        est.set_params(max_iter=8)
    fit_both(ours, theirs, X, y)
    assert_same(ours, theirs)
    # the assignment was honoured: not the weights of the first fit
    assert ours.loss_curve_[1] == pytest.approx(theirs.loss_curve_[1], rel=RTOL)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("kind", ["multiclass", "binary", "regression", "multi_output"])
def test_lbfgs_matches(kind, activation):
    X, y = data(kind)
    theirs, ours = pair(kind, hidden_layer_sizes=(6,), solver="lbfgs", max_iter=15,
                        activation=activation, random_state=2, alpha=0.01)
    fit_both(ours, theirs, X, y)
    assert_same(ours, theirs, curves=False)


def test_sample_weights_match():
    X, y = data("multiclass")
    w = np.random.default_rng(0).uniform(0.1, 3.0, X.shape[0])
    for solver in ("sgd", "adam", "lbfgs"):
        theirs, ours = pair("multiclass", hidden_layer_sizes=(6,), solver=solver, max_iter=8,
                            batch_size=10, random_state=4, learning_rate_init=0.02)
        fit_both(ours, theirs, X, y, sample_weight=w)
        assert_same(ours, theirs, curves=solver != "lbfgs")


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_early_stopping_matches(kind):
    # same split (train_test_split with the same stream, stratified for
    # binary), same validation scores, same best weights restored
    X, y = data(kind, n=120)
    theirs, ours = pair(kind, hidden_layer_sizes=(8,), solver="adam", max_iter=40,
                        early_stopping=True, n_iter_no_change=3, random_state=0,
                        learning_rate_init=0.05, validation_fraction=0.25)
    fit_both(ours, theirs, X, y)
    assert_same(ours, theirs)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=RTOL)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=RTOL)
    assert ours.best_loss_ is None and theirs.best_loss_ is None


def test_partial_fit_matches():
    X, y = data("multiclass")
    theirs, ours = pair("multiclass", hidden_layer_sizes=(6,), solver="adam", random_state=1,
                        learning_rate_init=0.02, batch_size=25)
    for i in range(4):
        part = slice(i * 15, i * 15 + 30)
        for est in (theirs, ours):  # both warn when the batch size exceeds the samples
            with (pytest.warns(UserWarning, match="clipped") if len(y[part]) < 25
                  else contextlib.nullcontext()):
                est.partial_fit(X[part], y[part], classes=np.unique(y))
    assert_same(ours, theirs)
    assert ours.t_ == theirs.t_


@pytest.mark.parametrize("variant", [dict(solver="sgd", momentum=0.9),
                                     dict(solver="sgd", momentum=0.0, alpha=0.1),
                                     dict(solver="adam", alpha=0.01)])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_per_example_path_matches(kind, variant):
    # batch_size=1 runs the compiled loop's per-example path
    X, y = data(kind, n=40)
    theirs, ours = pair(kind, hidden_layer_sizes=(5,), batch_size=1, max_iter=4,
                        learning_rate_init=0.005, random_state=0, activation="logistic",
                        **variant)
    fit_both(ours, theirs, X, y)
    assert_same(ours, theirs)
