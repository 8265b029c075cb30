"""Callbacks that write things out: checkpoints, a CSV log, a progress bar."""
import csv
import os
import sys

from fastbp._optional import available, require
from fastbp._validation import check_int
from fastbp.callbacks._base import Callback, _Monitor


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
        # open across the epochs; on_train_end closes it
        self._file = open(self.path, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=self.separator)
        if not exists:
            self._writer.writerow(self.columns)

    def on_epoch_end(self, epoch, logs):  # noqa: ARG002 - the callback protocol's signature
        row = {"epoch": self.optimizer.epochs, **logs}
        self._writer.writerow([repr(row[c]) if isinstance(row[c], float) else row[c]
                               for c in self.columns])
        self._file.flush()  # rows survive a crash or an interrupt
        return False

    def on_train_end(self, logs):  # noqa: ARG002 - the callback protocol's signature
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

    # shown when present: accuracy and val_accuracy are added by a callback
    # that runs before this one (the command line's, for classifiers)
    SHOWN = ("loss", "accuracy", "val_loss", "val_accuracy")

    @staticmethod
    def format_line(epoch, epochs, logs):
        """'epoch 3/10 - loss 0.12 - val_loss 0.15 - lr 0.01' (epoch from 0)."""
        shown = "".join(f" - {k} {logs[k]:.4f}" if k.endswith("accuracy")
                        else f" - {k} {logs[k]:.6g}" for k in ProgressBar.SHOWN if k in logs)
        return f"epoch {epoch + 1}/{epochs}{shown} - lr {logs['lr']:.4g}"

    def on_train_begin(self, logs):
        self.epochs = logs["epochs"]
        if self.bar:
            tqdm = require("tqdm", "the progress bar").tqdm
            self._tqdm = tqdm(total=self.epochs, unit="epoch", file=self.file or sys.stderr,
                              dynamic_ncols=True, leave=True)

    def on_epoch_end(self, epoch, logs):
        line = self.format_line(epoch, self.epochs, logs)
        if self._tqdm is None:
            print(line, file=self.file or sys.stdout, flush=True)
            return False
        post = {k: f"{logs[k]:.4f}" if k.endswith("accuracy") else f"{logs[k]:.4g}"
                for k in self.SHOWN if k in logs}
        post["lr"] = f"{logs['lr']:.3g}"
        self._tqdm.set_postfix(post, refresh=False)
        self._tqdm.update(1)
        if self.log_every and (epoch + 1) % self.log_every == 0:
            self._tqdm.write(line, file=self.file or sys.stdout)
        return False

    def on_train_end(self, logs):  # noqa: ARG002 - the callback protocol's signature
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
