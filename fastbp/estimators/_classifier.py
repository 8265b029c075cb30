"""The drop-in for sklearn.neural_network.MLPClassifier."""
import numpy as np

from fastbp.estimators._base import BaseMLP
from fastbp.estimators._params import CLASSIFIER
from fastbp.estimators._sklearn import (
    ClassifierMixin,
    LabelBinarizer,
    accuracy_score,
    available_if,
    check_classification_targets,
    compute_sample_weight,
    type_of_target,
    unique_labels,
)


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier, a drop-in for
    ``sklearn.neural_network.MLPClassifier`` trained by fastbp's compiled loop.

    The parameters up to ``max_fun`` are scikit-learn 1.9's, with the same
    defaults and meaning (see its documentation); ``solver`` also takes
    'rmsprop', 'adagrad' or a fastbp optimizer instance, and
    ``learning_rate`` a ``fastbp.schedules`` schedule; ``solver='adamw'`` is
    Adam with decoupled weight decay (``weight_decay``); ``activation`` also
    takes fastbp's hidden units ('leaky_relu', 'elu', 'gelu', 'softplus',
    'silu', with a parameter as in 'leaky_relu(0.2)').  Extras:

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
    dropout : float or list of float, default 0.0
        Inverted dropout on the hidden layers during training (stochastic
        solvers): one rate in [0, 1) for all, or one per hidden layer;
        predictions never drop.  0 gives scikit-learn's results unchanged.
    clip_norm : float or None, default None
        Clip each batch's gradient to this global norm (stochastic solvers).
    weight_decay : float, default 0.01
        AdamW's decoupled weight decay (``solver='adamw'`` only).

    Attributes are scikit-learn's (``coefs_`` and ``intercepts_`` are views of
    the fastbp network's parameters; assigning new arrays to them is honoured
    by the next warm-started fit or prediction), plus
    ``validation_loss_curve_`` whenever there is validation data.

    check_estimator passes (see the module docstring for the two checks
    scikit-learn skips).
    """

    _is_clf = True
    _parameters = CLASSIFIER

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dtype=None, class_weight=None, callbacks=None,
                 dropout=0.0, clip_norm=None, weight_decay=0.01):
        self._store_params(locals())

    _score_function = staticmethod(accuracy_score)

    def _output(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax", "cross_entropy", "softmax"
        return "sigmoid", "cross_entropy", "logistic"

    def _encode_targets(self, y, incremental):
        """Labels -> 0/1 indicator columns, as scikit-learn's LabelBinarizer
        (one column for two classes)."""
        known = hasattr(self, "classes_") and (self.warm_start or incremental)
        if known and self._integer_classes(y):
            # what check_classification_targets, unique_labels and
            # LabelBinarizer.transform conclude and compute for integer labels,
            # without their generality (most of a partial_fit call's time else)
            index = np.searchsorted(self.classes_, y)
            found = self.classes_[np.minimum(index, len(self.classes_) - 1)] == y
            if (self.warm_start and not incremental) or not found.all():
                self._check_classes(np.unique(y), incremental)  # raises for unknown labels
            return _indicators(index, len(self.classes_))
        check_classification_targets(y)
        if not known:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            self._check_classes(unique_labels(y), incremental)
        return self._label_binarizer.transform(y).astype(np.float64)

    def _integer_classes(self, y):
        """Whether ``y`` and the classes seen are integers (or booleans) of a
        binary or multiclass problem: labels that are always valid classes."""
        return (y.ndim == 1 and y.dtype.kind in "biu" and self.classes_.dtype.kind in "biu"
                and len(self.classes_) >= 2
                and self._label_binarizer.y_type_ in ("binary", "multiclass"))

    def _check_classes(self, classes, incremental):
        """Refuse labels ``classes`` (of y) that a continued fit cannot take."""
        if self.warm_start and not incremental and set(classes) != set(self.classes_):
            raise ValueError(
                f"warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit. Previously got {self.classes_}, `y` has {classes}")
        if len(np.setdiff1d(classes, self.classes_)):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {classes}.")

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
            # scikit-learn learns multilabel columns from y, classes from classes
            multilabel = type_of_target(y).startswith("multilabel")
            lb.fit(y if classes is None or multilabel else classes)
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


def _indicators(index, n_classes):
    """LabelBinarizer's float encoding of labels given by their ``index`` in
    the sorted classes: one column (the second class) for two classes, else
    one column per class."""
    if n_classes == 2:
        return (index == 1).astype(np.float64).reshape(-1, 1)
    Y = np.zeros((index.shape[0], n_classes))
    Y[np.arange(index.shape[0]), index] = 1
    return Y
