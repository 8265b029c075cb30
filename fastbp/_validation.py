"""Checks of user input.  Everything a kernel trusts is checked here first, with
errors that name the argument, what it was and what was expected."""
import math
import numbers
import os

import numpy as np

from fastbp import _kernels

DTYPES = {"float64": np.float64, "float32": np.float32}


def check_dtype(dtype):
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return np.dtype(DTYPES[name])


def check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_bool(name, value):
    """``value`` as a bool; only True or False (Python's or NumPy's) pass."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name, value, choices):
    """``value`` when it is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_layer_sizes(name, sizes, min_layers):
    """``sizes`` (a sequence of ints >= 1, at least ``min_layers`` of them)
    as a list of ints."""
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints, got {sizes!r}") from None
    if len(sizes) < min_layers:
        raise ValueError(f"{name} needs at least an input and an output width, got {sizes}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ValueError(f"{name} must hold integers >= 1, got {sizes}")
        if s >= 2**31:
            raise ValueError(f"{name} must be < 2**31 (BLAS uses 32-bit sizes), got {s}")
    return [int(s) for s in sizes]


def _physical_memory():
    """Bytes of RAM on this machine, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(n_bytes):
    return f"{n_bytes / 2**30:,.1f} GiB"


def check_network_size(name, sizes, dtype):
    """Refuse layer ``sizes`` whose parameters alone would not fit in this
    machine's memory (or overflow 64-bit offsets), before anything is
    allocated.  Counted with Python's unbounded ints, so nothing wraps."""
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    need = n_params * np.dtype(dtype).itemsize
    memory = _physical_memory()
    if need >= 2**62 or (memory is not None and need > memory):
        have = f"this machine has {_gib(memory)}" if memory else "more than 64-bit sizes allow"
        raise ValueError(
            f"{name} {list(sizes)} needs {n_params:,} parameters: {_gib(need)} of "
            f"{np.dtype(dtype).name} for the parameters alone (training needs about 4 times "
            f"that), but {have}")
    return n_params


def check_seed(name, seed, random_state=False):
    """``seed`` if NumPy can seed a generator from it: None, an int >= 0,
    a numpy Generator, BitGenerator or SeedSequence (and, with
    ``random_state``, a legacy RandomState)."""
    kinds = (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)
    if random_state:
        kinds += (np.random.RandomState,)
    if seed is None or isinstance(seed, kinds):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be None, an int >= 0 or a numpy Generator, "
                        f"got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {seed}")
    return seed


def check_real(name, value, low=-np.inf, high=np.inf, low_open=False, high_open=False):
    """``value`` as a finite float in the interval from ``low`` to ``high``
    (each end closed unless ``*_open``)."""
    if type(value) is not float and (  # (floats, the common case, decided fast)
            isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    ok = math.isfinite(value) and (value > low if low_open else value >= low) and (
        value < high if high_open else value <= high)
    if not ok:
        if high == np.inf:
            want = f"a finite number {'>' if low_open else '>='} {low}"
        else:
            want = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return value


def check_alpha(alpha):
    return check_real("alpha (the L2 penalty)", alpha, 0.0)


def _numeric(name, a):
    try:
        a = np.asarray(a)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array: its rows have different "
                         f"lengths ({e})") from None
    if a.dtype.kind in "biuf":  # bool, int, unsigned, float: the common case, decided fast
        return a
    if a.dtype == object or not (
        np.issubdtype(a.dtype, np.floating)
        or np.issubdtype(a.dtype, np.integer)
        or a.dtype == np.bool_
    ):
        raise TypeError(
            f"{name} must hold real numbers (a float, int or bool array), got dtype {a.dtype}")
    return a


