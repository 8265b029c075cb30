"""The estimators' shared base: validation, fitting (warm start, partial
fit, early-stopping split, a transaction that undoes a failed fit),
coefficient views, pickling and prediction plumbing."""
import math
import numbers
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp

from fastbp._buffers import dense_rows
from fastbp._validation import check_network_size, check_sample_weight, extremes, scale_weights
from fastbp.estimators._lbfgs import fit_lbfgs
from fastbp.estimators._params import OUT_ACTIVATIONS, check_params, hidden_unit
from fastbp.estimators._sklearn import (
    BaseEstimator,
    check_is_fitted,
    check_random_state,
    column_or_1d,
    train_test_split,
    validate_data,
)
from fastbp.estimators._stochastic import fit_stochastic
from fastbp.network import MLP


class BaseMLP(BaseEstimator):
    """Shared by the classifier and the regressor; not for direct use.

    Subclasses set ``_parameters`` (their table in ``_params``), ``_is_clf``
    and ``_score_function``, and define the target encoding (``_output``,
    ``_encode_targets``, ``_encode_val``, ``_class_weights``).
    """

    def _store_params(self, params):
        """__init__ stores every argument unchanged, as scikit-learn requires
        (the subclasses spell out their signatures for get_params)."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    @property
    def _stochastic(self):
        return self.solver != "lbfgs"

    # --- data ---------------------------------------------------------------
    def _validate(self, X, y="no_validation", reset=True):
        """X (and y) through scikit-learn's validation: float64 or float32
        (or the network's dtype once there is one), CSR/CSC kept sparse."""
        no_y = isinstance(y, str) and y == "no_validation"
        if not reset and _valid_as_they_are(self, X, None if no_y else y):
            return X if no_y else (X, y)
        if not reset:
            dtype = self._network().dtype
        elif self.dtype is not None:
            dtype = np.dtype(self.dtype)
        else:
            dtype = (np.float64, np.float32)
        kw = dict(accept_sparse=["csr", "csc"], dtype=dtype, reset=reset)
        if no_y:
            return validate_data(self, X, **kw)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=not self._is_clf, **kw)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # DataConversionWarning, as scikit-learn
        if not sp.issparse(X):
            X = np.ascontiguousarray(X)  # the compiled loop reads C-ordered rows
        return X, y

    def _sample_weight(self, sample_weight, n, dtype, name="sample_weight", rescale=True):
        if sample_weight is None:
            return None
        w = np.asarray(sample_weight)
        if w.ndim == 0:
            w = np.full(n, w)
        return check_sample_weight(w, n, dtype, name, rescale)

    def _forward(self, X):
        """Output activations (n_samples, n_outputs) of validated X."""
        self._load_coefs()
        net = self._net
        out = np.empty((X.shape[0], net.n_outputs), dtype=net.dtype)
        for start, rows in dense_rows(X, net.dtype):
            out[start: start + rows.shape[0]] = net.forward(rows)
        return out

    # --- coefs_/intercepts_ as views of the network's parameters -------------
    def _network(self):
        """The fastbp network; built from fitted attributes set by hand
        (coefs_, intercepts_, out_activation_ as scikit-learn names them) when
        the estimator was never fitted, as scikit-learn's own tests do."""
        if "_net" not in self.__dict__:
            check_is_fitted(self, ["coefs_", "intercepts_", "out_activation_"])
            coefs = [np.asarray(c) for c in self.coefs_]
            sizes = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
            output, loss = OUT_ACTIVATIONS[self.out_activation_]
            dtype = np.float32 if coefs[0].dtype == np.float32 else np.float64
            self._net = MLP(sizes, hidden=hidden_unit(self.activation), output=output, loss=loss,
                            init="zeros" if len(sizes) == 2 else "uniform", dtype=dtype, seed=0)
            self._loss_scale = sizes[-1] if loss == "squared" else 1
            self.n_layers_, self.n_outputs_ = len(sizes), sizes[-1]
            self.__dict__.setdefault("n_iter_", 0)
            self.__dict__.setdefault("t_", 0)
            self._load_coefs()
            self._best_params = self._net.params.copy()
        return self._net

    def _load_coefs(self):
        """Honour arrays a user assigned to coefs_/intercepts_ (scikit-learn
        users set them before a warm-started fit): copy them into the network
        and make the attributes views of its parameters again."""
        net = self._network()
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
        opt_saved = ((dict(opt.__dict__), [s.copy() for s in opt._state]) if opt is not None
                     else None)
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
        hidden = check_params(self)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate(X, y, reset=first)
        Y = self._encode_targets(y, incremental)
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"y has {Y.shape[0]} samples but X has {X.shape[0]}")
        rs = self._random_state()
        if first:
            self._initialize(X, Y, hidden, rs)
        else:
            self._check_continuation(X, Y, hidden)
            self._load_coefs()
        net = self._net
        Y = net._check_Y(Y, X.shape[0], "y")
        sw = self._sample_weight(sample_weight, X.shape[0], net.dtype, rescale=False)
        # extreme weights rescaled, alpha with them: alpha / sum(w) stays the same
        sw, alpha = scale_weights(self._class_weights(y, sw, net.dtype), self.alpha)
        val = self._validation_set(validation, net.dtype)
        if self._stochastic:
            fit_stochastic(self, X, Y, sw, alpha, val, incremental, rs)
        else:
            fit_lbfgs(self, X, Y, sw, alpha)
        return self

    def _random_state(self):
        """check_random_state(self.random_state); for an int, the RandomState of
        the last fit reseeded rather than a new one (a new one is seeded from
        the OS first, which costs more than a small partial_fit's epoch): the
        same numbers either way."""
        seed = self.random_state
        if not isinstance(seed, numbers.Integral):
            return check_random_state(seed)
        rs = self.__dict__.get("_seeded_random_state")
        if rs is None:
            rs = self._seeded_random_state = check_random_state(seed)
        else:
            rs.seed(seed)
        return rs

    def _check_continuation(self, X, Y, hidden):
        net = self._net
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        if sizes != net.layer_sizes:
            raise ValueError(
                f"warm_start/partial_fit needs the same layer sizes as the fitted network "
                f"{net.layer_sizes}, got {sizes} (hidden_layer_sizes or the number of "
                f"outputs changed)")
        if net.hidden and net.hidden[0] != hidden_unit(self.activation):
            # scikit-learn applies a changed activation to the warm-started
            # weights: same parameters, new network
            self._load_coefs()
            new = MLP(sizes, hidden=hidden_unit(self.activation), output=net.output,
                      loss=net.loss_name, init="uniform", dtype=net.dtype, seed=0)
            np.copyto(new.params, net.params)
            self._net = new
            self.coefs_, self.intercepts_ = list(new.weights), list(new.biases)

    def _initialize(self, X, Y, hidden, rs):
        """A new network with scikit-learn's Glorot-uniform start: per layer,
        the weights then the intercepts drawn uniformly within
        +-sqrt(factor / (fan_in + fan_out)), factor 2 for logistic units and 6
        otherwise, from the same random stream."""
        output, loss, self.out_activation_ = self._output()
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        check_network_size("hidden_layer_sizes (with the inputs and outputs)", sizes, X.dtype)
        net = MLP(sizes, hidden=hidden_unit(self.activation), output=output, loss=loss,
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

    def _split(self, X, Y, sw, rs):
        """scikit-learn's early-stopping split (same call, same random stream:
        stratified for single-output classification)."""
        # (as bools, as scikit-learn's binarized targets: its message names class True)
        stratify = Y.astype(bool) if self._is_clf and self.n_outputs_ == 1 else None
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

    def _data_loss(self, X, Y, w):
        """Mean loss (no L2 term) as loss_curve_ reports it."""
        total = weight = 0.0
        for start, rows in dense_rows(X, self._net.dtype):
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

    # --- prediction ---------------------------------------------------------
    def _check_predict_input(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _valid_as_they_are(est, X, y=None):
    """Whether scikit-learn's validation of a fitted ``est``'s X (and y,
    unless None) would return them unchanged and silently: plain arrays, X
    C-contiguous in the network's dtype with the features seen in fit (and
    no feature names), y 1-D numbers of the same length, every value finite.
    Then it is skipped: it costs more than a small partial_fit's epoch.
    Anything else (and every error) goes through it."""
    net = est.__dict__.get("_net")
    if net is None or type(X) is not np.ndarray or "feature_names_in_" in est.__dict__:
        return False
    if not (X.ndim == 2 and X.dtype == net.dtype and X.flags.c_contiguous and X.flags.aligned
            and X.shape[0] >= 1 and X.shape[1] == est.__dict__.get("n_features_in_")):
        return False
    if y is not None:
        if type(y) is not np.ndarray or y.ndim != 1 or y.shape[0] != X.shape[0] \
                or y.dtype.kind not in "biuf":
            return False
        if y.dtype.kind == "f" and not _finite(y):
            return False
    return _finite(X)


def _finite(a):
    """Whether every value of the non-empty float array ``a`` is finite."""
    return all(math.isfinite(v) for v in extremes(a))
