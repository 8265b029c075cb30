"""fastbp.dask.MLPClassifier / MLPRegressor: the drop-in estimators fit on
dask collections (the xgboost.dask / lightgbm.dask pattern): the same
parameters plus ``client``, ``mode`` and ``sync_every``; block-wise
prediction; ``to_local()`` returns the plain estimator."""
import copy
import functools
import inspect

import dask.array as da
import numpy as np

from fastbp.dask._data import Blocks, as_rows
from fastbp.dask._driver import DistributedRunner
from fastbp.dask._fit import choose_mode, get_client
from fastbp.dask._local import LocalRunner
from fastbp.estimators import MLPClassifier as LocalClassifier
from fastbp.estimators import MLPRegressor as LocalRegressor
from fastbp.estimators._lbfgs import minimize_lbfgs
from fastbp.estimators._params import check_params
from fastbp.estimators._sklearn import (
    LabelBinarizer,
    available_if,
    check_is_fitted,
    check_random_state,
)
from fastbp.estimators._stochastic import fit_stochastic

DASK_PARAMS = ("client", "mode", "sync_every", "persist")


def _with_dask_params(local):
    """An __init__ taking ``local``'s parameters and DASK_PARAMS (keyword
    only), with the signature scikit-learn's get_params reads."""
    signature = inspect.signature(local.__init__)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
             for name, default in zip(DASK_PARAMS, (None, None, 1, True))]
    signature = signature.replace(parameters=[*signature.parameters.values(), *extra])

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        self._store_params(bound.arguments)
    __init__.__signature__ = signature
    return __init__


def _is_dask(A):
    return isinstance(A, da.Array) or hasattr(A, "to_dask_array")


def _computed(A):
    if A is None or not _is_dask(A):
        return A
    return np.asarray(A.compute())


def _lookup(block, values, keys):
    """Each label of ``block`` replaced by its entry of ``values`` (in the
    order of the sorted ``keys``)."""
    return values[np.searchsorted(keys, block)]


class _DaskMLP:
    """What the dask estimators add to the local ones."""

    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None, sample_weight_val=None):
        """Fit on dask arrays or dataframes (X row-chunked; y and
        sample_weight are rechunked to X's rows), from where the last fit
        left off with ``warm_start=True``.  The validation set, which early
        stopping needs, is brought into memory."""
        with self._transaction():
            return self._fit(X, y, sample_weight, False,
                             tuple(map(_computed, (X_val, y_val, sample_weight_val))))

    def _fit(self, X, y, sample_weight, incremental, validation):
        """BaseMLP._fit on dask collections (``incremental``: partial_fit, whose
        checks and transaction BaseMLP._partial_fit makes)."""
        hidden = check_params(self)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.early_stopping and validation[0] is None:
            raise ValueError("early_stopping on a dask collection needs an explicit "
                             "validation set: fit(X, y, X_val=..., y_val=...)")
        first = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        client = get_client(self.client)
        X = as_rows(X, "X")
        Y, sw = self._dask_targets(as_rows(y, "y", X.chunks[0]), incremental)
        if sample_weight is not None:
            w = as_rows(sample_weight, "sample_weight", X.chunks[0])
            sw = w if sw is None else sw * w
        rs = check_random_state(self.random_state)
        if first:
            dtype = np.dtype(self.dtype) if self.dtype is not None else (
                np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64))
            self._initialize(np.zeros((0, X.shape[1]), dtype), np.zeros((0, Y.shape[1])),
                             hidden, rs)
            self.n_features_in_ = X.shape[1]
        else:  # (X and Y give only their widths)
            self._check_continuation(X, Y, hidden)
            self._load_coefs()
        net = self._net
        val = self._validation_set(validation, net.dtype)
        blocks = Blocks(client, net.copy(), X, Y, sw, names=("X", "y"), persist=self.persist)
        try:
            if self._stochastic:
                runner = functools.partial(self._runner, blocks)
                fit_stochastic(self, X, Y, sw, self.alpha, val, incremental, rs, runner=runner)
            else:
                minimize_lbfgs(self, float(blocks.wsums.sum()), self.alpha,
                               functools.partial(self._objective, blocks), stacklevel=4)
        finally:
            blocks.release()
        return self

    def _runner(self, blocks, net, X, Y, opt, batch, alpha, shuffle, rs, sw,  # noqa: ARG002
                l2_per_weight, loss_scale, regularization):
        """fit_stochastic's runner on the cluster (X, Y, sw: in ``blocks``)."""
        mode = choose_mode(self.mode, batch, blocks.n)
        if mode == "local":
            settings = {"batch_size": batch, "alpha": alpha, "shuffle": shuffle,
                        "l2_per_weight": l2_per_weight, "loss_scale": loss_scale,
                        "regularization": regularization}
            return LocalRunner(net, opt, blocks, self.max_iter, self.sync_every, rs, settings)
        return DistributedRunner(net, opt, blocks, batch, alpha, regularization, shuffle, rs,
                                 l2_per_weight, loss_scale)

    def _objective(self, blocks, alpha):
        """fit_lbfgs's objective, evaluated on the cluster."""
        net = self._net
        loss_sum, wsum, grad = blocks.gradient_sums(net.params.copy())
        grad /= wsum
        for w, gw in zip(net.weights, net._layer_views(grad)[0], strict=True):
            gw += alpha * w
        return loss_sum / wsum, net._weights_sq_norm(), grad

    def to_local(self):
        """The plain fastbp estimator with this one's parameters and fitted
        state (an independent copy)."""
        check_is_fitted(self)
        state = {k: v for k, v in self.__getstate__().items() if k not in DASK_PARAMS}
        local = object.__new__(self._local_class)
        local.__setstate__(copy.deepcopy(state))
        return local

    def _blockwise(self, X, method, columns):
        """``method`` of the local estimator on each block of X: a dask array
        with ``columns`` columns (None: 1-D) for dask X, else the local result."""
        local = self.to_local()
        if not _is_dask(X):
            return getattr(local, method)(X)
        X = as_rows(X, "X")
        if columns is None:
            dtype = self._predict_dtype()
            return X.map_blocks(_apply, local, method, (), dtype, drop_axis=1, dtype=dtype)
        return X.map_blocks(_apply, local, method, (columns,), self._net.dtype,
                            chunks=(X.chunks[0], (columns,)), dtype=self._net.dtype)

    def score(self, X, y, sample_weight=None):
        """The local estimator's score on the predictions, which are computed
        block-wise (the predictions and y are brought into memory)."""
        y_pred = _computed(self.predict(X))
        return self._score_function(_computed(y), y_pred, sample_weight=_computed(sample_weight))


