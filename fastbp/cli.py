"""The ``fastbp`` command (also ``python -m fastbp``).

    fastbp demo                       train on a bundled data set, show progress and results
    fastbp worked-example             the lecture's worked example, step by step
    fastbp train DATA --target COL    train on a CSV or .npz file and save the model
    fastbp predict MODEL DATA         write the model's predictions for DATA
    fastbp evaluate MODEL DATA        print the model's metrics on DATA

``fastbp COMMAND --help`` describes every option.
"""
import argparse
import json
import os
import sys

import numpy as np

__all__ = ["main", "build_parser"]

EPILOG_TRAIN = """\
examples:
  fastbp train iris.csv --target species --layers 16 --epochs 200
  fastbp train data.npz --target y --layers 64,64 --hidden relu --optimizer sgd \\
      --lr 0.1 --momentum 0.9 --schedule step --factor 0.5 --every 20 --mode minibatch \\
      --batch-size 16 --alpha 1e-4 --early-stopping 10 -o model.npz

The features are standardized (mean 0, variance 1 on the training rows) and,
for regression, so is the target; the model file remembers both, and the
column names and class labels, so predict and evaluate apply the same steps.
"""

OPTIMIZER_OPTIONS = {  # which hyperparameter options each optimizer takes
    "sgd": ("lr", "momentum", "nesterov"),
    "momentum": ("lr", "momentum", "nesterov"),
    "nesterov": ("lr", "momentum"),
    "adagrad": ("lr", "eps"),
    "rmsprop": ("lr", "decay", "eps"),
    "adam": ("lr", "beta1", "beta2", "eps", "eps_hat"),
}
SCHEDULE_OPTIONS = {
    "constant": (),
    "step": ("factor", "every"),
    "exponential": ("k",),
    "inverse-time": ("k",),
    "inverse-scaling": ("power",),
}


class CLIError(Exception):
    """A usage problem found after parsing (reported like argparse's errors)."""


# --- argument types ------------------------------------------------------------------
def _int_list(text):
    text = text.strip()
    if text.lower() in ("", "none"):
        return []
    try:
        sizes = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 64,32, got {text!r}")
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return parse


_positive_int, _non_negative_int = _int_at_least(1), _int_at_least(0)


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


# --- the parser --------------------------------------------------------------------------
def _model_and_data(parser, data_help):
    parser.add_argument("model", metavar="MODEL", help="a model file saved by 'fastbp train'")
    parser.add_argument("data", metavar="DATA", help=data_help)


