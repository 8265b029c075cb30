"""Callbacks: code that runs between epochs of ``fit``.

The protocol (every method optional on a :class:`Callback` subclass)::

    set_context(model, optimizer, history)  before training: what is trained
    on_train_begin(logs)                    once; logs: epochs, n_samples,
                                            batch_size, steps_per_epoch, metrics
    on_epoch_begin(epoch, logs)             before each epoch (epoch from 0)
    on_epoch_end(epoch, logs) -> stop?      after each epoch; logs: loss, lr and,
                                            with validation data, val_loss.
                                            Returning True stops training.
    on_train_end(logs)                      once, when training completes, is
                                            stopped, diverges, is interrupted
                                            (Ctrl-C) or fails; logs: epochs
                                            (completed), outcome ("completed",
                                            "stopped", "error" or "interrupted")

They run in Python between the compiled epochs, never inside one, in the
order given, all sharing one ``logs`` dict per hook call: a callback can add
an entry (say "val_accuracy") in ``on_epoch_end`` for the ones after it,
after announcing it by appending to ``logs["metrics"]`` in ``on_train_begin``.
A plain function ``cb(epoch, logs)``, or any object with
``on_epoch_end(epoch, logs)``, works as an ``on_epoch_end``-only callback.

Changing ``optimizer.lr`` in a callback takes effect from the next epoch: fit
evaluates the schedule afresh at the start of every epoch.
"""
import csv
import math
import os
import sys

from fastbp._optional import available
from fastbp._validation import check_int, check_real

__all__ = ["Callback", "EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint", "CSVLogger",
           "ProgressBar"]


class Callback:
    """Base class of callbacks; override the hooks you need.

    Attributes
    ----------
    model : MLP
        The network being trained (set by :meth:`set_context`).
    optimizer : Optimizer
        Its optimizer, with ``t`` (updates so far), ``epochs`` (epochs so far,
        across fit calls) and ``lr`` (the schedule, replaceable).
    history : History
        The fit call's history so far.
    """

    model = optimizer = history = None

    def set_context(self, model, optimizer, history=None):
        self.model, self.optimizer, self.history = model, optimizer, history

    def on_train_begin(self, logs):
        pass

    def on_epoch_begin(self, epoch, logs):
        pass

    def on_epoch_end(self, epoch, logs):
        return False

    def on_train_end(self, logs):
        pass


class _OnEpochEnd(Callback):
    """Adapts ``cb(epoch, logs)`` functions and duck-typed objects that only
    have ``on_epoch_end``."""

    def __init__(self, fn):
        self.fn = fn

    def on_epoch_end(self, epoch, logs):
        return self.fn(epoch, logs)


def as_callbacks(callbacks):
    """A list of Callback instances from None, one callback, or a list."""
    if callbacks is None:
        return []
    if callable(callbacks) or hasattr(callbacks, "on_epoch_end"):
        callbacks = [callbacks]
    out = []
    for cb in callbacks:
        if isinstance(cb, Callback):
            out.append(cb)
        elif callable(getattr(cb, "on_epoch_end", None)):
            out.append(_OnEpochEnd(cb.on_epoch_end))
        elif callable(cb):
            out.append(_OnEpochEnd(cb))
        else:
            raise TypeError(
                f"each callback must be callable as cb(epoch, logs), have on_epoch_end(epoch, logs), "
                f"or be a fastbp.callbacks.Callback; got {cb!r}"
            )
    return out


