"""The graph of a model saved by ``fastbp train``: its metadata's feature
standardization before the network, and the data's class labels or target
units after it, so the graph reads raw features as ``fastbp predict`` does."""
import numpy as np

from fastbp.onnx._convert import OPSET, Builder, emit_network, finish

__all__ = ["table_model_to_onnx"]


def _labels(classes):
    """The class labels as one array type: int64, float64 or strings."""
    if all(isinstance(c, int) and not isinstance(c, bool) for c in classes):
        return np.array(classes, dtype=np.int64)
    if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in classes):
        return np.array(classes, dtype=np.float64)
    return np.array([str(c) for c in classes], dtype=object)


def table_model_to_onnx(net, prep, dtype=None, opset=OPSET):
    """(ModelProto, output names) of ``net`` with the preprocessing ``prep``
    (a :class:`fastbp.cli.tables.Preprocessing`).

    Input "X": the raw features, in the order of ``prep.features``.  Outputs:
    classification "label" (n,) and "probabilities" (n, n_classes) (the
    network's outputs, as ``fastbp predict --proba`` writes them);
    regression "prediction" (n, 1) in the target's units.
    """
    from fastbp._validation import check_dtype

    dt = check_dtype(net.dtype if dtype is None else dtype)
    b = Builder(dt)
    centred = b.op("Sub", ["X", b.const("x_mean", prep.x_mean)])
    y = emit_network(b, net, b.op("Div", [centred, b.const("x_scale", prep.x_scale)]))
    if prep.task == "classification":
        classes = _labels(prep.classes)
        b.op("Identity", [y], out="probabilities")
        index = b.op("ArgMax", [y], axis=1, keepdims=0)
        b.op("Gather", [b.const("classes", classes, dtype=classes.dtype), index], out="label")
        outputs = [("label", classes.dtype, [None]),
                   ("probabilities", dt, [None, len(classes)])]
    else:
        scaled = b.op("Mul", [y, b.const("y_scale", prep.y_scale)])
        b.op("Add", [scaled, b.const("y_mean", prep.y_mean)], out="prediction")
        outputs = [("prediction", dt, [None, 1])]
    proto = finish(b, [("X", dt, [None, net.n_inputs])], outputs, "fastbp", opset)
    return proto, [o[0] for o in outputs]