def build_parser():
    from fastbp import __version__
    from fastbp.network import HIDDEN_ACTIVATIONS, INITS, LOSSES, OUTPUT_ACTIVATIONS

    parser = argparse.ArgumentParser(
        prog="fastbp", description="Train multilayer perceptrons by backpropagation (fastbp "
        f"{__version__}).", epilog="Run 'fastbp COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"fastbp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo", help="train a network on a bundled data set and report",
        description="Train a classifier on scikit-learn's handwritten digits when scikit-learn is "
        "installed, else on fastbp's built-in spirals; show a progress bar and the loss per epoch, "
        "print the train and test accuracy, and save the loss curve as a PNG (needs matplotlib).")
    demo.add_argument("--dataset", choices=["auto", "digits", "spirals"], default="auto",
                      help="auto: digits if scikit-learn is installed, else spirals (default: auto)")
    demo.add_argument("--epochs", type=_positive_int, default=None,
                      help="training epochs (default: 30 for digits, 60 for spirals)")
    demo.add_argument("--plot", default="fastbp-demo-loss.png", metavar="PNG",
                      help="where to write the loss curve (default: %(default)s)")
    demo.add_argument("--no-plot", action="store_true", help="do not write the loss curve")
    demo.add_argument("--seed", type=int, default=0, help="seed of the split, weights and shuffling "
                      "(default: 0)")

    example = sub.add_parser(
        "worked-example", help="print the lecture's worked example step by step",
        description="Han & Kamber's 3-2-1 sigmoid network (x = (1, 0, 1), target 1, eta = 0.9): "
        "net input and output of every unit, the error of every unit, and every weight and bias "
        "update, as tables matching the slides, all computed by fastbp.")
    example.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                         help="precision of the computation (default: %(default)s)")

    train = sub.add_parser(
        "train", help="train a network on a CSV or .npz file and save it",
        description="Train a multilayer perceptron on the rows of DATA and save it to a model "
        "file (see docs/file_format.md).", epilog=EPILOG_TRAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("data", metavar="DATA", help="a .csv file with a header row, or a .npz file "
                       "(1-D arrays are columns; a 2-D array KEY gives columns KEY[0], KEY[1], ...)")
    g = train.add_argument_group("data")
    g.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    g.add_argument("--features", type=lambda s: [c.strip() for c in s.split(",")], metavar="COLS",
                   help="comma-separated feature columns (default: every column but the target)")
    g.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                   help="auto (default): classification when the target holds text, or integers "
                   "with at most 20 distinct values; otherwise regression")
    g.add_argument("--validation-split", type=_fraction, default=0.2, metavar="FRACTION",
                   help="fraction of the rows held out for validation, 0 for none (default: 0.2)")
    g.add_argument("--no-standardize", action="store_true",
                   help="use the features (and regression target) as they are")
    g = train.add_argument_group("network")
    g.add_argument("--layers", type=_int_list, default=[32], metavar="SIZES",
                   help="hidden layer sizes, comma-separated, e.g. 64,32; 'none' for no hidden layer "
                   "(default: 32)")
    g.add_argument("--hidden", default="relu", metavar="ACT",
                   help=f"hidden activation, one for all or comma-separated per layer: "
                   f"{', '.join(HIDDEN_ACTIVATIONS)} (default: relu)")
    g.add_argument("--output", choices=OUTPUT_ACTIVATIONS, default=None,
                   help="output activation (default: softmax for classification, identity for "
                   "regression)")
    g.add_argument("--loss", choices=list(LOSSES), default=None,
                   help="default: cross_entropy for classification, squared for regression")
    g.add_argument("--init", choices=INITS, default=None,
                   help="weight initialization (default: he_uniform with relu, else glorot_uniform)")
    g.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="precision of parameters and computation (default: float64)")
    g = train.add_argument_group("optimizer (options apply to the optimizers named)")
    g.add_argument("--optimizer", choices=list(OPTIMIZER_OPTIONS), default="adam",
                   help="momentum and nesterov are SGD with momentum 0.9 (default: adam)")
    g.add_argument("--lr", type=float, help="initial learning rate (default: the optimizer's own: "
                   "SGD 0.01, AdaGrad 0.01, RMSprop 0.01, Adam 0.001)")
    g.add_argument("--momentum", type=float, help="sgd, momentum, nesterov: momentum in [0, 1)")
    g.add_argument("--nesterov", action="store_true", help="sgd, momentum: Nesterov momentum")
    g.add_argument("--beta1", type=float, help="adam: first-moment decay (default 0.9)")
    g.add_argument("--beta2", type=float, help="adam: second-moment decay (default 0.999)")
    g.add_argument("--eps", type=float, help="adagrad, rmsprop, adam: the epsilon of the denominator")
    g.add_argument("--eps-hat", action="store_true",
                   help="adam: add eps before the bias correction (scikit-learn's convention)")
    g.add_argument("--decay", type=float, help="rmsprop: decay of the squared-gradient average "
                   "(default 0.99)")
    g = train.add_argument_group("learning-rate schedule")
    g.add_argument("--schedule", choices=list(SCHEDULE_OPTIONS), default="constant",
                   help="constant; step: lr*factor^floor(t/every); exponential: lr*exp(-k t); "
                   "inverse-time: lr/(1 + k t); inverse-scaling: lr/(t + 1)^power (default: constant)")
    g.add_argument("--factor", type=float, help="step: the factor (default 0.5)")
    g.add_argument("--every", type=_positive_int, help="step: how many epochs (or steps) per factor "
                   "(default 10)")
    g.add_argument("--k", type=float, help="exponential, inverse-time: the decay constant")
    g.add_argument("--power", type=float, help="inverse-scaling: the exponent (default 0.5)")
    g.add_argument("--per", choices=["step", "epoch"], default=None,
                   help="what t counts: updates or epochs (default: epochs for step, updates otherwise)")
    g = train.add_argument_group("training")
    g.add_argument("--epochs", type=_non_negative_int, default=100, help="default: 100")
    g.add_argument("--mode", choices=["batch", "minibatch", "stochastic"], default="minibatch",
                   help="batch: the whole data set per update; minibatch: --batch-size examples; "
                   "stochastic: one example per update (default: minibatch)")
    g.add_argument("--batch-size", type=_positive_int, default=None,
                   help="mini-batch size (only with --mode minibatch; default 32)")
    g.add_argument("--alpha", type=float, default=0.0, help="L2 penalty (default: 0)")
    g.add_argument("--no-shuffle", action="store_true", help="visit the rows in file order")
    g.add_argument("--early-stopping", type=_positive_int, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs and keep "
                   "the best weights (needs a validation split)")
    g.add_argument("--seed", type=int, default=0,
                   help="seed of the weights, the validation split and the shuffling (default: 0)")
    g = train.add_argument_group("output")
    g.add_argument("-o", "--model", default="model.npz", metavar="PATH",
                   help="where to save the model (default: %(default)s)")
    g.add_argument("--log", metavar="CSV", help="write the loss of every epoch to this CSV file")
    g.add_argument("--plot", metavar="PNG", help="write the loss curve to this PNG (needs matplotlib)")
    g.add_argument("--progress", choices=["bar", "lines", "none"], default="bar",
                   help="a progress bar (tqdm; lines without it), one line per epoch, or nothing "
                   "(default: bar)")

    predict = sub.add_parser(
        "predict", help="write a saved model's predictions for DATA",
        description="Predict every row of DATA with a model saved by 'fastbp train' (its feature "
        "columns are looked up by name; other columns are ignored) and write a CSV with a "
        "'prediction' column: the class label, or the target value.")
    _model_and_data(predict, "a .csv or .npz file with the model's features")
    predict.add_argument("-o", "--output", metavar="CSV", help="where to write (default: stdout)")
    predict.add_argument("--proba", action="store_true",
                         help="classification: also write a probability column per class")

    evaluate = sub.add_parser(
        "evaluate", help="print a saved model's metrics on DATA",
        description="Evaluate a model saved by 'fastbp train' on DATA, which must hold the target "
        "column: the loss and, for classification, the accuracy and confusion matrix; for regression "
        "the mean squared error, its root, the mean absolute error and R^2 (in the target's units).")
    _model_and_data(evaluate, "a .csv or .npz file with features and target")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return parser


