"""The scikit-learn names the estimators use, imported in one place so that a
missing scikit-learn gives one clear error.  scikit-learn is an optional
dependency: ``import fastbp`` never needs it."""
try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state
    from sklearn.utils.class_weight import compute_sample_weight
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as err:  # pragma: no cover - exercised by simulating its absence
    raise ImportError(
        "fastbp.MLPClassifier and fastbp.MLPRegressor need scikit-learn >= 1.6, which is "
        "not installed (or too old): pip install scikit-learn  (fastbp's 'sklearn' extra)"
    ) from err

__all__ = [
    "BaseEstimator", "ClassifierMixin", "RegressorMixin", "ConvergenceWarning",
    "accuracy_score", "r2_score", "train_test_split", "LabelBinarizer",
    "check_random_state", "compute_sample_weight", "available_if",
    "check_classification_targets", "type_of_target", "unique_labels",
    "check_is_fitted", "column_or_1d", "validate_data",
]
