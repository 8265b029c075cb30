"""The commands of ``fastbp``: train, predict, evaluate, demo, worked-example, descent
(trace and export are in ``_trace_commands``), and :func:`main`, which parses a command
line and runs one."""
import contextlib
import csv
import json
import os
import sys
import warnings
import zipfile

import numpy as np

import fastbp as fb
from fastbp.callbacks import CSVLogger, EarlyStopping, ProgressBar
from fastbp.cli._arguments import CLIError
from fastbp.cli._options import build_optimizer, check_options
from fastbp.cli._parser import build_parser
from fastbp.cli._plots import save_loss_curve
from fastbp.cli._trace_commands import cmd_export, cmd_trace, load_for_data
from fastbp.cli.tables import Preprocessing, read_table

__all__ = ["main", "COMMANDS"]


# --- train -----------------------------------------------------------------------------
DEFAULT_PATIENCE = 10  # --early-stopping when there is a validation split


class _Accuracy(fb.callbacks.Callback):
    """Adds accuracy (and val_accuracy) to each epoch's logs, for the progress
    bar and lines of a classifier; it runs before them."""

    def __init__(self, X, y, validation):
        self.data = [("accuracy", X, y)] + ([("val_accuracy", *validation)] if validation else [])

    def on_epoch_end(self, epoch, logs):  # noqa: ARG002 - the callback protocol's signature
        for name, X, y in self.data:
            labels = y if y.ndim == 1 else y.argmax(axis=1)
            logs[name] = float((self.model.forward(X).argmax(axis=1) == labels).mean())
def _split(args, n):
    """(training rows, validation rows) of a table of ``n`` rows, sorted."""
    order = np.random.default_rng(args.seed).permutation(n)
    n_val = int(round(args.validation_split * n))
    if args.validation_split and not 1 <= n_val < n:
        raise CLIError(f"--validation-split {args.validation_split} of {n} rows leaves "
                       f"{n_val} for validation and {n - n_val} for training; both need at least 1")
    if args.early_stopping and not n_val:
        raise CLIError("--early-stopping needs a validation split (--validation-split > 0)")
    if args.early_stopping is None:  # on by default: regression overfits silently without it
        args.early_stopping = DEFAULT_PATIENCE if n_val else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _batch_size(args):
    if args.mode != "minibatch" and args.batch_size is not None:
        raise CLIError(f"--batch-size applies to --mode minibatch, not --mode {args.mode}")
    return {"batch": None, "stochastic": 1}.get(args.mode, args.batch_size or 32)


def _network(args, n_inputs, n_outputs, classification):
    """The untrained MLP the options describe, with the task's defaults."""
    hidden = [h.strip() for h in args.hidden.split(",")]
    if len(hidden) == 1:
        hidden = hidden * len(args.layers)
    output = args.output or ("softmax" if classification else "identity")
    loss = args.loss or ("cross_entropy" if classification else "squared")
    init = args.init or ("he_uniform" if set(hidden) == {"relu"} and hidden else "glorot_uniform")
    return fb.MLP([n_inputs, *args.layers, n_outputs], hidden=hidden, output=output, loss=loss,
                  init=init, dtype=args.dtype, seed=args.seed)


def _callbacks(args, accuracy=None):
    """(callbacks, the EarlyStopping among them or None).  A bar only on a
    terminal: a redirected log gets one line per epoch, not every frame."""
    bar = None if sys.stderr.isatty() else False
    callbacks = {"bar": [ProgressBar(bar=bar)], "lines": [ProgressBar(bar=False)],
                 "none": []}[args.progress]
    if accuracy is not None and callbacks:
        callbacks.insert(0, accuracy)
    stopper = None
    if args.early_stopping:
        stopper = EarlyStopping(patience=args.early_stopping, restore_best_weights=True)
        callbacks.append(stopper)
    if args.log:
        callbacks.append(CSVLogger(args.log))
    return callbacks, stopper


def _describe(args, n, prep, net, opt, n_train, n_val):
    what = (f"classification, {len(prep.classes)} classes" if prep.task == "classification"
            else "regression")
    print(f"{args.data}: {n} rows, {len(prep.features)} features, target {args.target!r} ({what}); "
          f"{n_train} for training, {n_val} for validation")
    hidden = ", ".join(net.hidden) or "no hidden layer"
    print(f"network {'-'.join(map(str, net.layer_sizes))} ({hidden} -> {net.output}, "
          f"{net.loss_name} loss), {opt!r}")


