"""The converters that let ``skl2onnx.to_onnx`` convert fastbp's estimators,
alone or inside a scikit-learn Pipeline: the nodes are ``_convert``'s,
written into skl2onnx's scope and container."""
import numpy as np

from fastbp._optional import require
from fastbp.onnx._convert import emit_classifier, emit_network

__all__ = ["register_skl2onnx"]


class _SklBuilder:
    """``_convert.Builder``'s interface over skl2onnx's scope and container."""

    def __init__(self, scope, container, dtype):
        from onnx import helper

        self.scope, self.container, self.dtype = scope, container, np.dtype(dtype)
        self._helper = helper

    def const(self, hint, value, dtype=None):
        name = self.scope.get_unique_variable_name(hint)
        array = np.asarray(value, dtype=dtype or self.dtype)
        proto_type = self._helper.np_dtype_to_tensor_dtype(
            np.dtype(object) if array.dtype == object else array.dtype)
        content = ([s.encode() for s in array.ravel()] if array.dtype == object
                   else array.ravel())
        self.container.add_initializer(name, proto_type, list(array.shape), content)
        return name

    def op(self, op_type, inputs, out=None, domain="", **attrs):
        out = out or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(op_type, inputs, out, op_domain=domain,
                                name=self.scope.get_unique_operator_name(op_type), **attrs)
        return out


def _start(scope, operator, container):
    """(builder, network, the input as a value of the network's float type)."""
    from skl2onnx.common.data_types import DoubleTensorType

    est = operator.raw_operator
    est._load_coefs()
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    b = _SklBuilder(scope, container, np.float64 if double else np.float32)
    x = b.op("Cast", [operator.inputs[0].full_name], to=11 if double else 1)
    return b, est, x


def _convert_classifier(scope, operator, container):
    b, est, x = _start(scope, operator, container)
    emit_classifier(b, est, emit_network(b, est._net, x), operator.outputs[0].full_name,
                    operator.outputs[1].full_name)


def _convert_regressor(scope, operator, container):
    b, est, x = _start(scope, operator, container)
    b.op("Identity", [emit_network(b, est._net, x)], out=operator.outputs[0].full_name)


def register_skl2onnx():
    """Register fastbp's MLPClassifier and MLPRegressor with skl2onnx, so
    that ``skl2onnx.to_onnx`` converts them and Pipelines holding them
    (``import fastbp.onnx`` does this when skl2onnx is installed)."""
    skl2onnx = require("skl2onnx", "fastbp.onnx.register_skl2onnx")
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    from fastbp.estimators import MLPClassifier, MLPRegressor

    skl2onnx.update_registered_converter(
        MLPClassifier, "FastbpMLPClassifier", calculate_linear_classifier_output_shapes,
        _convert_classifier, options={"zipmap": [True, False, "columns"], "nocl": [True, False]})
    skl2onnx.update_registered_converter(
        MLPRegressor, "FastbpMLPRegressor", calculate_linear_regressor_output_shapes,
        _convert_regressor)