# --- commands -----------------------------------------------------------------------------
def _optimizer(args):
    import fastbp as fb

    allowed = OPTIMIZER_OPTIONS[args.optimizer]
    given = {k: getattr(args, k) for k in ("lr", "momentum", "beta1", "beta2", "eps", "decay")
             if getattr(args, k) is not None}
    given.update({k: True for k in ("nesterov", "eps_hat") if getattr(args, k)})
    wrong = [k for k in given if k not in allowed]
    if wrong:
        names = ", ".join("--" + k.replace("_", "-") for k in wrong)
        raise CLIError(f"{names} does not apply to --optimizer {args.optimizer} (it takes "
                       f"{', '.join('--' + k.replace('_', '-') for k in allowed)})")
    wrong = [k for k in ("factor", "every", "k", "power") if getattr(args, k) is not None
             and k not in SCHEDULE_OPTIONS[args.schedule]]
    if wrong:
        raise CLIError(f"--{wrong[0]} does not apply to --schedule {args.schedule}")
    lr = given.pop("lr", None)
    defaults = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01, "rmsprop": 0.01,
                "adam": 0.001}
    lr = defaults[args.optimizer] if lr is None else lr
    s = fb.schedules
    per = {"per": args.per} if args.per else {}
    if args.schedule == "constant":
        if args.per:
            raise CLIError("--per does not apply to --schedule constant")
        schedule = s.Constant(lr)
    elif args.schedule == "step":
        schedule = s.StepDecay(lr, factor=0.5 if args.factor is None else args.factor,
                               every=args.every or 10, **per)
    elif args.schedule in ("exponential", "inverse-time"):
        if args.k is None:
            raise CLIError(f"--schedule {args.schedule} needs --k, the decay constant")
        cls = s.ExponentialDecay if args.schedule == "exponential" else s.InverseTimeDecay
        schedule = cls(lr, k=args.k, **per)
    else:
        schedule = s.InverseScaling(lr, power=0.5 if args.power is None else args.power, **per)
    if args.optimizer in ("sgd", "momentum", "nesterov"):
        momentum = given.get("momentum", 0.9 if args.optimizer != "sgd" else 0.0)
        return fb.SGD(lr=schedule, momentum=momentum,
                      nesterov=args.optimizer == "nesterov" or given.get("nesterov", False))
    cls = {"adagrad": fb.AdaGrad, "rmsprop": fb.RMSprop, "adam": fb.Adam}[args.optimizer]
    return cls(lr=schedule, **given)


