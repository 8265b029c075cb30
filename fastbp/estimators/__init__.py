"""Drop-in scikit-learn estimators: MLPClassifier and MLPRegressor.

They take scikit-learn 1.9's constructor parameters (same names, defaults,
order and meaning) and follow its training procedure step for step: the same
Glorot initialization drawn from the same random stream, the same sample
order, loss, L2 scaling, Adam and momentum updates, learning-rate modes,
stopping rules and early-stopping split.  With float64 data they reproduce
scikit-learn's ``loss_curve_`` and ``coefs_`` to rounding.  The epochs run in
fastbp's one training loop (``fastbp._runner``): scikit-learn's rate,
stopping and best-weights policies are a schedule and callbacks in
``fastbp.estimators._policies``.

Differences from scikit-learn, all deliberate:

* a failed or interrupted ``fit``/``partial_fit`` (including Ctrl-C, which
  scikit-learn swallows) leaves the estimator exactly as it was before the
  call and re-raises;
* divergence raises :class:`fastbp.TrainingDiverged` (a FloatingPointError);
* ``momentum`` must be < 1 (scikit-learn accepts 1, which never forgets);
* negative sample weights are refused;
* the log loss clips probabilities at the smallest normal float inside the log
  (scikit-learn clips at machine epsilon): the curves differ only once a
  probability saturates below 2.2e-16.

Extras: ``dtype``, ``solver`` also 'rmsprop', 'adagrad' or any fastbp
optimizer instance, ``learning_rate`` also a fastbp schedule,
``class_weight`` (classifier), ``callbacks``, and a user validation set
``fit(X, y, X_val=..., y_val=...)``.

Sparse X (CSR/CSC) is densified one mini-batch at a time, never whole: each
batch runs through the compiled loop on its own, which is slower than the
dense whole-epoch path but bounded in memory.

``sklearn.utils.estimator_checks.check_estimator`` passes every check on both
estimators; scikit-learn itself skips two: ``check_array_api_input`` (runs only
with SCIPY_ARRAY_API=1; the estimators take NumPy and SciPy input only) and,
for the classifier, ``check_classifiers_multilabel_output_format_decision_function``
(there is no decision_function, as in scikit-learn's MLP).  One caveat, shared
with scikit-learn: with solver='lbfgs' and the default max_iter=200 the
classifier can fit check_estimator's multilabel data so well that some
probabilities are exactly 1.0 in float64, and
``check_classifiers_multilabel_output_format_predict_proba`` (which wants them
strictly inside (0, 1)) fails, exactly as it does for scikit-learn's
``MLPClassifier(solver='lbfgs')``; with max_iter=50 it passes.
The package: ``_params`` (the parameter table), ``_base`` (validation,
warm start, transactions, coefficient views), ``_stochastic`` and ``_lbfgs``
(the solvers), ``_policies`` (scikit-learn's rate and stopping rules),
``_classifier`` and ``_regressor``.
"""
from fastbp.estimators._classifier import MLPClassifier
from fastbp.estimators._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
