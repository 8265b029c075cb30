"""Tables for the command line: read CSV and .npz files as named columns,
encode targets, standardize features, and remember all of it in a model
file's metadata so ``predict`` and ``evaluate`` apply the same steps.

A CSV file has a header row of column names.  A .npz file holds either 1-D
arrays of equal length (one per column, named by their keys) or 2-D arrays,
whose columns are named ``KEY[0]``, ``KEY[1]``, ... (so a file with arrays X
(n, d) and y (n,) has columns X[0] ... X[d-1] and y).

The model file holds the preprocessing as plain JSON fields
(:meth:`Preprocessing.to_metadata`), never a class or module path, so files
saved before this module moved here (from ``fastbp.tabular``) still load.
"""
import csv
import os

import numpy as np

__all__ = ["read_table", "Preprocessing", "MAX_AUTO_CLASSES"]

# An integer-valued target with at most this many distinct values is read as
# class labels by task="auto".
MAX_AUTO_CLASSES = 20


class TableError(ValueError):
    """A data file that cannot be used as asked (the message says why)."""


def _column(values):
    """A column as float64 when every non-empty cell is a number (empty cells
    become NaN), else as strings (empty cells stay "")."""
    try:
        return np.array([float(v) if v else np.nan for v in values], dtype=np.float64)
    except ValueError:
        return np.array(values, dtype=str)


def _missing(column):
    """Where ``column`` has no value: NaN, or an empty text cell."""
    return np.isnan(column) if column.dtype.kind == "f" else column == ""


def _first_line(mask):
    """The CSV line of the first True row (the header is line 1)."""
    return int(np.argmax(mask)) + 2


def read_table(path):
    """{column name: 1-D array} from a .csv or .npz file, in file order."""
    path = os.fspath(path)
    if path.endswith(".npz"):
        return _read_npz(path)
    with open(path, newline="", encoding="utf-8-sig") as f:  # (a byte-order mark is dropped)
        rows = list(csv.reader(f))
    if not rows or not rows[0]:
        raise TableError(f"{path} is empty: expected a header row of column names, then data rows")
    header, data = [h.strip() for h in rows[0]], [r for r in rows[1:] if r]
    unnamed = [j + 1 for j, h in enumerate(header) if not h or h.startswith("Unnamed: ")]
    if unnamed:  # pandas' to_csv writes its index this way; as a feature it may leak the label
        raise TableError(f"{path}: column {unnamed[0]} has no name; it looks like a row index "
                         "(pandas writes one unless to_csv(..., index=False)): remove it, or "
                         "name it in the header and leave it out with --features")
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise TableError(f"{path}: duplicate column names {dup}")
    if not data:
        raise TableError(f"{path} has a header but no data rows")
    for i, r in enumerate(data, start=2):
        if len(r) != len(header):
            raise TableError(f"{path} line {i} has {len(r)} fields, the header has {len(header)}")
    return {name: _column([r[j].strip() for r in data]) for j, name in enumerate(header)}


def _read_npz(path):
    try:
        # opened here: np.load leaves its own handle open when the archive is broken
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except ValueError as e:
        raise TableError(f"{path}: cannot read it without unpickling objects ({e})") from None
    columns = {}
    for key, a in arrays.items():
        if a.ndim == 1:
            columns[key] = a if a.dtype.kind in "US" else a.astype(np.float64)
        elif a.ndim == 2:
            for j in range(a.shape[1]):
                columns[f"{key}[{j}]"] = a[:, j].astype(np.float64)
        else:
            raise TableError(f"{path}: array {key!r} is {a.ndim}-D; expected 1-D columns or "
                             "2-D tables")
    lengths = {len(c) for c in columns.values()}
    if len(lengths) != 1:
        raise TableError(f"{path}: arrays have different numbers of rows {sorted(lengths)}")
    if not columns or lengths == {0}:
        raise TableError(f"{path} holds no data")
    return columns


def _pick(columns, names, path):
    missing = [n for n in names if n not in columns]
    if missing:
        raise TableError(f"{path} has no column {missing[0]!r}; its columns are {list(columns)}")
    return [columns[n] for n in names]


def _json_label(v):
    """A class label as JSON stores it: int when integral, else float or str."""
    if isinstance(v, str):
        return str(v)  # not np.str_
    v = float(v)
    return int(v) if v.is_integer() else v


