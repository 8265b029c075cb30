"""fastbp networks and estimators as ONNX graphs.

A layer is one Gemm (X W + b) followed by its activation, taken from
:data:`ACTIVATIONS`, the one table of how each activation is written in
ONNX.  A graph is written through a small builder (nodes, initializers,
unique names) that the skl2onnx converter (``_skl2onnx``) also implements
over skl2onnx's own containers, so both emit the same nodes.
"""
import numpy as np

from fastbp._optional import require

__all__ = ["ACTIVATIONS", "to_onnx", "save_onnx", "emit_network", "emit_classifier",
           "finish", "Builder", "OPSET"]

OPSET = 17  # Gemm, Softmax over one axis, Gather, Where, Erf: all in opset 13+


def _op(op_type, **attrs):
    def emit(b, x, _param=None):
        return b.op(op_type, [x], **attrs)
    emit.__name__ = op_type
    return emit


def _identity(_b, x, _param=None):
    return x


def _where_positive(b, x, negative):
    return b.op("Where", [b.op("Greater", [x, b.const("zero", 0.0)]), x, negative])


def _leaky_relu(b, x, slope=0.01):
    if b.dtype == np.float32:
        return b.op("LeakyRelu", [x], alpha=slope)
    # the alpha attribute is a float32: the slope would be rounded in a float64 graph
    return _where_positive(b, x, b.op("Mul", [x, b.const("slope", slope)]))


def _elu(b, x, alpha=1.0):
    if b.dtype == np.float32:
        return b.op("Elu", [x], alpha=alpha)
    # onnxruntime has no float64 Elu: x > 0 ? x : alpha (exp(x) - 1)
    negative = b.op("Sub", [b.op("Exp", [x]), b.const("one", 1.0)])
    return _where_positive(b, x, b.op("Mul", [negative, b.const("alpha", alpha)]))


# erf(z) = 2/sqrt(pi) exp(-z^2) z sum_n prod_{k<=n} r_k z^(2n), r_k = 2 / (2k + 1):
# positive terms, no cancellation; 100 of them give 1e-15 relative on |z| <= 6,
# beyond which erf is +-1 in float64.  Nested as 1 + r_1 z^2 (1 + r_2 z^2 (...)):
# onnxruntime's optimizer drops an Add of a constant that is 0 in float32, so
# the coefficients must not be tiny (as the plain Horner form's would be).
_ERF_RATIOS = [2 / (2 * k + 1) for k in range(1, 100)]


def _erf64(b, z):
    """erf in float64 from elementary operators (onnxruntime has no float64 Erf)."""
    z = b.op("Clip", [z, b.const("lo", -6.0), b.const("hi", 6.0)])
    z2 = b.op("Mul", [z, z])
    one = b.const("one", 1.0)
    s = one
    for r in _ERF_RATIOS[::-1]:
        s = b.op("Add", [b.op("Mul", [b.op("Mul", [s, z2]), b.const("r", r)]), one])
    scale = b.op("Mul", [b.op("Exp", [b.op("Neg", [z2])]), b.const("two_over_sqrtpi",
                                                                  2 / np.sqrt(np.pi))])
    return b.op("Mul", [b.op("Mul", [s, z]), scale])


def _gelu(b, x, _param=None):
    # x * 0.5 * (1 + erf(x / sqrt 2)), the exact GELU
    scaled = b.op("Mul", [x, b.const("inv_sqrt2", 1 / np.sqrt(2))])
    erf = b.op("Erf", [scaled]) if b.dtype == np.float32 else _erf64(b, scaled)
    half = b.op("Mul", [b.op("Add", [erf, b.const("one", 1.0)]), b.const("half", 0.5)])
    return b.op("Mul", [x, half])


def _softplus(b, x, beta=1.0):
    # log(1 + exp(beta x)) / beta, and x itself where beta x > 20 (torch's
    # threshold, as fastbp computes it); ONNX's Softplus has no beta, and
    # onnxruntime none in float64: max(y, 0) + log(1 + exp(-|y|)), no overflow
    y = b.op("Mul", [x, b.const("beta", beta)])
    tail = b.op("Exp", [b.op("Neg", [b.op("Abs", [y])])])
    soft = b.op("Add", [b.op("Relu", [y]), b.op("Log", [b.op("Add", [tail, b.const("one", 1.0)])])])
    soft = b.op("Div", [soft, b.const("beta", beta)])
    above = b.op("Greater", [y, b.const("threshold", 20.0)])
    return b.op("Where", [above, x, soft])


def _silu(b, x, _param=None):
    return b.op("Mul", [x, b.op("Sigmoid", [x])])


# activation name (as fastbp.MLP takes it) -> function(builder, input name) -> output name
ACTIVATIONS = {
    "identity": _identity,
    "sigmoid": _op("Sigmoid"),
    "tanh": _op("Tanh"),
    "relu": _op("Relu"),
    "softmax": _op("Softmax", axis=1),
    "exp": _op("Exp"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "softplus": _softplus,
    "silu": _silu,
}


class Builder:
    """The nodes and initializers of a graph being built, for onnx.helper."""

    def __init__(self, dtype):
        self.onnx = require("onnx", "fastbp.onnx")
        self.dtype = np.dtype(dtype)
        self.nodes, self.initializers, self._count = [], [], 0

    def name(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint, value, dtype=None):
        """An initializer holding ``value`` (in the graph's float type by default)."""
        name = self.name(hint)
        array = np.asarray(value, dtype=dtype or self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type, inputs, out=None, domain="", **attrs):
        out = out or self.name(op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], domain=domain,
                                                     name=self.name(op_type), **attrs))
        return out