def _batch_size(args):
    if args.mode != "minibatch" and args.batch_size is not None:
        raise CLIError(f"--batch-size applies to --mode minibatch, not --mode {args.mode}")
    return {"batch": None, "stochastic": 1}.get(args.mode, args.batch_size or 32)


def _progress(kind):
    from fastbp.callbacks import ProgressBar

    return {"bar": [ProgressBar()], "lines": [ProgressBar(bar=False)], "none": []}[kind]


def _save_plot(history, path):
    from fastbp._optional import missing

    problem = missing("matplotlib", "the loss curve")
    if problem:
        print(f"no loss curve drawn: {problem}")
        return None
    from fastbp.plot import loss_curve

    fig = loss_curve(history)
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"loss curve written to {path}")
    return path


def cmd_train(args):
    import fastbp as fb
    from fastbp.callbacks import CSVLogger, EarlyStopping
    from fastbp.tabular import Preprocessing, read_table

    columns = read_table(args.data)
    n = len(next(iter(columns.values())))
    order = np.random.default_rng(args.seed).permutation(n)
    n_val = int(round(args.validation_split * n))
    if args.validation_split and not 1 <= n_val < n:
        raise CLIError(f"--validation-split {args.validation_split} of {n} rows leaves "
                       f"{n_val} for validation and {n - n_val} for training; both need at least 1")
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    if args.early_stopping and not n_val:
        raise CLIError("--early-stopping needs a validation split (--validation-split > 0)")
    # scaling statistics from the training rows only: validation stays unseen
    prep = Preprocessing.fit(columns, args.target, args.features, args.task,
                             standardize=not args.no_standardize, rows=train_idx, path=args.data)
    classification = prep.task == "classification"
    output = args.output or ("softmax" if classification else "identity")
    X = prep.X(columns, args.data)
    y = prep.y(columns, args.data, one_hot=classification and output != "softmax")

    hidden = [h.strip() for h in args.hidden.split(",")]
    if len(hidden) == 1:
        hidden = hidden * len(args.layers)
    loss = args.loss or ("cross_entropy" if classification else "squared")
    init = args.init or ("he_uniform" if set(hidden) == {"relu"} and hidden else "glorot_uniform")
    sizes = [X.shape[1], *args.layers, prep.n_outputs]
    net = fb.MLP(sizes, hidden=hidden, output=output, loss=loss, init=init, dtype=args.dtype,
                 seed=args.seed)
    opt = _optimizer(args)
    batch_size = _batch_size(args)
    what = (f"classification, {len(prep.classes)} classes" if classification else "regression")
    print(f"{args.data}: {n} rows, {len(prep.features)} features, target {args.target!r} ({what}); "
          f"{len(train_idx)} for training, {n_val} for validation")
    print(f"network {'-'.join(map(str, sizes))} ({', '.join(hidden) or 'no hidden layer'} -> {output}, "
          f"{loss} loss), {opt!r}")

    callbacks = _progress(args.progress)
    stopper = None
    if args.early_stopping:
        stopper = EarlyStopping(patience=args.early_stopping, restore_best_weights=True)
        callbacks.append(stopper)
    if args.log:
        callbacks.append(CSVLogger(args.log))
    validation = (X[val_idx], y[val_idx]) if n_val else None
    history = net.fit(X[train_idx], y[train_idx], optimizer=opt, epochs=args.epochs,
                      batch_size=batch_size, alpha=args.alpha, shuffle=not args.no_shuffle,
                      seed=args.seed, validation_data=validation, callbacks=callbacks)
    if stopper is not None and stopper.stopped_epoch is not None:
        print(f"early stop after epoch {stopper.stopped_epoch + 1}; kept the weights of epoch "
              f"{stopper.best_epoch + 1} (validation loss {stopper.best:.6g})")
    for name, idx in (("training", train_idx), ("validation", val_idx)):
        if len(idx):
            metrics = _metrics(net, prep, X[idx], y[idx])
            print(f"{name}: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()
                                          if isinstance(v, float)))
    net.save(args.model, optimizer=opt, history=history,
             metadata={**prep.to_metadata(), "data": str(args.data)})
    print(f"model saved to {args.model}")
    if args.plot and history.epochs:
        _save_plot(history, args.plot)
    return 0


