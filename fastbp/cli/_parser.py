"""The argparse parser of the ``fastbp`` command."""
import argparse

from fastbp import __version__
from fastbp.cli._arguments import (
    column_list,
    float_list,
    fraction,
    int_list,
    non_negative_int,
    positive_int,
)
from fastbp.cli._options import add_optimizer_arguments, add_schedule_arguments
from fastbp.cli.tables import MAX_AUTO_CLASSES
from fastbp.network import HIDDEN_ACTIVATIONS, INITS, LOSSES, OUTPUT_ACTIVATIONS

__all__ = ["build_parser"]

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


def build_parser():
    """The parser of the ``fastbp`` command and its subcommands.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="fastbp", description="Train multilayer perceptrons by backpropagation (fastbp "
        f"{__version__}).", epilog="Run 'fastbp COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"fastbp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_demo(sub)
    _add_worked_example(sub)
    _add_train(sub)
    _add_predict(sub)
    _add_evaluate(sub)
    _add_descent(sub)
    _add_trace(sub)
    _add_export(sub)
    return parser


def _add_demo(sub):
    demo = sub.add_parser(
        "demo", help="train a network on a bundled data set and report",
        description="Train a classifier on scikit-learn's handwritten digits when scikit-learn is "
        "installed, else on fastbp's built-in spirals; show a progress bar and the loss per epoch, "
        "print the train and test accuracy, and save the loss curve as a PNG (needs matplotlib).")
    demo.add_argument("--dataset", choices=["auto", "digits", "spirals"], default="auto",
                      help="auto: digits if scikit-learn is installed, else spirals "
                      "(default: auto)")
    demo.add_argument("--epochs", type=positive_int, default=None,
                      help="training epochs (default: 30 for digits, 60 for spirals)")
    demo.add_argument("--plot", default="fastbp-demo-loss.png", metavar="PNG",
                      help="where to write the loss curve (default: %(default)s)")
    demo.add_argument("--no-plot", action="store_true", help="do not write the loss curve")
    demo.add_argument("--seed", type=int, default=0,
                      help="seed of the split, weights and shuffling (default: 0)")


def _add_worked_example(sub):
    example = sub.add_parser(
        "worked-example", help="print the lecture's worked example step by step",
        description="Han & Kamber's 3-2-1 sigmoid network (x = (1, 0, 1), target 1, eta = 0.9): "
        "net input and output of every unit, the error of every unit, and every weight and bias "
        "update, as tables matching the slides, all computed by fastbp.")
    example.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                         help="precision of the computation (default: %(default)s)")


def _add_train(sub):
    train = sub.add_parser(
        "train", help="train a network on a CSV or .npz file and save it",
        description="Train a multilayer perceptron on the rows of DATA and save it to a model "
        "file (see docs/file_format.md).", epilog=EPILOG_TRAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("data", metavar="DATA",
                       help="a .csv file with a header row, or a .npz file (1-D arrays are "
                       "columns; a 2-D array KEY gives columns KEY[0], KEY[1], ...)")
    _add_train_data(train.add_argument_group("data"))
    _add_train_network(train.add_argument_group("network"))
    add_optimizer_arguments(train.add_argument_group(
        "optimizer (options apply to the optimizers named)"), default="adam")
    add_schedule_arguments(train.add_argument_group(
        "learning-rate schedule (options apply to the schedules named)"), default="constant")
    _add_train_training(train.add_argument_group("training"))
    _add_train_output(train.add_argument_group("output"))


def _add_train_data(g):
    g.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    g.add_argument("--features", type=column_list, metavar="COLS",
                   help="comma-separated feature columns (default: every column but the target)")
    g.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                   help="auto (default): classification when the target holds text, or integers "
                   f"with at most {MAX_AUTO_CLASSES} distinct values; otherwise regression")
    g.add_argument("--validation-split", type=fraction, default=0.2, metavar="FRACTION",
                   help="fraction of the rows held out for validation, 0 for none (default: 0.2)")
    g.add_argument("--no-standardize", action="store_true",
                   help="use the features (and regression target) as they are")
    g.add_argument("--categorical", metavar="auto|COLS",
                   type=lambda s: "auto" if s.strip() == "auto" else column_list(s),
                   help="one-hot encode text feature columns ('auto': every one) or the listed "
                   "ones, with the values of the training rows (default: text features are "
                   "refused)")
    g.add_argument("--impute", choices=["mean", "median", "most_frequent"],
                   help="fill missing feature cells with the training rows' mean, median or most "
                   "frequent value (text: most frequent); default: refuse them")


def _add_train_network(g):
    g.add_argument("--layers", type=int_list, default=[32], metavar="SIZES",
                   help="hidden layer sizes, comma-separated, e.g. 64,32; 'none' for no hidden "
                   "layer (default: 32)")
    g.add_argument("--hidden", default="relu", metavar="ACT",
                   help=f"hidden activation, one for all or comma-separated per layer: "
                   f"{', '.join(HIDDEN_ACTIVATIONS)} (default: relu)")
    g.add_argument("--output", choices=OUTPUT_ACTIVATIONS, default=None,
                   help="output activation (default: softmax for classification, identity for "
                   "regression)")
    g.add_argument("--loss", choices=list(LOSSES), default=None,
                   help="default: cross_entropy for classification, squared for regression")
    g.add_argument("--init", choices=INITS, default=None,
                   help="weight initialization (default: he_uniform with relu, else "
                   "glorot_uniform)")
    g.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="precision of parameters and computation (default: float64)")


def _add_train_training(g):
    g.add_argument("--epochs", type=non_negative_int, default=100, help="default: 100")
    g.add_argument("--mode", choices=["batch", "minibatch", "stochastic"], default="minibatch",
                   help="batch: the whole data set per update; minibatch: --batch-size examples; "
                   "stochastic: one example per update (default: minibatch)")
    g.add_argument("--batch-size", type=positive_int, default=None,
                   help="mini-batch size (only with --mode minibatch; default 32)")
    g.add_argument("--alpha", type=float, default=0.0, help="L2 penalty (default: 0)")
    g.add_argument("--l1", type=float, default=0.0, help="L1 penalty (default: 0)")
    g.add_argument("--dropout", type=float_list, default=[0.0], metavar="RATES",
                   help="dropout rate of the hidden layers during training, one for all or "
                   "comma-separated per layer, each in [0, 1) (default: 0)")
    g.add_argument("--input-dropout", type=fraction, default=0.0, metavar="RATE",
                   help="dropout rate of the inputs (default: 0)")
    g.add_argument("--clip-norm", type=float, default=None, metavar="NORM",
                   help="scale each batch's gradient down to this global norm (default: none)")
    g.add_argument("--clip-value", type=float, default=None, metavar="VALUE",
                   help="clamp each gradient entry to [-VALUE, VALUE] (default: none)")
    g.add_argument("--no-shuffle", action="store_true", help="visit the rows in file order")
    g.add_argument("--early-stopping", type=non_negative_int, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs and "
                   "keep the best weights (needs a validation split); 0: off (default: 10 when "
                   "there is a validation split, else off)")
    g.add_argument("--seed", type=int, default=0,
                   help="seed of the weights, the validation split and the shuffling (default: 0)")


def _add_train_output(g):
    g.add_argument("-o", "--model", default="model.npz", metavar="PATH",
                   help="where to save the model; an existing file is overwritten "
                        "(default: %(default)s)")
    g.add_argument("--log", metavar="CSV", help="write the loss of every epoch to this CSV file")
    g.add_argument("--plot", metavar="PNG",
                   help="write the loss curve to this PNG (needs matplotlib)")
    g.add_argument("--progress", choices=["bar", "lines", "none"], default="bar",
                   help="a progress bar (tqdm; lines without it), one line per epoch, or nothing "
                   "(default: bar)")


def _model_and_data(parser, data_help):
    parser.add_argument("model", metavar="MODEL", help="a model file saved by 'fastbp train'")
    parser.add_argument("data", metavar="DATA", help=data_help)


def _add_predict(sub):
    predict = sub.add_parser(
        "predict", help="write a saved model's predictions for DATA",
        description="Predict every row of DATA with a model saved by 'fastbp train' (its feature "
        "columns are looked up by name; other columns are ignored) and write a CSV with a "
        "'prediction' column: the class label, or the target value.")
    _model_and_data(predict, "a .csv or .npz file with the model's features")
    predict.add_argument("-o", "--output", metavar="CSV",
                         help="where to write; an existing file is overwritten (default: stdout)")
    predict.add_argument("--proba", action="store_true",
                         help="classification: also write a probability column per class")


def _add_evaluate(sub):
    evaluate = sub.add_parser(
        "evaluate", help="print a saved model's metrics on DATA",
        description="Evaluate a model saved by 'fastbp train' on DATA, which must hold the "
        "target column: the loss and, for classification, the accuracy and confusion matrix; for "
        "regression the mean squared error, its root, the mean absolute error and R^2 (in the "
        "target's units).")
    _model_and_data(evaluate, "a .csv or .npz file with features and target")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")


def _add_descent(sub):
    descent = sub.add_parser(
        "descent", help="draw optimizers descending a loss surface (PNG or animated GIF)",
        description="Run several optimizers from the same start on a built-in surface and draw "
        "their paths over its contour plot (or 3-D surface; 1-D functions as a curve with the "
        "tangent at each step).  A .gif output is animated (needs matplotlib and Pillow).")
    descent.add_argument("--surface", default="rosenbrock", metavar="NAME",
                         help="bowl, ravine, rosenbrock, beale, saddle, parabola or double_well "
                         "(default: %(default)s)")
    descent.add_argument("--optimizers", default="sgd,momentum,adam", metavar="NAMES",
                         help="comma-separated: sgd, momentum, nesterov, adagrad, rmsprop, adam "
                         "(default: %(default)s)")
    descent.add_argument("--steps", type=non_negative_int, default=100, help="default: 100")
    descent.add_argument("--lr", type=float, default=None,
                         help="one learning rate for all (default: a rate per optimizer that "
                         "suits the surface)")
    descent.add_argument("--start", type=float_list, default=None, metavar="X,Y",
                         help="the start point (default: the surface's)")
    descent.add_argument("--view", choices=["contour", "surface"], default="contour",
                         help="default: %(default)s")
    descent.add_argument("--fps", type=positive_int, default=20,
                         help="frames per second of a GIF (default: 20)")
    descent.add_argument("-o", "--output", default="descent.png", metavar="PATH",
                         help="a .png (or other image) or an animated .gif; an existing file "
                              "is overwritten (default: %(default)s)")


EPILOG_TRACE = """\
examples:
  fastbp trace --layers 3,2,1 --weights weights.json --x 1,0,1 --t 1 --lr 0.9
  fastbp trace --layers 2,3,1 --hidden tanh --x 0.5,-1 --t 0.2 --optimizer adam --lr 0.01
  fastbp trace --model model.npz --row 5 data.csv --saved-optimizer
  fastbp trace --model net.npz --x 0.5,1.5 --t 1

