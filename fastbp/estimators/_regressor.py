"""The drop-in for sklearn.neural_network.MLPRegressor."""
from fastbp.estimators._base import BaseMLP
from fastbp.estimators._params import REGRESSOR
from fastbp.estimators._sklearn import RegressorMixin, available_if, r2_score


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor, a drop-in for
    ``sklearn.neural_network.MLPRegressor`` trained by fastbp's compiled loop.

    The parameters up to ``max_fun`` are scikit-learn 1.9's ('squared_error'
    or 'poisson' loss first), with the same defaults and meaning; the other
    solvers, activations and schedules, and the extras ``dtype``,
    ``callbacks``, ``dropout``, ``clip_norm`` and ``weight_decay``, are as
    for :class:`MLPClassifier`.
    check_estimator passes (see the module docstring).
    """

    _is_clf = False
    _parameters = REGRESSOR

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=None, callbacks=None,
                 dropout=0.0, clip_norm=None, weight_decay=0.01):
        self._store_params(locals())

    _score_function = staticmethod(r2_score)

    def _output(self):
        if self.loss == "poisson":
            return "exp", "poisson", "exp"
        return "identity", "squared", "identity"

    def _encode_targets(self, y, incremental):  # noqa: ARG002 - the hook's signature (BaseMLP)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _encode_val(self, y_val):
        return y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val

    def _class_weights(self, y, sw, dtype):  # noqa: ARG002 - the hook's signature (BaseMLP)
        return sw

    @available_if(lambda est: est._stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over X, y, continuing from the current state (the
        optimizer's too)."""
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Predicted values, (n_samples,) for one output."""
        return self._predict_validated(self._check_predict_input(X))

    def _predict_validated(self, X):
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out