def cmd_train(args):
    """``fastbp train``: fit a network to a table and save it."""
    check_options(args)  # option mistakes first, before reading the data
    batch_size = _batch_size(args)
    print(f"reading {args.data} ...", flush=True)  # at once: a large table takes a while
    columns = read_table(args.data)
    n = len(next(iter(columns.values())))
    train_idx, val_idx = _split(args, n)
    # the schedule's default length is the run: epochs of this many updates
    opt = build_optimizer(args, -(-len(train_idx) // (batch_size or len(train_idx))))
    # scaling statistics from the training rows only: validation stays unseen
    prep = Preprocessing.fit(columns, args.target, args.features, args.task,
                             standardize=not args.no_standardize, rows=train_idx, path=args.data,
                             categorical=args.categorical, impute=args.impute)
    classification = prep.task == "classification"
    X = prep.X(columns, args.data)
    net = _network(args, X.shape[1], prep.n_outputs, classification)
    y = prep.y(columns, args.data, one_hot=classification and net.output != "softmax")
    _describe(args, n, prep, net, opt, len(train_idx), len(val_idx))

    validation = (X[val_idx], y[val_idx]) if len(val_idx) else None
    accuracy = _Accuracy(X[train_idx], y[train_idx], validation) if classification else None
    callbacks, stopper = _callbacks(args, accuracy)
    history = net.fit(X[train_idx], y[train_idx], optimizer=opt, epochs=args.epochs,
                      batch_size=batch_size, alpha=args.alpha, shuffle=not args.no_shuffle,
                      seed=args.seed, validation_data=validation, callbacks=callbacks,
                      l1=args.l1, clip_norm=args.clip_norm, clip_value=args.clip_value,
                      dropout=args.dropout[0] if len(args.dropout) == 1 else args.dropout,
                      input_dropout=args.input_dropout)
    if stopper is not None and stopper.stopped_epoch is not None:
        print(f"early stop after epoch {stopper.stopped_epoch + 1}; kept the weights of epoch "
              f"{stopper.best_epoch + 1} (validation loss {stopper.best:.6g})")
    for name, idx in (("training", train_idx), ("validation", val_idx)):
        if len(idx):
            print(f"{name}: {_summary(_metrics(net, prep, X[idx], y[idx]), prep)}")
    net.save(args.model, optimizer=opt, history=history,
             metadata={**prep.to_metadata(), "data": str(args.data)})
    print(f"model saved to {args.model}")
    if args.plot and history.epochs:
        save_loss_curve(history, args.plot)
    return 0


# --- predict and evaluate ---------------------------------------------------------------
def _number(name, value):
    """One format per kind of number: fractions to 4 places, the rest to 6 digits."""
    return f"{value:.4f}" if name in ("accuracy", "r2") else f"{value:.6g}"


def _summary(metrics, prep):
    """'loss 0.1234, accuracy 0.9765', or for regression the errors in the
    target's units (the network's loss is on standardized targets: not shown)."""
    names = ("loss", "accuracy") if prep.task == "classification" else ("mse", "rmse", "mae", "r2")
    return ", ".join(f"{k} {_number(k, metrics[k])}" for k in names)


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


def cmd_predict(args):
    """``fastbp predict``: write a saved model's predictions as CSV."""
    ckpt, prep, X, _ = load_for_data(args.model, args.data, need_target=False)
    net = ckpt.model
    out = net.forward(X)
    header = ["prediction"]
    rows = [[p] for p in prep.decode(out)]
    if args.proba:
        if prep.task != "classification":
            raise CLIError("--proba applies to classification models; this one does regression")
        header += [f"p_{c}" for c in prep.classes]
        rows = [r + [repr(float(p)) for p in o] for r, o in zip(rows, out)]
    with (open(args.output, "w", newline="") if args.output
          else contextlib.nullcontext(sys.stdout)) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    if args.output:
        print(f"{len(rows)} predictions written to {args.output}", file=sys.stderr)
    return 0


def cmd_evaluate(args):
    """``fastbp evaluate``: print a saved model's metrics on a table."""
    ckpt, prep, X, y = load_for_data(args.model, args.data, need_target=True)
    net = ckpt.model
    metrics = _metrics(net, prep, X, y)
    if args.json:
        print(json.dumps({"task": prep.task, **metrics}, indent=2))
        return 0
    print(f"{args.data}: {metrics['n']} rows, {prep.task} of {prep.target!r}")
    if prep.task == "classification":
        print(f"  loss      {_number('loss', metrics['loss'])}  ({net.loss_name})")
        print(f"  accuracy  {_number('accuracy', metrics['accuracy'])}")
        labels = [str(c) for c in prep.classes]
        width = max(len(s) for s in labels + [str(metrics["n"])])
        print("  confusion matrix (rows: true class, columns: predicted)")
        print("  " + " " * width + "  " + "  ".join(s.rjust(width) for s in labels))
        for label, row in zip(labels, metrics["confusion"]):
            print("  " + label.rjust(width) + "  " + "  ".join(str(v).rjust(width) for v in row))
    else:
        for k in ("mse", "rmse", "mae", "r2"):  # in the target's units
            print(f"  {k:<9} {_number(k, metrics[k])}")
    return 0


# --- demo and worked example ------------------------------------------------------------
def cmd_demo(args):
    """``fastbp demo``."""
    # imported here, not at the top: ``python -m fastbp.cli.demo`` runs that
    # module as __main__ after this package loads, and must not find it loaded
    from fastbp.cli.demo import main as run_demo

    run_demo(epochs=args.epochs, dataset=args.dataset, plot=None if args.no_plot else args.plot,
              seed=args.seed)
    return 0


def cmd_worked_example(args):
    """``fastbp worked-example``."""
    from fastbp.examples import worked_example

    worked_example.main(dtype=args.dtype)
    return 0


def cmd_descent(args):
    """``fastbp descent``: optimizer paths on a surface, as a PNG or an animated GIF."""
    from fastbp.descent import SURFACES
    from fastbp.optimizers import NAMED

    surface = args.surface.lower()
    if surface not in SURFACES:
        raise CLIError(f"unknown --surface {args.surface!r}; choose from {', '.join(SURFACES)}")
    names = [n.strip().lower() for n in args.optimizers.split(",") if n.strip()]
    unknown = [n for n in names if n not in NAMED]
    if unknown or not names:
        raise CLIError(f"unknown --optimizers {','.join(unknown) or repr(args.optimizers)}; "
                       f"choose from {', '.join(NAMED)}")
    if args.start is not None and len(args.start) != SURFACES[surface].dim:
        raise CLIError(f"--start needs {SURFACES[surface].dim} coordinates for {surface}")
    if args.lr is not None and not args.lr > 0:
        raise CLIError(f"--lr must be > 0, got {args.lr}")
    animate = str(args.output).lower().endswith(".gif")
    from fastbp.plot import descent

    fig, found = descent(surface, x0=args.start, optimizers=names, steps=args.steps, lr=args.lr,
                         view=args.view, animate=animate, path=args.output, fps=args.fps)
    import matplotlib.pyplot as plt

    plt.close(fig)
    for label, pts in found.items():
        point = ", ".join(f"{v:.4g}" for v in pts[-1])
        print(f"{label:<9} {len(pts) - 1:>5} steps, ends at ({point})")
    print(f"{'animation' if animate else 'figure'} written to {args.output}")
    return 0


COMMANDS = {"demo": cmd_demo, "worked-example": cmd_worked_example, "train": cmd_train,
            "predict": cmd_predict, "evaluate": cmd_evaluate, "descent": cmd_descent,
            "trace": cmd_trace, "export": cmd_export}


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``fastbp`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 ok, 1 failed, 2 usage error (argparse exits with
        2 itself on a malformed command line), 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # every problem is reported in one line below: no numpy warnings on stderr
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return COMMANDS[args.command](args)
    except CLIError as e:
        print(f"fastbp {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader closed the pipe (``fastbp ... | head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, TypeError, OSError, ImportError, csv.Error, EOFError,
            zipfile.BadZipFile) as e:
        print(f"fastbp {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"fastbp {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback: one line, and what it was
        print(f"fastbp {args.command}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
