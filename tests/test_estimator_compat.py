"""Issue 14, item 9: behaviours scikit-learn's own MLP tests check, on the
drop-ins, compared with scikit-learn itself where it can run the same case
(``python benchmarks/sklearn_suite.py`` runs its test file itself)."""
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
import sklearn.neural_network as sk  # noqa: E402

import fastbp as fb  # noqa: E402
from fastbp.estimators import MLPClassifier, MLPRegressor  # noqa: E402


def _set_by_hand(mlp):
    """Fitted attributes assigned by hand, as scikit-learn's worked example does."""
    mlp.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]), np.array([[0.1], [0.2]])]
    mlp.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    mlp.n_features_in_, mlp.n_layers_, mlp.n_outputs_ = 3, 3, 1
    mlp.out_activation_ = "logistic"
    mlp.n_iter_, mlp.t_ = 0, 0
    mlp.best_loss_, mlp.loss_curve_, mlp._no_improvement_count = np.inf, [], 0
    return mlp


def test_attributes_set_by_hand_train_as_in_scikit_learn():
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    kw = dict(solver="sgd", learning_rate_init=0.1, alpha=0.1, activation="logistic",
              random_state=1, max_iter=1, hidden_layer_sizes=2, momentum=0)
    ours, theirs = _set_by_hand(MLPClassifier(**kw)), _set_by_hand(sk.MLPClassifier(**kw))
    # scikit-learn's worked example: the output before the update is 0.7654329236196236
    ours.partial_fit(X, y, classes=[0, 1])
    theirs.partial_fit(X, y, classes=[0, 1])
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)


def test_a_regressor_with_attributes_set_by_hand_predicts():
    reg = MLPRegressor(hidden_layer_sizes=(2,), activation="relu")
    reg.coefs_ = [np.ones((3, 2)), np.ones((2, 1))]
    reg.intercepts_ = [np.zeros(2), np.array([0.5])]
    reg.n_features_in_, reg.out_activation_ = 3, "identity"
    np.testing.assert_allclose(reg.predict([[1.0, 2.0, -1.0]]), [4.5])  # relu(2)*2 + 0.5


def test_multilabel_partial_fit_learns_the_columns_from_y():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    Y = (X[:, :3] > 0).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", random_state=0)
    for _ in range(3):
        clf.partial_fit(X, Y, classes=[0, 1, 2])
    assert clf.predict(X).shape == (40, 3)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_warm_start_class_change_uses_scikit_learns_wording():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 3
    clf = MLPClassifier(hidden_layer_sizes=2, solver="lbfgs", warm_start=True, random_state=0,
                        max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
        with pytest.raises(ValueError, match=r"warm_start can only be used where `y` has the "
                           r"same classes as in the previous call to fit\. Previously got "
                           r"\[0 1 2\], `y` has \[0 1\]"):
            clf.fit(X, y % 2)


def test_the_stratified_split_message_names_bool_classes():
    with pytest.raises(ValueError, match=r"least populated classes in y have only 1 member"
                       r".*too few members are: \['True'\]"):
        MLPClassifier(early_stopping=True).fit([[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1])


def test_divergence_is_scikit_learns_value_error():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    message = "Solver produced non-finite parameter weights. The input data may contain large"
    with pytest.raises(ValueError, match=message) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPRegressor().fit(X, rng.standard_normal(10))
    assert isinstance(info.value, fb.TrainingDiverged)
    assert issubclass(fb.TrainingDiverged, FloatingPointError)


def test_divergence_with_early_stopping_continues_as_scikit_learn_does():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    kw = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
              learning_rate_init=1, shuffle=True, max_iter=20, early_stopping=True,
              n_iter_no_change=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MLPRegressor(**kw).fit(X, y)
        theirs = sk.MLPRegressor(**kw).fit(X, y)
    assert np.isnan(ours.validation_scores_[-1]) and isinstance(ours.validation_scores_[-1],
                                                                float)
    assert np.isnan(theirs.validation_scores_[-1])
    # NaN scores never stop it (NaN < best + tol is false): max_iter epochs, best weights back
    assert ours.n_iter_ == theirs.n_iter_ == 20
    assert len(ours.validation_scores_) == len(theirs.validation_scores_)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)
    assert all(np.isfinite(c).all() for c in ours.coefs_)
    assert np.isfinite(ours.predict(X)).all()
