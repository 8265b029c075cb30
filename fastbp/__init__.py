"""fastbp: fast backpropagation for multilayer perceptrons.

The forward pass, backward pass and optimizer updates run as compiled Cython
over one flat parameter vector; a whole training epoch is one call with the
GIL released.
"""
from fastbp import callbacks, schedules
from fastbp._threads import get_num_threads, set_num_threads
from fastbp._version import __version__ as __version__
from fastbp.gradcheck import GradientCheck, gradient_check
from fastbp.history import History, TrainingDiverged
from fastbp.network import MLP
from fastbp.optimizers import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSprop
from fastbp.saving import Checkpoint, ModelFileError, UnsupportedFormatError, load, load_checkpoint
from fastbp.tracing import Trace, trace
from fastbp.training import fit

__all__ = [
    "MLP",
    "SGD",
    "AdaGrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Optimizer",
    "History",
    "TrainingDiverged",
    "fit",
    "get_num_threads",
    "set_num_threads",
    "trace",
    "Trace",
    "gradient_check",
    "GradientCheck",
    "load",
    "load_checkpoint",
    "Checkpoint",
    "ModelFileError",
    "UnsupportedFormatError",
    "schedules",
    "callbacks",
]  # MLPClassifier and MLPRegressor are left out: `import *` must not need scikit-learn


def __getattr__(name):
    # the scikit-learn estimators load on first use: scikit-learn is optional
    if name in ("MLPClassifier", "MLPRegressor"):
        from fastbp import estimators

        return getattr(estimators, name)
    if name == "onnx":  # a submodule loaded on first use (it registers with skl2onnx)
        import importlib

        return importlib.import_module("fastbp.onnx")
    raise AttributeError(f"module 'fastbp' has no attribute {name!r}")
