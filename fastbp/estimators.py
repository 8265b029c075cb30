"""Drop-in scikit-learn estimators: MLPClassifier and MLPRegressor.

They take scikit-learn 1.9's constructor parameters (same names, defaults,
order and meaning) and follow its training procedure step for step: the same
Glorot initialization drawn from the same random stream, the same sample
order, loss, L2 scaling, Adam and momentum updates, learning-rate modes,
stopping rules and early-stopping split.  With float64 data they reproduce
scikit-learn's ``loss_curve_`` and ``coefs_`` to rounding.  The epochs run in
fastbp's compiled loop (:class:`fastbp.training.EpochRunner`).

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
"""
import copy
import numbers
import warnings
from contextlib import contextmanager

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from fastbp._sklearn_compat import (
    BaseEstimator, ClassifierMixin, ConvergenceWarning, LabelBinarizer, RegressorMixin,
    accuracy_score, available_if, check_classification_targets, check_is_fitted,
    check_random_state, column_or_1d,
    compute_sample_weight, r2_score, train_test_split, type_of_target, unique_labels,
    validate_data)
from fastbp._validation import check_int, check_real, check_sample_weight
from fastbp.network import MLP
from fastbp.optimizers import SGD, AdaGrad, Adam, Optimizer, RMSprop
from fastbp.schedules import Constant, Schedule
from fastbp.callbacks import as_callbacks
from fastbp.training import EpochRunner, _epoch_end, _train_begin, _train_end

__all__ = ["MLPClassifier", "MLPRegressor"]

# scikit-learn's activation names -> fastbp's
_HIDDEN = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_SOLVERS = ("lbfgs", "sgd", "adam", "rmsprop", "adagrad")
_LR_MODES = ("constant", "invscaling", "adaptive")
# rows densified at a time when predicting from a sparse matrix
_SPARSE_CHUNK = 1024

def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