def _apply(block, local, method, tail, dtype):
    """``local.method`` on one block (scikit-learn refuses an empty one)."""
    if block.shape[0] == 0:
        return np.empty((0, *tail), dtype=dtype)
    return getattr(local, method)(block)


class MLPClassifier(_DaskMLP, LocalClassifier):
    """:class:`fastbp.MLPClassifier` on dask collections.

    The parameters are those of :class:`fastbp.MLPClassifier`, plus
    ``client`` (a distributed.Client; None: the current one), ``mode``,
    ``sync_every`` and ``persist`` as in :func:`fastbp.dask.fit`.  The classes are found
    over all of y first (so a block may lack some); ``class_weight=
    "balanced"`` uses the global counts.  y: 1-D labels.
    """

    _local_class = LocalClassifier
    __init__ = _with_dask_params(LocalClassifier)

    def _dask_targets(self, y, incremental):
        """(Y as 0/1 indicator columns, class weights or None), both dask.
        The classes are found over all of y first, then set or checked
        against an earlier fit's by the local estimator's rules."""
        if y.ndim != 1:
            raise ValueError(f"y must hold 1-D class labels, got shape {y.shape}")
        classes, counts = (np.asarray(a) for a in
                           da.compute(*da.unique(y, return_counts=True)))
        self._encode_targets(classes, incremental)
        k = len(self._label_binarizer.classes_)
        k = 1 if k == 2 else k
        Y = y.map_blocks(_binarize, self._label_binarizer, new_axis=1,
                         chunks=(y.chunks[0], (k,)), dtype=np.float64)
        if self.class_weight is None:
            return Y, None
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            weights = counts.sum() / (len(classes) * counts)
        elif isinstance(self.class_weight, dict):
            weights = np.array([self.class_weight.get(c, 1.0) for c in classes], dtype=float)
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got "
                             f"{self.class_weight!r}")
        return Y, y.map_blocks(_lookup, weights, classes, dtype=np.float64)

    def _predict_dtype(self):
        return self.classes_.dtype

    @available_if(lambda est: est._stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over dask X, y from the current state (the optimizer's
        too); ``classes`` (every label there will be) is required on the
        first call.  (fastbp.MLPClassifier.partial_fit would inspect all of y
        for multilabel targets, which y here never holds.)"""
        if hasattr(self, "classes_"):
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes={classes!r} is not the same as on the first call "
                                 f"to partial_fit: {self.classes_}")
            return self._partial_fit(X, y, sample_weight)
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        with self._transaction():
            self._label_binarizer = LabelBinarizer().fit(classes)
            self.classes_ = self._label_binarizer.classes_
            return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Class labels, block-wise (a dask array for dask X)."""
        return self._blockwise(X, "predict", None)

    def predict_proba(self, X):
        """Class probabilities, block-wise (a dask array for dask X)."""
        return self._blockwise(X, "predict_proba", len(self.classes_))


class MLPRegressor(_DaskMLP, LocalRegressor):
    """:class:`fastbp.MLPRegressor` on dask collections (parameters as
    :class:`MLPClassifier` here)."""

    _local_class = LocalRegressor
    __init__ = _with_dask_params(LocalRegressor)

    def _dask_targets(self, y, incremental):  # noqa: ARG002 - the classifier's signature
        return (y[:, None] if y.ndim == 1 else y), None

    def _predict_dtype(self):
        return self._net.dtype

    def predict(self, X):
        """Predictions, block-wise (a dask array for dask X)."""
        if self.n_outputs_ == 1:
            return self._blockwise(X, "predict", None)
        return self._blockwise(X, "predict", self.n_outputs_)


def _binarize(block, binarizer):
    return binarizer.transform(block).astype(np.float64)
