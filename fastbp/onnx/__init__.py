"""ONNX export (needs onnx: ``pip install onnx``, fastbp's ``onnx`` extra).

:func:`to_onnx` / :func:`save_onnx` convert an :class:`fastbp.MLP` or a
fitted :class:`fastbp.MLPClassifier` / :class:`fastbp.MLPRegressor`;
:func:`register_skl2onnx` (run on import when skl2onnx is installed) lets
``skl2onnx.to_onnx`` convert scikit-learn Pipelines that hold a fastbp
estimator.  :data:`ACTIVATIONS` is the table of each activation's ONNX form.
Importing this module needs neither onnx nor skl2onnx; the functions do.
"""
from fastbp._optional import available
from fastbp.onnx._convert import ACTIVATIONS, OPSET, save_onnx, to_onnx
from fastbp.onnx._skl2onnx import register_skl2onnx

__all__ = ["to_onnx", "save_onnx", "register_skl2onnx", "ACTIVATIONS", "OPSET"]

if available("skl2onnx") and available("sklearn"):
    register_skl2onnx()
