"""``fastbp trace`` (one training step, unit by unit) and ``fastbp export``
(a model file to ONNX), and reading a model with the rows of a table."""
import json

import numpy as np

import fastbp as fb
from fastbp.cli._arguments import CLIError
from fastbp.cli._options import build_optimizer
from fastbp.cli.tables import Preprocessing, TableError, read_table
from fastbp.tracing import parameter_names

__all__ = ["cmd_trace", "cmd_export", "load_for_data", "read_weights"]


def load_for_data(model_path, data_path, need_target):
    """(checkpoint, preprocessing, encoded X, encoded targets or None) of a
    model saved by ``fastbp train`` and a table with its columns."""
    ckpt = fb.load_checkpoint(model_path)
    prep = Preprocessing.from_metadata(ckpt.metadata, model_path)
    if prep is None:
        raise CLIError(f"{model_path} was not saved by 'fastbp train' (it has no column names or "
                       f"preprocessing), so the command line cannot match it to a table; use the "
                       f"Python API (fastbp.load) instead")
    columns = read_table(data_path)
    X = prep.X(columns, data_path)
    if X.shape[1] != ckpt.model.n_inputs:
        raise TableError(f"{model_path}: the model has {ckpt.model.n_inputs} inputs but its "
                         f"metadata names {X.shape[1]} features")
    one_hot = prep.task == "classification" and ckpt.model.output != "softmax"
    y = prep.y(columns, data_path, one_hot=one_hot) if need_target else None
    return ckpt, prep, X, y


def read_weights(net, path):
    """Set ``net``'s parameters from a JSON file: {"w14": 0.2, ..., "b4": -0.4}
    (every parameter by the slides' or the layers' names) or {"weights":
    [W_1, ...], "biases": [b_1, ...]} (nested lists, W_l of shape (n_in, n_out))."""
    try:
        with open(path) as f:
            spec = json.load(f)
    except json.JSONDecodeError as e:
        raise CLIError(f"--weights {path}: not valid JSON ({e})") from None
    if not isinstance(spec, dict):
        raise CLIError(f"--weights {path}: expected a JSON object, got {type(spec).__name__}")
    if set(spec) == {"weights", "biases"}:
        for what, views in (("weights", net.weights), ("biases", net.biases)):
            arrays = spec[what]
            if not isinstance(arrays, list) or len(arrays) != len(views):
                raise CLIError(f"--weights {path}: {what!r} must list {len(views)} layers")
            for l, (a, v) in enumerate(zip(arrays, views)):
                a = np.asarray(a, dtype=float)
                if a.shape != v.shape:
                    raise CLIError(f"--weights {path}: {what}[{l}] has shape {a.shape}, "
                                   f"expected {v.shape}")
                v[...] = a
        return net
    for scheme in ("units", "layers"):
        names = parameter_names(net.layer_sizes, scheme)
        if set(spec) <= set(names) and spec:
            missing = [n for n in names if n not in spec]
            if missing:
                raise CLIError(f"--weights {path}: no value for {', '.join(missing)}")
            net.params = [float(spec[n]) for n in names]
            return net
    raise CLIError(f"--weights {path}: unknown names; expected every one of "
                   f"{', '.join(parameter_names(net.layer_sizes))}, or 'weights' and 'biases'")


def _network(args):
    """The network the options --layers ... --weights describe."""
    if not args.layers or len(args.layers) < 2:
        raise CLIError("--layers needs every width from input to output, e.g. 3,2,1 "
                       "(or give --model)")
    hidden = [h.strip() for h in args.hidden.split(",")]
    n_hidden = len(args.layers) - 2
    net = fb.MLP(args.layers, hidden=hidden * n_hidden if len(hidden) == 1 else hidden,
                 output=args.output, loss=args.loss, init=args.init, dtype=args.dtype,
                 seed=args.seed)
    return read_weights(net, args.weights) if args.weights else net


def _target(net, t):
    """--t as targets: one value for a softmax output is a class label."""
    if net.output == "softmax" and len(t) == 1 and float(t[0]).is_integer():
        return np.array(int(t[0]))
    return np.array(t)


def _from_model(args):
    """(network, x, t, optimizer or None) of --model with a table row or --x, --t."""
    if args.layers or args.weights:
        raise CLIError("--model gives the network; drop --layers and --weights")
    if args.data is None:
        if args.x is None or args.t is None or args.row is not None:
            raise CLIError("--model needs a DATA file and --row N (the row to step on), or "
                           "the example as --x and --t")
        ckpt = fb.load_checkpoint(args.model)
        x, t = np.array(args.x), _target(ckpt.model, args.t)
    else:
        if args.row is None or args.x is not None or args.t is not None:
            raise CLIError("with --model and DATA, give --row N (the row to step on) and no "
                           "--x or --t")
        ckpt, _, X, y = load_for_data(args.model, args.data, need_target=True)
        if args.row >= X.shape[0]:
            raise CLIError(f"--row {args.row} is not a row of {args.data} (0 to {X.shape[0] - 1})")
        x, t = X[args.row], y[args.row]
    if args.saved_optimizer and ckpt.optimizer is None:
        raise CLIError(f"--saved-optimizer: {args.model} holds no optimizer")
    return ckpt.model, x, t, ckpt.optimizer if args.saved_optimizer else None


def _example(args):
    """(network, x, t, optimizer or None) from the options."""
    if args.model:
        return _from_model(args)
    if args.data is not None or args.row is not None or args.saved_optimizer:
        raise CLIError("DATA, --row and --saved-optimizer go with --model")
    if args.x is None or args.t is None:
        raise CLIError("give the example as --x X1,X2,... and --t T1,... (or --model with DATA "
                       "and --row)")
    net = _network(args)
    return net, np.array(args.x), _target(net, args.t), None


def cmd_trace(args):
    """``fastbp trace``: one training step of a network, unit by unit."""
    net, x, t, optimizer = _example(args)
    optimizer = optimizer or build_optimizer(args)
    tr = fb.trace(net, x, t, optimizer=optimizer, alpha=args.alpha, names=args.names)
    print(tr.to_text(digits=args.digits))
    return 0


def cmd_export(args):
    """``fastbp export``: a model file as an ONNX graph; a model saved by
    ``fastbp train`` with its preprocessing, reading raw features."""
    from fastbp._optional import require
    from fastbp.onnx import to_onnx
    from fastbp.onnx._tables import table_model_to_onnx

    require("onnx", "fastbp export")
    ckpt = fb.load_checkpoint(args.model)
    net = ckpt.model
    prep = Preprocessing.from_metadata(ckpt.metadata, args.model)
    dtype = args.dtype or net.dtype.name
    if prep is None:
        proto, outputs, inputs = to_onnx(net, dtype=dtype), ["Y"], "X (the network's inputs)"
    else:
        proto, outputs = table_model_to_onnx(net, prep, dtype=dtype)
        inputs = f"X (the raw features {', '.join(prep.features)})"
    with open(args.output, "wb") as f:
        f.write(proto.SerializeToString())
    print(f"{args.model} ({'-'.join(map(str, net.layer_sizes))} network) written to "
          f"{args.output} as ONNX ({dtype}): input {inputs}; outputs {', '.join(outputs)}")
    return 0