weights.json names every weight and bias as on the slides, {"w14": 0.2, ..., "b6": 0.1}
(units numbered from 1: inputs, then each layer), or by layer, {"W1[0,0]": 0.2, ...},
or gives the arrays, {"weights": [[[0.2, -0.3], ...], ...], "biases": [[-0.4, 0.2], ...]}.
"""


def _add_trace(sub):
    trace = sub.add_parser(
        "trace", help="one training step of any network, unit by unit, as tables",
        description="Run one training step on one example and print, as the slides' tables, the "
        "net input, output and error of every unit and the gradient, update and new value of "
        "every weight and bias (with the optimizer's state).  The numbers are fit's, bit for bit.",
        epilog=EPILOG_TRACE, formatter_class=argparse.RawDescriptionHelpFormatter)
    net = trace.add_argument_group("network and example")
    net.add_argument("--layers", type=int_list, metavar="SIZES",
                     help="every width from input to output, e.g. 3,2,1")
    net.add_argument("--hidden", default="sigmoid", metavar="ACT",
                     help="hidden activation, one or one per layer: "
                     f"{', '.join(HIDDEN_ACTIVATIONS)} (default: %(default)s)")
    net.add_argument("--output", choices=OUTPUT_ACTIVATIONS, default="sigmoid",
                     help="default: %(default)s")
    net.add_argument("--loss", choices=list(LOSSES), default="squared", help="default: %(default)s")
    net.add_argument("--init", choices=INITS, default="glorot_uniform",
                     help="the weights without --weights (default: %(default)s)")
    net.add_argument("--seed", type=int, default=0, help="seed of --init (default: 0)")
    net.add_argument("--weights", metavar="JSON", help="every weight and bias (see below)")
    net.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                     help="default: %(default)s")
    net.add_argument("--x", type=float_list, metavar="X1,X2,...", help="the example's inputs")
    net.add_argument("--t", type=float_list, metavar="T1,...",
                     help="its targets (a class label for a softmax output)")
    net.add_argument("--model", metavar="MODEL",
                     help="instead of --layers and --weights: a model file; the example is row "
                     "--row of DATA (for a model saved by 'fastbp train') or --x and --t")
    net.add_argument("data", metavar="DATA", nargs="?", help="with --model: the table")
    net.add_argument("--row", type=non_negative_int, metavar="N",
                     help="with --model: the row of DATA to step on, from 0")
    net.add_argument("--saved-optimizer", action="store_true",
                     help="with --model: step with the optimizer saved in the model (its state "
                     "included) instead of --optimizer")
    add_optimizer_arguments(trace.add_argument_group("optimizer"), default="sgd")
    add_schedule_arguments(trace.add_argument_group("learning-rate schedule"), default="constant")
    out = trace.add_argument_group("step and output")
    out.add_argument("--alpha", type=float, default=0.0, help="L2 penalty (default: 0)")
    out.add_argument("--names", choices=["units", "layers"], default="units",
                     help="w14, b4 (units) or W1[0,0], b1[0] (layers) (default: %(default)s)")
    out.add_argument("--digits", type=positive_int, default=6,
                     help="significant digits (default: %(default)s)")


def _add_export(sub):
    export = sub.add_parser(
        "export", help="write a model file as an ONNX graph (needs onnx)",
        description=(
            "Convert a fastbp model file to ONNX (needs onnx: pip install onnx, or fastbp's "
            "'onnx' extra).  Input 'X' (n_samples, n_features).  A model saved by 'fastbp "
            "train' reads the raw feature columns (in the order the command prints) and "
            "standardizes them as in training; its outputs are 'label' and 'probabilities' "
            "(classification) or 'prediction' in the target's units (regression), as 'fastbp "
            "predict' gives them.  Any other model file: output 'Y', the network's outputs."))
    export.add_argument("model", metavar="MODEL", help="a model file (.npz)")
    export.add_argument("output", metavar="ONNX", help="where to write the graph (.onnx)")
    export.add_argument("--dtype", choices=["float32", "float64"], default=None,
                        help="the graph's float type (default: the model's)")