class Preprocessing:
    """Feature encoding and standardization and target encoding, fitted on
    training data and stored in a model file's metadata.

    Attributes
    ----------
    features : list of str;  target : str or None
    task : "classification" or "regression"
    classes : list of labels (classification) or None
    x_mean, x_scale : lists, one per encoded input (identity when
        standardization is off)
    y_mean, y_scale : floats (regression; targets are standardized too)
    categories : {feature: [values]}: features one-hot encoded, one input per
        value (a value not seen in training encodes as all zeros)
    fill : {feature: value} or None: what a missing cell becomes (None:
        missing cells are refused)
    """

    KEYS = ("features", "target", "task", "classes", "x_mean", "x_scale", "y_mean", "y_scale")
    OPTIONAL = ("categories", "fill")  # newer fields: files written before them still load

    def __init__(self, **fields):
        for k in self.KEYS + self.OPTIONAL:
            setattr(self, k, fields.get(k))
        self.categories = self.categories or {}

    @classmethod
    def fit(cls, columns, target, features=None, task="auto", standardize=True, rows=None,
            path="data", categorical=None, impute=None):
        """Choose the features (default: every column but the target), the
        task and the encoding from ``columns``; the scaling statistics, fill
        values and categories come from ``rows`` only (the training rows;
        default all).  ``categorical``: "auto" (every text feature) or a list
        of features to one-hot encode; ``impute``: "mean", "median" or
        "most_frequent" for missing feature cells (text: most frequent)."""
        features = _choose_features(columns, target, features, path)
        y = columns[target]
        if _missing(y).any():
            raise TableError(f"{path} line {_first_line(_missing(y))}: the target {target!r} is "
                             "empty; rows without a target cannot be used: drop them")
        task, classes = _task(y, target, task)
        rows = np.arange(len(y)) if rows is None else rows
        categories = _categories(columns, features, categorical, rows)
        fill = None if impute is None else {
            f: _fill_value(f, columns[f][rows], impute, f in categories) for f in features}
        prep = cls(features=features, target=target, task=task, classes=classes,
                   categories=categories, fill=fill)
        X = prep.encode(columns, path)[rows]
        mean, scale = _mean_std(X)
        scale[scale == 0] = 1.0  # a constant feature stays constant (0 after centring)
        if not standardize:
            mean, scale = np.zeros_like(mean), np.ones_like(scale)
        prep.x_mean, prep.x_scale = mean.tolist(), scale.tolist()
        if task == "regression":
            y_mean, y_scale = (float(v[0]) for v in _mean_std(y[rows][:, None]))
            prep.y_mean, prep.y_scale = y_mean, y_scale or 1.0
        return prep

    @classmethod
    def from_metadata(cls, metadata, path="model"):
        if not isinstance(metadata, dict) or not isinstance(metadata.get("preprocessing"), dict):
            return None
        fields = metadata["preprocessing"]
        missing = [k for k in cls.KEYS if k not in fields]
        if missing:
            raise TableError(f"{path}: the model's preprocessing metadata lacks {missing}")
        _check_fields(fields, path)
        return cls(**fields)

    def to_metadata(self):
        return {"preprocessing": {k: getattr(self, k) for k in self.KEYS + self.OPTIONAL}}

    @property
    def n_outputs(self):
        return len(self.classes) if self.task == "classification" else 1

    def encode(self, columns, path="data"):
        """The input matrix from ``columns``, before standardization: missing
        cells filled, categorical features one-hot encoded."""
        blocks = []
        for name, c in zip(self.features, _pick(columns, self.features, path)):
            gaps = _missing(c)
            if gaps.any():
                if self.fill is None:
                    raise TableError(f"{path} line {_first_line(gaps)}: column {name!r} is empty "
                                     f"({int(gaps.sum())} missing cells in it): fill or drop "
                                     "them, or pass --impute mean|median|most_frequent")
                c = np.where(gaps, self.fill[name], c)
            if name in self.categories:
                labels = [_json_label(v) for v in c]
                blocks += [np.array([v == k for v in labels], dtype=np.float64)
                           for k in self.categories[name]]
            elif c.dtype.kind != "f":
                raise TableError(f"{path}: feature column {name!r} is not numeric (it holds "
                                 f"{str(c[~gaps][0] if (~gaps).any() else c[0])!r}); pass "
                                 "--categorical auto to one-hot encode text columns, or choose "
                                 "numeric features with --features")
            else:
                blocks.append(c.astype(np.float64))
        return np.column_stack(blocks)

    def X(self, columns, path="data"):
        """Encoded, standardized features from ``columns``."""
        X = self.encode(columns, path)
        return _finite((X - np.asarray(self.x_mean)) / np.asarray(self.x_scale), "features", path)

    def y(self, columns, path="data", one_hot=False):
        """Encoded targets from ``columns``: class indices (or with ``one_hot``
        an indicator matrix, for outputs other than softmax), or standardized
        values."""
        (y,) = _pick(columns, [self.target], path)
        if self.task == "regression":
            if y.dtype.kind != "f":
                raise TableError(f"{path}: target column {self.target!r} must be numeric")
            return _finite((y - self.y_mean) / self.y_scale, f"target {self.target!r}", path)
        labels = [_json_label(v) for v in y]
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted({repr(v) for v in labels if v not in index})
        if unknown:
            raise TableError(f"{path}: column {self.target!r} holds labels the model was not "
                             f"trained on: {', '.join(unknown[:5])}; known classes: {self.classes}")
        codes = np.array([index[v] for v in labels], dtype=np.intp)
        return np.eye(len(self.classes))[codes] if one_hot else codes

    def decode(self, outputs):
        """Predictions in the data's terms: class labels, or target values."""
        if self.task == "classification":
            return [self.classes[i] for i in outputs.argmax(axis=1)]
        return (outputs[:, 0] * self.y_scale + self.y_mean).tolist()