def emit_network(b, net, x):
    """The layers of ``net`` applied to the graph value ``x``; the output's name."""
    names = [spec.partition("(")[0] for spec in [*net.hidden, net.output]]
    missing = [a for a in names if a not in ACTIVATIONS]
    if missing:
        raise ValueError(f"no ONNX form for the activation {missing[0]!r}; "
                         f"fastbp.onnx writes {sorted(ACTIVATIONS)}")
    top = net._topology  # the units' parameters, defaults filled in
    h = x
    for W, bias, f, param in zip(net.weights, net.biases, names, top.unit_params):
        h = b.op("Gemm", [h, b.const("W", W), b.const("b", bias)])
        h = ACTIVATIONS[f](b, h, float(param))
    return h


def class_labels(classes):
    """(the classes as an int64 or string array, True when strings)."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64), False
    if classes.dtype.kind == "f":
        if not np.all(classes == np.round(classes)):
            raise ValueError(f"ONNX labels of float classes must be whole numbers, got {classes}")
        return classes.astype(np.int64), False
    return np.array([str(c) for c in classes], dtype=object), True


def emit_classifier(b, est, p, label, probabilities):
    """The outputs of a fitted MLPClassifier from its network's outputs
    ``p``, as skl2onnx writes scikit-learn's: ``label`` (n,) (for multilabel
    targets an int64 indicator matrix) and ``probabilities`` (n, n_classes)."""
    multilabel = est._label_binarizer.y_type_ == "multilabel-indicator"
    if multilabel:
        b.op("Identity", [p], out=probabilities)
        above = b.op("Greater", [p, b.const("threshold", 0.5)])
        return b.op("Cast", [above], out=label, to=7)
    if est.n_outputs_ == 1:  # binary: one sigmoid unit, p(class 1)
        neg = b.op("Sub", [b.const("one", 1.0), p])
        b.op("Concat", [neg, p], out=probabilities, axis=1)
    else:
        b.op("Identity", [p], out=probabilities)
    classes, _ = class_labels(est.classes_)
    index = b.op("ArgMax", [probabilities], axis=1, keepdims=0)
    return b.op("Gather", [b.const("classes", classes, dtype=classes.dtype), index], out=label)


def _model_net(model):
    """(network, fitted estimator or None) of an MLP or a fitted estimator."""
    from fastbp.network import MLP

    if isinstance(model, MLP):
        return model, None
    net = getattr(model, "_net", None)
    if not isinstance(net, MLP) or not hasattr(model, "n_outputs_"):
        raise TypeError(f"to_onnx takes a fastbp.MLP or a fitted fastbp MLPClassifier or "
                        f"MLPRegressor, got {type(model).__name__}"
                        + (" (not fitted)" if net is None and hasattr(model, "fit") else ""))
    model._load_coefs()
    return net, model


def to_onnx(model, dtype=None, opset=OPSET, name="fastbp"):
    """``model`` as an ``onnx.ModelProto``.

    Parameters
    ----------
    model : MLP, or a fitted fastbp MLPClassifier or MLPRegressor
    dtype : {None, "float32", "float64"}
        The graph's float type (input, weights, outputs); None: the model's.
    opset : int, default 17
    name : str

    Returns
    -------
    onnx.ModelProto
        Input "X" (n_samples, n_features).  Outputs: for an MLP "Y", its
        outputs; for a regressor "variable" (n_samples, n_outputs); for a
        classifier "label" (n_samples,) (int64 or string, as the classes)
        and "probabilities" (n_samples, n_classes), the layout skl2onnx
        gives scikit-learn's MLPClassifier with ``zipmap=False``.
    """
    require("onnx", "fastbp.onnx.to_onnx")
    net, est = _model_net(model)
    from fastbp._validation import check_dtype

    dt = check_dtype(net.dtype if dtype is None else dtype)
    b = Builder(dt)
    if est is None or not hasattr(est, "classes_"):
        out = "Y" if est is None else "variable"
        b.op("Identity", [emit_network(b, net, "X")], out=out)
        outputs = [(out, dt, [None, net.n_outputs])]
    else:
        multilabel = est._label_binarizer.y_type_ == "multilabel-indicator"
        classes, _ = class_labels(est.classes_)
        emit_classifier(b, est, emit_network(b, net, "X"), "label", "probabilities")
        n_classes = net.n_outputs if multilabel else len(classes)
        outputs = [("label", np.int64 if multilabel else classes.dtype,
                    [None, n_classes] if multilabel else [None]),
                   ("probabilities", dt, [None, n_classes])]
    return finish(b, [("X", dt, [None, net.n_inputs])], outputs, name, opset)


def finish(b, inputs, outputs, name, opset):
    """The checked ModelProto of builder ``b``'s graph; inputs and outputs
    are (name, numpy dtype, shape) triples."""
    helper = b.onnx.helper

    def info(name, dtype, shape):
        dtype = np.dtype(dtype)
        kind = (b.onnx.TensorProto.STRING if dtype.kind == "O"
                else helper.np_dtype_to_tensor_dtype(dtype))
        return helper.make_tensor_value_info(name, kind, shape)

    graph = helper.make_graph(b.nodes, name, [info(*i) for i in inputs],
                              [info(*o) for o in outputs], b.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="fastbp")
    b.onnx.checker.check_model(proto)
    return proto


def save_onnx(model, path, dtype=None, opset=OPSET):
    """Write :func:`to_onnx`'s graph to ``path``; returns the ModelProto."""
    proto = to_onnx(model, dtype=dtype, opset=opset)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
    return proto