def extremes(a):
    """(min, max) of the entries of the non-empty float array ``a``; not
    both finite when some entry is NaN or infinite.  They prove the data
    finite without a temporary (a sum could overflow), and they are what the
    range checks and fit's output guard need: for aligned float32 and float64
    arrays in memory order, from one compiled pass over them (the largest
    cost of a small fit's validation), else from NumPy's two."""
    flags = a.flags
    if a.dtype in _SCANNED and flags.c_contiguous and flags.aligned:
        low, high = _kernels.active().extremes(a.reshape(-1))
        return a.dtype.type(low), a.dtype.type(high)
    return a.min(), a.max()


_SCANNED = (np.dtype(np.float32), np.dtype(np.float64))


def _finite(name, a, original=None):
    """Raise unless every entry of ``a`` is finite; returns (min, max) of a
    float array, None for integers and booleans (always finite)."""
    if a.dtype.kind != "f":
        return None
    if a.size == 0:
        return a.dtype.type(0), a.dtype.type(0)
    low, high = extremes(a)
    if math.isfinite(low) and math.isfinite(high):
        return low, high
    bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    if original is not None and np.isfinite(original[bad]):
        raise ValueError(
            f"{name} holds {original[bad]!r} at index {bad}, too large for {a.dtype.name}"
        )
    raise ValueError(f"{name} contains NaN or infinity (first at index {bad})")


def _convert(a, dtype):
    """``a`` as a C-contiguous, aligned array of ``dtype``: the kernels read
    doubles through pointers, and arrays rebuilt from buffers (dask, pickle
    protocol 5, np.frombuffer) may start at any byte."""
    flags = a.flags
    if a.dtype == dtype and flags.c_contiguous and flags.aligned:
        return a  # what np.require would return, without its overhead
    with np.errstate(over="ignore"):  # overflow is reported by _finite
        return np.require(a, dtype=dtype, requirements=["C", "A"])


def check_X(X, n_features, dtype, name="X"):
    """X as a C-contiguous (n_samples, n_features) array of ``dtype``."""
    return check_X_range(X, n_features, dtype, name)[0]


def check_X_range(X, n_features, dtype, name="X"):
    """(X as check_X returns it, (min, max) of its entries): the extremes
    come free with the finiteness check, and fit's output guard needs them."""
    if X is None:
        raise TypeError(f"{name} is None; expected an array of shape (n_samples, {n_features})")
    X = _numeric(name, X)
    if X.ndim != 2:
        hint = "; for one example use X.reshape(1, -1)" if X.ndim == 1 else ""
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got {X.ndim}-D with shape {X.shape}{hint}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples, at least 1 is needed")
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features per sample, the network expects {n_features}"
        )
    converted = _convert(X, dtype)
    extremes = _finite(name, converted, X)
    return converted, extremes


def _one_hot(labels, n_outputs, dtype, out=None):
    """(n, n_outputs) indicator rows of integer ``labels`` in [0, n_outputs),
    written into ``out((n, n_outputs))`` when ``out`` is given."""
    n = labels.shape[0]
    if out is None:
        Y = np.zeros((n, n_outputs), dtype=dtype)
    else:
        Y = out((n, n_outputs))
        Y.fill(0)
    hot = np.arange(0, n * n_outputs, n_outputs, dtype=np.intp)
    hot += labels.astype(np.intp, copy=False)
    Y.reshape(-1)[hot] = 1
    return Y