class _BaseMLP(BaseEstimator):
    """Shared by the classifier and the regressor; not for direct use."""

    # --- parameters ---------------------------------------------------------
    def _store_params(self, params):
        """__init__ stores every argument unchanged, as scikit-learn requires
        (the subclasses spell out their signatures for get_params)."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def _check_params(self):
        """Check every constructor parameter before anything runs; returns the
        hidden layer sizes as a list."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(
                f"hidden_layer_sizes must be an int or a sequence of ints, got {sizes!r}") from None
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
                raise ValueError(f"hidden_layer_sizes must hold integers >= 1, got {self.hidden_layer_sizes!r}")
        _check_choice("activation", self.activation, _HIDDEN)
        if not isinstance(self.solver, Optimizer):
            if not isinstance(self.solver, str) or self.solver not in _SOLVERS:
                raise ValueError(
                    f"solver must be one of {list(_SOLVERS)} or a fastbp optimizer instance, "
                    f"got {self.solver!r}")
        check_real("alpha", self.alpha, 0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if isinstance(self.batch_size, str):
                raise ValueError(f"batch_size must be 'auto' or an integer >= 1, got {self.batch_size!r}")
            check_int("batch_size", self.batch_size, 1)
        if not isinstance(self.learning_rate, Schedule):
            if not isinstance(self.learning_rate, str) or self.learning_rate not in _LR_MODES:
                raise ValueError(
                    f"learning_rate must be one of {list(_LR_MODES)} or a fastbp.schedules "
                    f"Schedule, got {self.learning_rate!r}")
        check_real("learning_rate_init", self.learning_rate_init, 0.0, low_open=True)
        check_real("power_t", self.power_t, 0.0)
        check_int("max_iter", self.max_iter, 1)
        _check_bool("shuffle", self.shuffle)
        check_real("tol", self.tol, 0.0)
        if not isinstance(self.verbose, (numbers.Integral, np.bool_)):
            raise TypeError(f"verbose must be a bool or an int, got {self.verbose!r}")
        _check_bool("warm_start", self.warm_start)
        check_real("momentum", self.momentum, 0.0, 1.0, high_open=True)
        _check_bool("nesterovs_momentum", self.nesterovs_momentum)
        _check_bool("early_stopping", self.early_stopping)
        check_real("validation_fraction", self.validation_fraction, 0.0, 1.0, high_open=True)
        check_real("beta_1", self.beta_1, 0.0, 1.0, high_open=True)
        check_real("beta_2", self.beta_2, 0.0, 1.0, high_open=True)
        check_real("epsilon", self.epsilon, 0.0, low_open=True)
        if not (isinstance(self.n_iter_no_change, float) and self.n_iter_no_change == np.inf):
            check_int("n_iter_no_change", self.n_iter_no_change, 1)
        check_int("max_fun", self.max_fun, 1)
        if self.dtype is not None and self.dtype not in ("float32", "float64", np.float32, np.float64):
            raise ValueError(f"dtype must be None, 'float32' or 'float64', got {self.dtype!r}")
        cbs = self.callbacks
        if not (cbs is None or callable(cbs) or hasattr(cbs, "on_epoch_end")
                or isinstance(cbs, (list, tuple))):
            raise TypeError(f"callbacks must be None, a callback or a list of callbacks, got {cbs!r}")
        as_callbacks(cbs)
        self._check_extra_params()
        return [int(s) for s in sizes]

    def _check_extra_params(self):
        pass

    @property
    def _stochastic(self):
        return self.solver != "lbfgs"

    def _make_optimizer(self):
        """A fresh optimizer for one fit (scikit-learn starts each fit afresh)."""
        lr = self.learning_rate_init
        if isinstance(self.solver, Optimizer):
            opt = copy.deepcopy(self.solver)
            opt.reset()
            return opt
        if self.solver == "sgd":
            return SGD(lr, momentum=self.momentum,
                       nesterov=self.nesterovs_momentum and self.momentum > 0,
                       lr_in_velocity=True)
        if self.solver == "adam":
            return Adam(lr, self.beta_1, self.beta_2, self.epsilon, eps_hat=True)
        if self.solver == "rmsprop":
            return RMSprop(lr, eps=self.epsilon)
        return AdaGrad(lr, eps=self.epsilon)

    def _rate_mode(self):
        """'constant', 'invscaling', 'adaptive' (scikit-learn's, for solver
        'sgd' only: its Adam ignores learning_rate), or 'schedule'."""
        if isinstance(self.learning_rate, Schedule):
            return "schedule"
        return self.learning_rate if self.solver == "sgd" else "constant"

    # --- data ---------------------------------------------------------------
    def _validate(self, X, y="no_validation", reset=True):
        """X (and y) through scikit-learn's validation: float64 or float32
        (or the network's dtype once there is one), CSR/CSC kept sparse."""
        if not reset:
            dtype = self._net.dtype
        elif self.dtype is not None:
            dtype = np.dtype(self.dtype)
        else:
            dtype = (np.float64, np.float32)
        kw = dict(accept_sparse=["csr", "csc"], dtype=dtype, reset=reset)
        if isinstance(y, str) and y == "no_validation":
            return validate_data(self, X, **kw)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=not self._is_clf, **kw)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # DataConversionWarning, as scikit-learn
        if not sp.issparse(X):
            X = np.ascontiguousarray(X)  # the compiled loop reads C-ordered rows
        return X, y

    def _sample_weight(self, sample_weight, n, dtype, name="sample_weight"):
        if sample_weight is None:
            return None
        w = np.asarray(sample_weight)
        if w.ndim == 0:
            w = np.full(n, w)
        return check_sample_weight(w, n, dtype, name)

    def _dense_rows(self, X, dtype):
        """Yield (start, dense rows) of X, a chunk at a time when sparse."""
        if not sp.issparse(X):
            yield 0, np.ascontiguousarray(X, dtype=dtype)
            return
        X = X.tocsr()
        for start in range(0, X.shape[0], _SPARSE_CHUNK):
            yield start, np.ascontiguousarray(X[start: start + _SPARSE_CHUNK].toarray(), dtype=dtype)

    def _forward(self, X):
        """Output activations (n_samples, n_outputs) of validated X."""
        self._load_coefs()
        net = self._net
        out = np.empty((X.shape[0], net.n_outputs), dtype=net.dtype)
        for start, rows in self._dense_rows(X, net.dtype):
            out[start: start + rows.shape[0]] = net.forward(rows)
        return out

    # --- coefs_/intercepts_ as views of the network's parameters -------------
    def _load_coefs(self):
        """Honour arrays a user assigned to coefs_/intercepts_ (scikit-learn
        users set them before a warm-started fit): copy them into the network
        and make the attributes views of its parameters again."""
        net = self._net
        for name, views in (("coefs_", net.weights), ("intercepts_", net.biases)):
            arrays = getattr(self, name)
            if len(arrays) != len(views):
                raise ValueError(f"{name} has {len(arrays)} layers, the network has {len(views)}")
            for l, (a, v) in enumerate(zip(arrays, views)):
                if a is v:
                    continue
                a = np.asarray(a)
                if a.shape != v.shape:
                    raise ValueError(f"{name}[{l}] has shape {a.shape}, expected {v.shape}")
                if not np.isfinite(a).all():
                    raise ValueError(f"{name}[{l}] contains NaN or infinity")
                v[...] = a
        self.coefs_, self.intercepts_ = list(net.weights), list(net.biases)

    def __getstate__(self):
        state = super().__getstate__()
        net = state.get("_net")
        # views do not survive pickling: rebuilt from the network on load
        if net is not None and all(a is v for a, v in zip(state["coefs_"], net.weights)) \
                and all(a is v for a, v in zip(state["intercepts_"], net.biases)):
            state = dict(state)
            del state["coefs_"], state["intercepts_"]
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_net" in self.__dict__ and "coefs_" not in self.__dict__:
            self.coefs_, self.intercepts_ = list(self._net.weights), list(self._net.biases)

    @contextmanager
    def _transaction(self):
        """On any exception (Ctrl-C included) put the estimator, its network
        and its optimizer back as they were, then re-raise."""
        saved = {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}
        net, opt = saved.get("_net"), saved.get("_optimizer")
        params = net.params.copy() if net is not None else None
        opt_saved = (dict(opt.__dict__), [s.copy() for s in opt._state]) if opt is not None else None
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if net is not None:
                np.copyto(net.params, params)
            if opt is not None:
                opt.__dict__.clear()
                opt.__dict__.update(opt_saved[0])
                for s, c in zip(opt._state, opt_saved[1]):
                    np.copyto(s, c)
            raise

    # --- fitting ------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
        X_val, y_val : optional
            A validation set (fastbp extra): evaluated after every epoch into
            ``validation_loss_curve_``, and used instead of an internal split
            when ``early_stopping=True``.
        sample_weight_val : array-like of shape (n_val,), optional

        Returns
        -------
        self
        """
        with self._transaction():
            return self._fit(X, y, sample_weight, False, (X_val, y_val, sample_weight_val))

    def _partial_fit(self, X, y, sample_weight):
        if not self._stochastic:
            raise AttributeError(
                f"partial_fit is only available for stochastic solvers; solver={self.solver!r}")
        with self._transaction():
            return self._fit(X, y, sample_weight, True, (None, None, None))

    def _fit(self, X, y, sample_weight, incremental, validation):
        hidden = self._check_params()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate(X, y, reset=first)
        Y = self._encode_targets(y, incremental, first)
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"y has {Y.shape[0]} samples but X has {X.shape[0]}")
        rs = check_random_state(self.random_state)
        if first:
            self._initialize(X, Y, hidden, rs)
        else:
            self._check_continuation(X, Y, hidden)
            self._load_coefs()
        net = self._net
        Y = net._check_Y(Y, X.shape[0], "y")
        sw = self._sample_weight(sample_weight, X.shape[0], net.dtype)
        sw = self._class_weights(y, sw, net.dtype)
        val = self._validation_set(validation, net.dtype)
        if self._stochastic:
            self._fit_stochastic(X, Y, y, sw, val, incremental, rs)
        else:
            self._fit_lbfgs(X, Y, sw)
        return self

    def _check_continuation(self, X, Y, hidden):
        net = self._net
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        if sizes != net.layer_sizes:
            raise ValueError(
                f"warm_start/partial_fit needs the same layer sizes as the fitted network "
                f"{net.layer_sizes}, got {sizes} (hidden_layer_sizes or the number of "
                f"outputs changed)")
        if net.hidden and net.hidden[0] != _HIDDEN[self.activation]:
            # scikit-learn applies a changed activation to the warm-started
            # weights: same parameters, new network
            self._load_coefs()
            new = MLP(sizes, hidden=_HIDDEN[self.activation], output=net.output,
                      loss=net.loss_name, init="uniform", dtype=net.dtype, seed=0)
            np.copyto(new.params, net.params)
            self._net = new
            self.coefs_, self.intercepts_ = list(new.weights), list(new.biases)

    def _initialize(self, X, Y, hidden, rs):
        """A new network with scikit-learn's Glorot-uniform start: per layer,
        the weights then the intercepts drawn uniformly within
        +-sqrt(factor / (fan_in + fan_out)), factor 2 for logistic units and 6
        otherwise, from the same random stream."""
        output, loss, self.out_activation_ = self._output(Y)
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        net = MLP(sizes, hidden=_HIDDEN[self.activation], output=output, loss=loss,
                  init="zeros" if not hidden else "uniform", dtype=X.dtype, seed=0)
        factor = 2.0 if self.activation == "logistic" else 6.0
        for w, b in zip(net.weights, net.biases):
            bound = np.sqrt(factor / (w.shape[0] + w.shape[1]))
            w[...] = rs.uniform(-bound, bound, w.shape)
            b[...] = rs.uniform(-bound, bound, b.shape[0])
        self._net = net
        self.coefs_, self.intercepts_ = list(net.weights), list(net.biases)
        self.n_layers_ = len(sizes)
        self.n_outputs_ = Y.shape[1]
        self.n_iter_ = 0
        self.t_ = 0
        self.__dict__.pop("_optimizer", None)
        self._best_params = net.params.copy()
        # per-output mean, as scikit-learn reports the squared loss
        self._loss_scale = Y.shape[1] if loss == "squared" else 1
        for name in ("loss_curve_", "validation_loss_curve_"):
            self.__dict__.pop(name, None)

    def _init_stopping_state(self):
        """scikit-learn's per-fit bookkeeping of the stochastic solvers, kept
        across warm-started fits and partial_fit calls like its own."""
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _validation_set(self, validation, dtype):
        X_val, y_val, w_val = validation
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            raise ValueError("pass both X_val and y_val for a validation set, or neither")
        X_val, y_val = validate_data(
            self, X_val, y_val, accept_sparse=["csr", "csc"], dtype=dtype, reset=False,
            multi_output=True, y_numeric=not self._is_clf)
        Y_val = self._net._check_Y(self._encode_val(y_val), X_val.shape[0], "y_val")
        return X_val, Y_val, y_val, self._sample_weight(w_val, X_val.shape[0], dtype,
                                                        "sample_weight_val")

    def _batch_size(self, n):
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training "
                          f"samples; it is clipped to {n}")
        return min(self.batch_size, n)

    def _fit_stochastic(self, X, Y, y, sw, val, incremental, rs):
        net = self._net
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
            mode = self._rate_mode()
            self._optimizer.lr = self.learning_rate if mode == "schedule" \
                else Constant(self.learning_rate_init)
        opt = self._optimizer
        mode = self._rate_mode()
        # first stochastic fit, or early_stopping switched since the last one
        if not hasattr(self, "loss_curve_") or self.early_stopping != (
                self.validation_scores_ is not None):
            self._init_stopping_state()
        if self.early_stopping and val is None:
            X, Y, sw, val = self._split(X, Y, sw, rs)
        n = X.shape[0]
        batch = self._batch_size(n)
        callbacks = as_callbacks(self.callbacks)
        _train_begin(callbacks, net, opt, None, {
            "epochs": self.max_iter, "n_samples": n, "batch_size": batch,
            "steps_per_epoch": -(-n // batch),
            "metrics": ["loss", "lr"] + (["val_loss"] if val is not None else [])})
        epoch = (_SparseEpoch if sp.issparse(X) else _DenseEpoch)(
            net, X, Y, opt, batch, self.alpha, self.shuffle, rs, sw)
        if val is not None and not hasattr(self, "validation_loss_curve_"):
            self.validation_loss_curve_ = []
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            lr = float(opt.rates(1)[0])
            data_loss, sq_norm = epoch.run(self.n_iter_ + 1)
            self.n_iter_ += 1
            self.loss_ = data_loss / self._loss_scale + 0.5 * self.alpha * sq_norm
            self.t_ += n
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            logs = {"loss": self.loss_, "lr": lr}
            if val is not None:
                X_val, Y_val, y_val, w_val = val
                val_loss = self._data_loss(X_val, Y_val, w_val)
                self.validation_loss_curve_.append(val_loss)
                logs["val_loss"] = val_loss
            self._update_no_improvement(val, logs)
            if mode == "invscaling":
                opt.lr = Constant(self.learning_rate_init / (self.t_ + 1) ** self.power_t)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if self.early_stopping else "Training loss"
                msg = (f"{what} did not improve more than tol={self.tol:f} for "
                       f"{self.n_iter_no_change} consecutive epochs.")
                current = opt.lr.lr if isinstance(opt.lr, Constant) else None
                if mode == "adaptive" and current > 1e-6:
                    opt.lr = Constant(current / 5.0)
                    self._no_improvement_count = 0
                    if self.verbose:
                        print(f"{msg} Setting learning rate to {current / 5.0:f}")
                else:
                    if self.verbose:
                        extra = " Learning rate too small." if mode == "adaptive" else ""
                        print(f"{msg}{extra} Stopping.")
                    break
            if _epoch_end(callbacks, self.n_iter_ - 1, logs):
                break
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                    f"the optimization hasn't converged yet.", ConvergenceWarning)
        if self.early_stopping:
            np.copyto(net.params, self._best_params)
        _train_end(callbacks, self.n_iter_, "completed")

    def _split(self, X, Y, sw, rs):
        """scikit-learn's early-stopping split (same call, same random stream:
        stratified for single-output classification)."""
        stratify = Y if self._is_clf and self.n_outputs_ == 1 else None
        arrays = (X, Y) if sw is None else (X, Y, sw)
        parts = train_test_split(*arrays, random_state=rs, test_size=self.validation_fraction,
                                 stratify=stratify)
        X_tr, X_val, Y_tr, Y_val = parts[:4]
        sw_tr, sw_val = (parts[4], parts[5]) if sw is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        y_val = self._decode(Y_val) if self._is_clf else Y_val
        return X_tr, np.ascontiguousarray(Y_tr), sw_tr, (X_val, Y_val, y_val, sw_val)

    def _update_no_improvement(self, val, logs):
        """scikit-learn's stopping bookkeeping: on the validation score with
        early stopping (keeping the best parameters), else on the training loss."""
        if self.early_stopping:
            X_val, _, y_val, w_val = val
            score = self._score_validated(X_val, y_val, w_val)
            self.validation_scores_.append(score)
            logs["val_score"] = score
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = self._net.params.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _data_loss(self, X, Y, w):
        """Mean loss (no L2 term) as loss_curve_ reports it."""
        total = weight = 0.0
        for start, rows in self._dense_rows(X, self._net.dtype):
            ww = None if w is None else w[start: start + rows.shape[0]]
            part = 0.0 if ww is not None and ww.sum() == 0 else self._net._loss(
                rows, Y[start: start + rows.shape[0]], 0.0, ww)
            k = rows.shape[0] if ww is None else float(ww.sum())
            total, weight = total + part * k, weight + k
        return total / weight / self._loss_scale

    def _score_validated(self, X, y, w):
        y_pred = self._predict_validated(X)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(y, y_pred, sample_weight=w)

    def _fit_lbfgs(self, X, Y, sw):
        """scikit-learn's _fit_lbfgs: L-BFGS-B on the full-batch loss with the
        L2 term alpha/2 ||W||^2 / sum(w), maxiter=max_iter, maxfun=max_fun,
        gtol=tol; loss_ and n_iter_ from its result."""
        net = self._net
        wsum = float(X.shape[0] if sw is None else sw.sum())
        alpha = self.alpha / wsum
        scale = self._loss_scale

        def fun(p):
            np.copyto(net.params, p, casting="unsafe")
            loss, sq, grad = self._objective(X, Y, alpha, sw)
            return loss / scale + 0.5 * alpha * sq, grad.astype(np.float64)

        res = scipy.optimize.minimize(
            fun, net.params.astype(np.float64), method="L-BFGS-B", jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol})
        if res.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}): "
                f"{res.message}. Increase the number of iterations (max_iter) or scale the "
                f"data.", ConvergenceWarning)
        self.n_iter_ = min(int(res.nit), self.max_iter)
        self.loss_ = float(res.fun)
        np.copyto(net.params, res.x, casting="unsafe")
        if not np.isfinite(net.params).all():
            raise ValueError("Solver produced non-finite parameter weights. The input data "
                             "may contain large values and need to be preprocessed.")

    def _objective(self, X, Y, alpha, sw):
        """net._objective over dense X, or summed over dense chunks of sparse X."""
        net = self._net
        if not sp.issparse(X):
            return net._objective(X, Y, alpha, sw)
        total, weight, grad = 0.0, 0.0, np.zeros_like(net.params)
        for start, rows in self._dense_rows(X, net.dtype):
            stop = start + rows.shape[0]
            ww = None if sw is None else sw[start:stop]
            k = rows.shape[0] if ww is None else float(ww.sum())
            if k == 0:
                continue
            loss, _, g = net._objective(rows, Y[start:stop], 0.0, ww)
            total, weight = total + loss * k, weight + k
            grad += g * k
        grad /= weight
        for w, gw in zip(net.weights, net._layer_views(grad)[0]):
            gw += alpha * w
        return total / weight, net._weights_sq_norm(), grad

    # --- prediction ---------------------------------------------------------
    def _check_predict_input(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class _DenseEpoch:
    """One epoch = one compiled call over the whole (dense) training set."""

    def __init__(self, net, X, Y, opt, batch, alpha, shuffle, rs, sw):
        self.runner = EpochRunner(net, X, Y, opt, batch, alpha, shuffle, rs, sw,
                                  l2_per_weight=True)

    def run(self, epoch):
        result = self.runner.run_epoch(epoch)
        return result.data_loss, result.sq_norm


class _SparseEpoch:
    """One epoch over sparse X: each mini-batch is densified into a buffer and
    run through the compiled loop on its own, so the whole matrix is never
    dense.  The sample order and the accounting match the dense path."""

    def __init__(self, net, X, Y, opt, batch, alpha, shuffle, rs, sw):
        self.X, self.Y, self.sw, self.opt = X.tocsr(), Y, sw, opt
        self.net, self.batch, self.alpha, self.rs = net, batch, alpha, rs
        n = X.shape[0]
        self.order = np.arange(n, dtype=np.intp) if shuffle else None
        self.runners = {}

    def _runner(self, count):
        """A runner over a (count, n_features) buffer, made once per size."""
        if count not in self.runners:
            net = self.net
            Xb = np.zeros((count, self.X.shape[1]), dtype=net.dtype)
            Yb = np.zeros((count, self.Y.shape[1]), dtype=net.dtype)
            wb = None if self.sw is None else np.ones(count, dtype=net.dtype)
            self.runners[count] = EpochRunner(net, Xb, Yb, self.opt, count, self.alpha,
                                              False, None, wb, l2_per_weight=True)
        return self.runners[count]

    def run(self, epoch):
        n = self.X.shape[0]
        if self.order is not None:
            self.rs.shuffle(self.order)
        loss = sq = 0.0
        for start in range(0, n, self.batch):
            idx = slice(start, min(start + self.batch, n))
            rows = self.order[idx] if self.order is not None else idx
            count = idx.stop - idx.start
            if self.sw is not None and not self.sw[rows].sum() > 0:
                continue  # as the compiled loop: an all-zero-weight batch is skipped
            r = self._runner(count)
            r.X[...] = self.X[rows].toarray()
            r.Y[...] = self.Y[rows]
            if self.sw is not None:
                r.sample_weight[...] = self.sw[rows]
            result = r.run_epoch(epoch)
            self.opt.epochs -= 1  # one batch is not an epoch for the schedules
            loss += result.data_loss * count
            sq += result.sq_norm * count
        self.opt.epochs += 1
        return loss / n, sq / n


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier, a drop-in for
    ``sklearn.neural_network.MLPClassifier`` trained by fastbp's compiled loop.

    The parameters up to ``max_fun`` are scikit-learn 1.9's, with the same
    defaults and meaning (see its documentation); ``solver`` also takes
    'rmsprop', 'adagrad' or a fastbp optimizer instance, and
    ``learning_rate`` a ``fastbp.schedules`` schedule.  Extras:

    dtype : {None, 'float32', 'float64'}, default None
        None follows X: float32 stays float32, anything else becomes float64.
    class_weight : dict, 'balanced' or None, default None
        Multiplies the sample weights by the weight of each sample's class
        (single-output targets only).
    callbacks : callable or list, default None
        Called after every epoch as ``cb(epoch, logs)`` or
        ``cb.on_epoch_end(epoch, logs)`` (epoch from 0; logs has 'loss', 'lr',
        and with validation data 'val_loss', with early stopping 'val_score');
        returning True stops training.

    Attributes are scikit-learn's (``coefs_`` and ``intercepts_`` are views of
    the fastbp network's parameters; assigning new arrays to them is honoured
    by the next warm-started fit or prediction), plus
    ``validation_loss_curve_`` whenever there is validation data.

    check_estimator passes (see the module docstring for the two checks
    scikit-learn skips).
    """

    _is_clf = True

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=None, class_weight=None, callbacks=None):
        self._store_params(locals())

    _score_function = staticmethod(accuracy_score)

    def _check_extra_params(self):
        cw = self.class_weight
        if not (cw is None or cw == "balanced" or isinstance(cw, dict)):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")

    def _output(self, Y):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax", "cross_entropy", "softmax"
        return "sigmoid", "cross_entropy", "logistic"

    def _encode_targets(self, y, incremental, first):
        """Labels -> 0/1 indicator columns, as scikit-learn's LabelBinarizer
        (one column for two classes)."""
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental and set(classes) != set(self.classes_):
                raise ValueError(
                    f"warm_start can only be used where y has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, y has {classes}")
            if len(np.setdiff1d(classes, self.classes_)):
                raise ValueError(f"y has classes not in self.classes_ {self.classes_}: "
                                 f"{np.setdiff1d(classes, self.classes_)}")
        return self._label_binarizer.transform(y).astype(np.float64)

    def _encode_val(self, y_val):
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = y_val.ravel()
        unknown = np.setdiff1d(unique_labels(y_val), self.classes_)
        if len(unknown):
            raise ValueError(f"y_val has classes not seen in y: {unknown}")
        return self._label_binarizer.transform(y_val).astype(np.float64)

    def _decode(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def _class_weights(self, y, sw, dtype):
        if self.class_weight is None:
            return sw
        if y.ndim == 2 and y.shape[1] > 1:
            raise ValueError("class_weight is not supported for multilabel targets")
        cw = compute_sample_weight(self.class_weight, y.ravel())
        cw = cw if sw is None else cw * sw
        return np.ascontiguousarray(cw, dtype=dtype)

    @available_if(lambda est: est._stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over X, y, continuing from the current state (the
        optimizer's too).  ``classes`` (every label that will ever be seen) is
        required on the first call unless y is multilabel."""
        first = not hasattr(self, "classes_")
        if first:
            if classes is None and not type_of_target(y).startswith("multilabel"):
                raise ValueError("classes must be passed on the first call to partial_fit")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={classes!r} is not the same as on the first call to "
                             f"partial_fit: {self.classes_}")
        if first:
            lb = LabelBinarizer()
            lb.fit(y if classes is None else classes)
            with self._transaction():
                self._label_binarizer, self.classes_ = lb, lb.classes_
                return self._partial_fit(X, y, sample_weight)
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Class labels (for multilabel targets, the indicator matrix)."""
        return self._predict_validated(self._check_predict_input(X))

    def _predict_validated(self, X):
        out = self._forward(X)
        return self._decode(out.ravel() if self.n_outputs_ == 1 else out)

    def predict_proba(self, X):
        """Probability of each class, columns in the order of ``classes_``."""
        out = self._forward(self._check_predict_input(X))
        if self.n_outputs_ == 1:
            return np.hstack([1 - out, out])
        return out

    def predict_log_proba(self, X):
        """log(predict_proba(X))."""
        p = self.predict_proba(X)
        return np.log(p, out=p)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor, a drop-in for
    ``sklearn.neural_network.MLPRegressor`` trained by fastbp's compiled loop.

    The parameters up to ``max_fun`` are scikit-learn 1.9's ('squared_error'
    or 'poisson' loss first), with the same defaults and meaning; the extras
    ``dtype`` and ``callbacks`` are as for :class:`MLPClassifier`.
    check_estimator passes (see the module docstring).
    """

    _is_clf = False

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=None, callbacks=None):
        self._store_params(locals())

    _score_function = staticmethod(r2_score)

    def _check_extra_params(self):
        _check_choice("loss", self.loss, ("squared_error", "poisson"))

    def _output(self, Y):
        if self.loss == "poisson":
            return "exp", "poisson", "exp"
        return "identity", "squared", "identity"

    def _encode_targets(self, y, incremental, first):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _encode_val(self, y_val):
        return y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val

    def _class_weights(self, y, sw, dtype):
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