class _Monitor:
    """Tracks the best value of one log entry (shared by the callbacks that
    watch a quantity)."""

    def __init__(self, monitor, mode, min_delta):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a log entry, got {monitor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode = monitor, mode
        self.min_delta = check_real("min_delta", min_delta, 0.0)
        self.reset()

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.wait = 0  # epochs since the last improvement

    def check_available(self, logs, who):
        metrics = logs.get("metrics", ())
        if self.monitor not in metrics:
            hint = " (pass validation_data to fit)" if self.monitor.startswith("val_") else ""
            raise ValueError(f"{who} monitors {self.monitor!r}, but fit logs only {list(metrics)}{hint}")

    def update(self, epoch, logs):
        """Record this epoch's value; True when it improves on the best."""
        value = logs[self.monitor]
        better = (value < self.best - self.min_delta if self.mode == "min"
                  else value > self.best + self.min_delta)
        if better:
            self.best, self.best_epoch, self.wait = value, epoch, 0
        else:
            self.wait += 1
        return better


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A log entry: "loss", "val_loss", or one an earlier callback adds.
    patience : int, default 5
        Epochs without improvement tolerated before stopping.
    min_delta : float, default 0
        A change smaller than this is no improvement.
    mode : {"min", "max"}, default "min"
    restore_best_weights : bool, default False
        When training ends, put back the parameters of the best epoch (the
        optimizer's state stays that of the last epoch).  Not done when fit
        ends with an error.

    Attributes
    ----------
    best, best_epoch : the best value and its epoch (from 0, within the fit call)
    stopped_epoch : the epoch after which training stopped, or None
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="min",
                 restore_best_weights=False):
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.patience = check_int("patience", patience, 0)
        self.restore_best_weights = bool(restore_best_weights)
        self.stopped_epoch = None
        self._best_params = None

    @property
    def best(self):
        return self._monitor.best

    @property
    def best_epoch(self):
        return self._monitor.best_epoch

    def on_train_begin(self, logs):
        self._monitor.check_available(logs, "EarlyStopping")
        self._monitor.reset()
        self.stopped_epoch, self._best_params = None, None

    def on_epoch_end(self, epoch, logs):
        if self._monitor.update(epoch, logs):
            if self.restore_best_weights:
                self._best_params = self.model.params.copy()
            return False
        if self._monitor.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, logs):
        if self._best_params is not None and logs.get("outcome") in ("completed", "stopped"):
            self.model.params = self._best_params


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not
    improved for ``patience`` epochs.

    The optimizer's schedule is replaced by ``Scaled(schedule, factor)``
    (scales compound without nesting), so a decaying schedule keeps decaying,
    from a lower level, and the optimizer stays picklable and saveable.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float in (0, 1), default 0.1
    patience : int, default 10
    min_delta : float, default 1e-4
    cooldown : int, default 0
        Epochs to wait after a reduction before counting again.
    min_lr : float, default 0
        No reduction takes the next step's rate below this.
    mode : {"min", "max"}, default "min"
    verbose : bool, default False
        Print a line at each reduction.

    Attributes
    ----------
    reductions : list of (epoch, new rate), epoch from 0 within the fit call
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, min_delta=1e-4, cooldown=0,
                 min_lr=0.0, mode="min", verbose=False):
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.factor = check_real("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
        self.patience = check_int("patience", patience, 0)
        self.cooldown = check_int("cooldown", cooldown, 0)
        self.min_lr = check_real("min_lr", min_lr, 0.0)
        self.verbose = bool(verbose)
        self.reductions = []

    def on_train_begin(self, logs):
        self._monitor.check_available(logs, "ReduceLROnPlateau")
        self._monitor.reset()
        self._cooling = 0

    def on_epoch_end(self, epoch, logs):
        from fastbp.schedules import Scaled

        improved = self._monitor.update(epoch, logs)
        if self._cooling > 0:
            self._cooling -= 1
            self._monitor.wait = 0
            return False
        if improved or self._monitor.wait < self.patience:
            return False
        opt = self.optimizer
        rate = float(opt.rates(1)[0])  # the next step's rate
        if rate <= self.min_lr:
            return False
        factor = max(self.factor, self.min_lr / rate)
        opt.lr = Scaled(opt.lr, factor)
        self.reductions.append((epoch, rate * factor))
        self._monitor.wait, self._cooling = 0, self.cooldown
        if self.verbose:
            print(f"ReduceLROnPlateau: {self._monitor.monitor} has not improved for "
                  f"{self.patience} epochs; learning rate {rate:.4g} -> {rate * factor:.4g}")
        return False


class ModelCheckpoint(Callback):
    """Save the model after epochs (see :func:`fastbp.saving.save`).

    Parameters
    ----------
    path : str or path-like
        May hold ``{epoch}`` (the optimizer's epoch count, continuing across
        fit calls) and log entries, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.npz"``.
    monitor : str, default "val_loss"
        With ``save_best_only``: the quantity that decides.
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best so far.
    mode : {"min", "max"}, default "min"
    include_optimizer : bool, default True
        Save the optimizer and its state too, so training can resume exactly.

    Attributes
    ----------
    saved : list of the paths written, in order
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="min",
                 include_optimizer=True):
        self.path = os.fspath(path)
        self._monitor = _Monitor(monitor, mode, 0.0)
        self.save_best_only = bool(save_best_only)
        self.include_optimizer = bool(include_optimizer)
        self.saved = []

    def on_train_begin(self, logs):
        if self.save_best_only:
            self._monitor.check_available(logs, "ModelCheckpoint")
        self._monitor.reset()

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only and not self._monitor.update(epoch, logs):
            return False
        try:
            path = self.path.format(epoch=self.optimizer.epochs, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(f"ModelCheckpoint path {self.path!r} cannot be filled in from "
                             f"epoch and {sorted(logs)}: {e}") from None
        self.model.save(path, optimizer=self.optimizer if self.include_optimizer else None,
                        history=self.history)
        self.saved.append(path)
        return False


class CSVLogger(Callback):
    """Write one CSV row per epoch: epoch (the optimizer's epoch count,
    continuing across fit calls), loss, val_loss (with validation data), lr.

    Parameters
    ----------
    path : str or path-like
    append : bool, default False
        Add to an existing file (no second header) instead of replacing it.
    separator : str, default ","
    """

    def __init__(self, path, append=False, separator=","):
        self.path = os.fspath(path)
        self.append = bool(append)
        self.separator = separator
        self._file = None

    def on_train_begin(self, logs):
        self.columns = ["epoch"] + [k for k in ("loss", "val_loss", "lr") if k in logs["metrics"]]
        exists = self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self._file = open(self.path, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.separator)
        if not exists:
            self._writer.writerow(self.columns)

    def on_epoch_end(self, epoch, logs):
        row = {"epoch": self.optimizer.epochs, **logs}
        self._writer.writerow([repr(row[c]) if isinstance(row[c], float) else row[c]
                               for c in self.columns])
        self._file.flush()  # rows survive a crash or an interrupt
        return False

    def on_train_end(self, logs):
        if self._file is not None:
            self._file.close()
            self._file = None


class ProgressBar(Callback):
    """Training feedback between epochs: a tqdm progress bar over the epochs
    showing loss, val_loss and lr, or without tqdm (or with ``bar=False``)
    one plain line per epoch.

    Parameters
    ----------
    bar : bool or None, default None
        None: a bar when tqdm is installed, else lines.  False: lines.
    log_every : int, default 0
        With a bar, also print the loss line every this many epochs (0: never).
    file : file object, default None
        Where bar and lines go; None: the bar to stderr, lines to stdout.
    """

    def __init__(self, bar=None, log_every=0, file=None):
        self.bar = available("tqdm") if bar is None else bool(bar)
        self.log_every = check_int("log_every", log_every, 0)
        self.file = file
        self._tqdm = None

    @staticmethod
    def format_line(epoch, epochs, logs):
        """'epoch 3/10 - loss 0.12 - val_loss 0.15 - lr 0.01' (epoch from 0)."""
        extra = f" - val_loss {logs['val_loss']:.6g}" if "val_loss" in logs else ""
        return f"epoch {epoch + 1}/{epochs} - loss {logs['loss']:.6g}{extra} - lr {logs['lr']:.4g}"

    def on_train_begin(self, logs):
        self.epochs = logs["epochs"]
        if self.bar:
            from fastbp._optional import require

            tqdm = require("tqdm", "the progress bar").tqdm
            self._tqdm = tqdm(total=self.epochs, unit="epoch", file=self.file or sys.stderr,
                              dynamic_ncols=True, leave=True)

    def on_epoch_end(self, epoch, logs):
        line = self.format_line(epoch, self.epochs, logs)
        if self._tqdm is None:
            print(line, file=self.file or sys.stdout, flush=True)
            return False
        post = {"loss": f"{logs['loss']:.4g}"}
        if "val_loss" in logs:
            post["val_loss"] = f"{logs['val_loss']:.4g}"
        post["lr"] = f"{logs['lr']:.3g}"
        self._tqdm.set_postfix(post, refresh=False)
        self._tqdm.update(1)
        if self.log_every and (epoch + 1) % self.log_every == 0:
            self._tqdm.write(line, file=self.file or sys.stdout)
        return False

    def on_train_end(self, logs):
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
