"""The estimators' constructor parameters as one declarative table, in the
spirit of scikit-learn's ``_parameter_constraints``: each parameter name maps
to the check its value must pass.  ``check_params`` runs them all before a
fit touches anything, so a bad value raises a clear error and changes nothing.
"""
import numbers

import numpy as np

from fastbp._units import HIDDEN_ACTIVATIONS, parse_unit
from fastbp._validation import check_bool, check_choice, check_int, check_layer_sizes, check_real
from fastbp.callbacks import as_callbacks
from fastbp.optimizers import Optimizer
from fastbp.schedules import Schedule

# scikit-learn's activation names -> fastbp's; fastbp's other units by their own name
HIDDEN = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
# scikit-learn's out_activation_ -> fastbp's (output, loss)
OUT_ACTIVATIONS = {"logistic": ("sigmoid", "cross_entropy"),
                   "softmax": ("softmax", "cross_entropy"),
                   "identity": ("identity", "squared"), "exp": ("exp", "poisson")}
SOLVERS = ("lbfgs", "sgd", "adam", "adamw", "rmsprop", "adagrad")
LR_MODES = ("constant", "invscaling", "adaptive")


def _real(low, high=np.inf, low_open=False, high_open=False):
    return lambda name, value: check_real(name, value, low, high, low_open, high_open)


def _int(minimum):
    return lambda name, value: check_int(name, value, minimum)


def _one_of(choices, or_instance=None, what=""):
    """One of the strings ``choices``, or an instance of ``or_instance``."""
    def check(name, value):
        if or_instance is not None and isinstance(value, or_instance):
            return value
        if not isinstance(value, str) or value not in choices:
            raise ValueError(f"{name} must be one of {list(choices)}{what}, got {value!r}")
        return value
    return check


def _learning_rate_init(name, value):
    if isinstance(value, Schedule):  # a natural slip: say where a schedule goes
        raise TypeError(f"{name} must be a positive number; pass the schedule as "
                        f"learning_rate={value!r}")
    return check_real(name, value, 0.0, low_open=True)


def hidden_unit(activation):
    """fastbp's name of an estimator's ``activation``: scikit-learn's four, or
    any fastbp hidden unit ('gelu', 'leaky_relu(0.2)', ...)."""
    if activation in HIDDEN:
        return HIDDEN[activation]
    return parse_unit(activation, HIDDEN_ACTIVATIONS, "hidden")[0]


def _activation(name, value):
    if isinstance(value, str) and value not in HIDDEN:
        try:
            return hidden_unit(value)
        except ValueError:
            pass
    return check_choice(name, value, [*HIDDEN, *[u for u in HIDDEN_ACTIVATIONS
                                                 if u not in HIDDEN.values()]])


def _dropout(name, value):
    if isinstance(value, (list, tuple)):
        return [check_real(f"{name}[{i}]", v, 0.0, 1.0, high_open=True)
                for i, v in enumerate(value)]
    return check_real(name, value, 0.0, 1.0, high_open=True)


def _optional_positive(name, value):
    return None if value is None else check_real(name, value, 0.0, low_open=True)


def _hidden_layer_sizes(name, value):
    sizes = ([value] if isinstance(value, numbers.Integral) and not isinstance(value, bool)
             else value)
    return check_layer_sizes(name, sizes, 0)


def _batch_size(name, value):
    if isinstance(value, str):
        return _one_of(("auto",), what=" or an integer >= 1")(name, value)
    return check_int(name, value, 1)


def _verbose(name, value):
    if not isinstance(value, (numbers.Integral, np.bool_)):
        raise TypeError(f"{name} must be a bool or an int, got {value!r}")
    return value


def _n_iter_no_change(name, value):
    if isinstance(value, float) and value == np.inf:
        return value
    return check_int(name, value, 1)


def _dtype(name, value):
    if value is not None and value not in ("float32", "float64", np.float32, np.float64):
        raise ValueError(f"{name} must be None, 'float32' or 'float64', got {value!r}")
    return value


def _callbacks(name, value):
    if not (value is None or callable(value) or hasattr(value, "on_epoch_end")
            or isinstance(value, (list, tuple))):
        raise TypeError(f"{name} must be None, a callback or a list of callbacks, got {value!r}")
    return as_callbacks(value)


def _class_weight(name, value):
    if not (value is None or value == "balanced" or isinstance(value, dict)):
        raise ValueError(f"{name} must be None, 'balanced' or a dict, got {value!r}")
    return value


# shared by both estimators
PARAMETERS = {
    "hidden_layer_sizes": _hidden_layer_sizes,
    "activation": _activation,
    "solver": _one_of(SOLVERS, Optimizer, " or a fastbp optimizer instance"),
    "alpha": _real(0.0),
    "batch_size": _batch_size,
    "learning_rate": _one_of(LR_MODES, Schedule, " or a fastbp.schedules Schedule"),
    "learning_rate_init": _learning_rate_init,
    "power_t": _real(0.0),
    "max_iter": _int(1),
    "shuffle": check_bool,
    "tol": _real(0.0),
    "verbose": _verbose,
    "warm_start": check_bool,
    "momentum": _real(0.0, 1.0, high_open=True),
    "nesterovs_momentum": check_bool,
    "early_stopping": check_bool,
    "validation_fraction": _real(0.0, 1.0, high_open=True),
    "beta_1": _real(0.0, 1.0, high_open=True),
    "beta_2": _real(0.0, 1.0, high_open=True),
    "epsilon": _real(0.0, low_open=True),
    "n_iter_no_change": _n_iter_no_change,
    "max_fun": _int(1),
    "dtype": _dtype,
    "callbacks": _callbacks,
    "dropout": _dropout,
    "clip_norm": _optional_positive,
    "weight_decay": _real(0.0),
}
CLASSIFIER = {**PARAMETERS, "class_weight": _class_weight}
REGRESSOR = {"loss": lambda name, value: check_choice(name, value, ("squared_error", "poisson")),
             **PARAMETERS}


def check_params(estimator):
    """Check every constructor parameter of ``estimator`` (the table its
    class names in ``_parameters``); returns the hidden layer sizes as a
    list of ints."""
    for name, check in estimator._parameters.items():
        check(name, getattr(estimator, name))
    dropout = np.atleast_1d(np.asarray(estimator.dropout, dtype=float))
    if estimator.solver == "lbfgs" and ((dropout > 0).any() or estimator.clip_norm is not None):
        raise ValueError("dropout and clip_norm apply to the stochastic solvers (sgd, adam, "
                         "adamw, rmsprop, adagrad), not to solver='lbfgs'")
    return _hidden_layer_sizes("hidden_layer_sizes", estimator.hidden_layer_sizes)