def _metrics(net, prep, X, y):
    """Loss and task metrics of ``net`` on encoded data (targets in their units)."""
    out = net.forward(X)
    metrics = {"n": int(X.shape[0]), "loss": float(net.loss(X, y))}
    if prep.task == "classification":
        y = y if y.ndim == 1 else y.argmax(axis=1)  # one-hot for non-softmax outputs
        pred = out.argmax(axis=1)
        metrics["accuracy"] = float((pred == y).mean())
        k = len(prep.classes)
        metrics["confusion"] = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).tolist()
    else:  # back in the target's units
        err = (out[:, 0] - y) * prep.y_scale
        truth = y * prep.y_scale
        mse = float(np.mean(err**2))
        metrics.update(mse=mse, rmse=mse**0.5, mae=float(np.mean(np.abs(err))),
                       r2=float(1 - np.sum(err**2) / np.sum((truth - truth.mean()) ** 2))
                       if np.ptp(truth) > 0 else float("nan"))
    return metrics


def _load_for_data(model_path, data_path, need_target):
    import fastbp as fb
    from fastbp.tabular import Preprocessing, TableError, read_table

    ckpt = fb.load_checkpoint(model_path)
    prep = Preprocessing.from_metadata(ckpt.metadata, model_path)
    if prep is None:
        raise CLIError(f"{model_path} was not saved by 'fastbp train' (it has no column names or "
                       f"preprocessing), so the command line cannot match it to a table; use the "
                       f"Python API (fastbp.load) instead")
    columns = read_table(data_path)
    X = prep.X(columns, data_path)
    if X.shape[1] != ckpt.model.n_inputs:
        raise TableError(f"{model_path}: the model has {ckpt.model.n_inputs} inputs but its metadata "
                         f"names {X.shape[1]} features")
    one_hot = prep.task == "classification" and ckpt.model.output != "softmax"
    y = prep.y(columns, data_path, one_hot=one_hot) if need_target else None
    return ckpt.model, prep, X, y


def cmd_predict(args):
    import csv

    net, prep, X, _ = _load_for_data(args.model, args.data, need_target=False)
    out = net.forward(X)
    header = ["prediction"]
    rows = [[p] for p in prep.decode(out)]
    if args.proba:
        if prep.task != "classification":
            raise CLIError("--proba applies to classification models; this one does regression")
        header += [f"p_{c}" for c in prep.classes]
        rows = [r + [repr(float(p)) for p in o] for r, o in zip(rows, out)]
    f = open(args.output, "w", newline="") if args.output else sys.stdout
    try:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    finally:
        if args.output:
            f.close()
            print(f"{len(rows)} predictions written to {args.output}", file=sys.stderr)
    return 0


def cmd_evaluate(args):
    net, prep, X, y = _load_for_data(args.model, args.data, need_target=True)
    metrics = _metrics(net, prep, X, y)
    if args.json:
        print(json.dumps({"task": prep.task, **metrics}, indent=2))
        return 0
    print(f"{args.data}: {metrics['n']} rows, {prep.task} of {prep.target!r}")
    print(f"  loss      {metrics['loss']:.6g}  ({net.loss_name})")
    if prep.task == "classification":
        print(f"  accuracy  {metrics['accuracy']:.4f}")
        labels = [str(c) for c in prep.classes]
        width = max(len(s) for s in labels + [str(metrics["n"])])
        print("  confusion matrix (rows: true class, columns: predicted)")
        print("  " + " " * width + "  " + "  ".join(s.rjust(width) for s in labels))
        for label, row in zip(labels, metrics["confusion"]):
            print("  " + label.rjust(width) + "  " + "  ".join(str(v).rjust(width) for v in row))
    else:
        for k in ("mse", "rmse", "mae", "r2"):
            print(f"  {k:<9} {metrics[k]:.6g}")
    return 0


def cmd_demo(args):
    from fastbp import demo

    demo.main(epochs=args.epochs, dataset=args.dataset, plot=None if args.no_plot else args.plot,
              seed=args.seed)
    return 0


def cmd_worked_example(args):
    from fastbp.examples import worked_example

    worked_example.main(dtype=args.dtype)
    return 0


COMMANDS = {"demo": cmd_demo, "worked-example": cmd_worked_example, "train": cmd_train,
            "predict": cmd_predict, "evaluate": cmd_evaluate}


def main(argv=None):
    """Run the command line; returns the exit status (0 ok, 1 failed, 2 usage error)."""
    import fastbp as fb

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CLIError as e:
        print(f"fastbp {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader closed the pipe (``fastbp ... | head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, TypeError, OSError, ImportError, fb.TrainingDiverged) as e:
        print(f"fastbp {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"fastbp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