def check_Y(Y, n_samples, n_outputs, dtype, output, loss, name="Y", out=None):
    """Targets as a C-contiguous (n_samples, n_outputs) array of ``dtype``.

    A 1-D Y is read as integer class labels (one-hot encoded) when the output
    is softmax, and as one column when the network has one output.  ``out``:
    a function giving the array of a shape to write one-hot targets into
    (C-contiguous, ``dtype``), instead of a new one.
    """
    if Y is None:
        raise TypeError(f"{name} is None; expected targets of shape ({n_samples}, {n_outputs})")
    Y = _numeric(name, Y)
    from_labels = Y.ndim == 1 and output == "softmax"
    if from_labels:
        labels = Y
        integral = labels.dtype.kind in "iu" or np.issubdtype(labels.dtype, np.integer)
        if not integral:
            _finite(name, labels)
            if not np.all(labels == np.round(labels)):
                raise ValueError(f"1-D {name} is read as class labels for a softmax output, "
                                 f"but holds non-integers")
        if labels.size and (labels.min() < 0 or labels.max() >= n_outputs):
            raise ValueError(
                f"class labels in {name} must be in [0, {n_outputs}) for {n_outputs} outputs, "
                f"got values from {labels.min()} to {labels.max()}"
            )
        Y = _one_hot(labels, n_outputs, dtype, out)
    elif Y.ndim == 1 and n_outputs == 1:
        Y = Y.reshape(-1, 1)
    elif Y.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, {n_outputs}); got {Y.ndim}-D with shape {Y.shape}"
            + (" (1-D targets are read as labels only for a softmax output, or for one output)"
               if Y.ndim == 1 else "")
        )
    if Y.shape != (n_samples, n_outputs):
        if Y.shape[0] != n_samples:
            raise ValueError(f"{name} has {Y.shape[0]} samples but X has {n_samples}")
        raise ValueError(f"{name} has {Y.shape[1]} outputs per sample, the network has {n_outputs}")
    if from_labels:
        return Y  # zeros and ones of dtype, C-contiguous: nothing left to check
    converted = _convert(Y, dtype)
    low, high = _finite(name, converted, Y)
    Y = converted
    if loss == "cross_entropy" and (low < 0 or high > 1):
        raise ValueError(
            f"cross-entropy targets in {name} must lie in [0, 1] (probabilities or 0/1 labels), "
            f"got values from {low} to {high}"
        )
    if loss == "poisson" and low < 0:
        raise ValueError(f"Poisson targets in {name} must be >= 0 (counts or rates), got {low}")
    return Y


# sample weights whose largest is outside [2**-60, 2**60] are rescaled
_WEIGHT_EXPONENTS = (-60, 60)


def scale_weights(w, alpha=0.0):
    """(``w`` times a power of two, ``alpha`` times the same power) so that the
    largest weight is in [1, 2) when it was outside [2**-60, 2**60]; else
    (w, alpha) unchanged.

    Every loss fastbp computes is sum_i w_i loss_i / sum_i w_i, which a power
    of two leaves exactly as it was, and alpha / sum_i w_i (the estimators' L2
    term) too; but the sums no longer overflow (1e308) or underflow (5e-324)."""
    if w is None:
        return w, alpha
    exponent = math.frexp(float(w.max()))[1] - 1  # largest weight = m 2**exponent, 1 <= m < 2
    if _WEIGHT_EXPONENTS[0] <= exponent <= _WEIGHT_EXPONENTS[1]:
        return w, alpha
    try:
        alpha = math.ldexp(alpha, -exponent)
    except OverflowError:
        raise ValueError(
            f"sample_weight (largest {float(w.max())!r}) is so small that the L2 term "
            f"alpha / sum(sample_weight) is infinite; multiply the weights by a constant") from None
    with np.errstate(under="ignore"):  # the smallest weights may underflow to 0, as in sums
        return np.ldexp(w, -exponent).astype(w.dtype, copy=False), alpha


def check_sample_weight(sample_weight, n_samples, dtype, name="sample_weight", rescale=True):
    """None, or the weights as a C-contiguous (n_samples,) array of ``dtype``:
    finite, >= 0, not all zero; ``rescale``: by a power of two when they are
    extreme (see scale_weights), which changes no loss."""
    if sample_weight is None:
        return None
    w = _numeric(name, sample_weight)
    if w.ndim == 0:
        w = np.full(n_samples, w)
    if w.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},), one weight per sample, got {w.shape}")
    converted = _convert(w, dtype)
    low, high = _finite(name, converted, w)
    if low < 0:
        raise ValueError(f"{name} must be >= 0, got a minimum of {low}")
    if not high > 0:
        raise ValueError(f"{name} sums to zero: at least one sample needs a positive weight")
    return scale_weights(converted)[0] if rescale else converted