def _check_fields(fields, path):
    """The types a model's preprocessing metadata must have (a hand-edited or
    hostile file may hold anything)."""
    def is_list(v, kind):
        return isinstance(v, list) and all(isinstance(x, kind) for x in v)

    numbers = (int, float)
    ok = (is_list(fields["features"], str) and fields["features"]
          and isinstance(fields["target"], str)
          and fields["task"] in ("classification", "regression")
          and is_list(fields["x_mean"], numbers) and is_list(fields["x_scale"], numbers)
          # one-hot encoded features take a column per category
          and len(fields["x_mean"]) == len(fields["x_scale"]) >= len(fields["features"]))
    if ok and fields["task"] == "classification":
        ok = is_list(fields["classes"], (str, int, float)) and len(fields["classes"]) >= 2
    elif ok:
        ok = isinstance(fields["y_mean"], numbers) and isinstance(fields["y_scale"], numbers)
    if not ok:
        raise TableError(f"{path}: the model's preprocessing metadata is malformed (features, "
                         f"classes, scaling): it was not written by fastbp train")


def _mean_std(a):
    """Per-column mean and standard deviation of ``a``, computed on ``a``
    divided by its largest magnitude so that finite values near 1e308 do not
    overflow the sums."""
    top = np.abs(a).max(axis=0)
    top[top == 0] = 1.0
    scaled = a / top
    return scaled.mean(axis=0) * top, scaled.std(axis=0) * top


def _finite(a, what, path):
    """``a`` (standardized values) when all finite, else a TableError."""
    if not np.isfinite(a).all():
        raise TableError(f"{path}: the {what} values are too large or too spread out to "
                         f"standardize in float64; rescale them (or use --no-standardize)")
    return a


def _choose_features(columns, target, features, path):
    if target not in columns:
        raise TableError(f"{path} has no column {target!r} (the --target); its columns are "
                         f"{list(columns)}")
    features = [c for c in columns if c != target] if features is None else list(features)
    if target in features:
        raise TableError(f"the target {target!r} cannot also be a feature")
    if not features:
        raise TableError(f"{path} has no feature columns besides the target {target!r}")
    _pick(columns, features, path)
    return features


def _task(y, target, task):
    """(task, class labels or None) for target column ``y``."""
    numeric = y.dtype.kind == "f"
    if task == "auto":
        few = numeric and np.all(y == np.round(y)) and len(np.unique(y)) <= MAX_AUTO_CLASSES
        task = "classification" if (not numeric or few) else "regression"
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    if task == "regression" and not numeric:
        raise TableError(f"regression needs a numeric target, but column {target!r} holds text "
                         f"such as {str(y[0])!r}")
    if task == "regression":
        return task, None
    classes = [_json_label(v) for v in np.unique(y)]
    if len(classes) < 2:
        raise TableError(f"classification needs at least 2 classes; column {target!r} "
                         f"holds only {classes}")
    return task, classes


def _categories(columns, features, categorical, rows):
    """{feature: its values in the training rows} for the one-hot encoded features."""
    if categorical is None:
        return {}
    if categorical == "auto":
        names = [f for f in features if columns[f].dtype.kind != "f"]
    else:
        names = list(categorical)
        unknown = [n for n in names if n not in features]
        if unknown:
            raise TableError(f"--categorical names {unknown[0]!r}, which is not a feature; the "
                             f"features are {features}")
    found = {}
    for n in names:
        c = columns[n][rows]
        found[n] = sorted({_json_label(v) for v in c[~_missing(c)]})  # all text or all numbers
    return found


def _fill_value(name, c, strategy, categorical):
    """What a missing cell of feature ``name`` (its training cells ``c``) becomes."""
    if strategy not in ("mean", "median", "most_frequent"):
        raise ValueError(f"impute must be 'mean', 'median' or 'most_frequent', got {strategy!r}")
    present = c[~_missing(c)]
    if not len(present):
        raise TableError(f"column {name!r} has no values in the training rows to impute from")
    if categorical or c.dtype.kind != "f" or strategy == "most_frequent":
        values, counts = np.unique(present, return_counts=True)
        return _json_label(values[np.argmax(counts)]) if c.dtype.kind != "f" else \
            float(values[np.argmax(counts)])
    return float(np.mean(present) if strategy == "mean" else np.median(present))
