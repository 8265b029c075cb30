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
evaluates the schedule afresh at the start of every epoch.  The optimizer's
other hyperparameters (momentum, betas, eps) are read once per fit, when the
compiled plan is built: a change takes effect at the next fit.
"""
from fastbp.callbacks._base import Callback, CallbackList
from fastbp.callbacks._base import as_callbacks as as_callbacks  # for fastbp's own callers
from fastbp.callbacks._monitoring import EarlyStopping, ReduceLROnPlateau
from fastbp.callbacks._output import CSVLogger, ModelCheckpoint, ProgressBar

__all__ = ["Callback", "CallbackList", "EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint",
           "CSVLogger", "ProgressBar"]
