"""fit(): training modes, epochs, shuffling, history, callbacks.

Python decides what happens each epoch (the sample order, every step's
learning rate, when to stop); one compiled call runs all the epoch's steps.
"""
import numbers

import numpy as np

from fastbp._kernels._train import train_epoch
from fastbp._validation import check_alpha, check_int
from fastbp.callbacks import ProgressBar, as_callbacks
from fastbp.network import rows_per_pass
from fastbp.optimizers import get_optimizer

__all__ = ["fit", "History", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """The loss or the parameters became NaN or infinite during fit.

    Attributes
    ----------
    epoch : int
        The epoch (counted from 1 within the fit call) that diverged.
    step : int or None
        The step (counted from 1 within that epoch) whose loss was not finite,
        or None when the parameters turned non-finite at the epoch's last update.
    history : History
        The epochs completed before it.
    """

    def __init__(self, message, epoch, step, history):
        super().__init__(message)
        self.epoch, self.step, self.history = epoch, step, history


class History:
    """What fit recorded, one entry per completed epoch.

    Attributes
    ----------
    loss : list of float
        Training loss of each epoch: the mean over the epoch's examples of the
        loss each batch had when it was used (before its update), plus the L2
        term (as Keras and scikit-learn report it).
    val_loss : list of float
        Loss on ``validation_data`` after each epoch (same objective, L2
        included); empty without validation data.
    lr : list of float
        The learning rate of each epoch's first step.
    """

    def __init__(self):
        self.loss, self.val_loss, self.lr = [], [], []

    @property
    def epochs(self):
        return len(self.loss)

    def __repr__(self):
        last = f", last loss {self.loss[-1]:.6g}" if self.loss else ""
        return f"<History: {self.epochs} epochs{last}>"


def _progress(verbose):
    """The feedback callback for ``verbose``: 0/False none, 1/True a progress
    bar (plain lines without tqdm), 2 one plain line per epoch."""
    if verbose not in (0, 1, 2) or (not isinstance(verbose, (bool, np.bool_, int))):
        raise ValueError(f"verbose must be False/0, True/1 (progress bar) or 2 (one line per epoch), "
                         f"got {verbose!r}")
    if not verbose:
        return []
    return [ProgressBar(bar=None if verbose == 1 else False)]


def _train_begin(callbacks, net, opt, history, logs):
    for cb in callbacks:
        cb.set_context(net, opt, history)
    for cb in callbacks:  # one shared dict: a callback may add to logs["metrics"]
        cb.on_train_begin(logs)


def _epoch_end(callbacks, epoch, logs):
    stop = False
    for cb in callbacks:  # every callback sees every epoch, even after one asks to stop
        stop = bool(cb.on_epoch_end(epoch, logs)) or stop
    return stop


def _train_end(callbacks, history, outcome):
    for cb in callbacks:
        cb.on_train_end({"epochs": history.epochs, "outcome": outcome})


def fit(net, X, Y, optimizer="sgd", epochs=1, batch_size=1, alpha=0.0, shuffle=False,
        seed=None, validation_data=None, callbacks=None, verbose=False):
    """Train ``net`` by backpropagation.

    Parameters
    ----------
    net : MLP
    X : array-like (n_samples, n_features)
    Y : array-like (n_samples, n_outputs)
        Or 1-D: class labels for a softmax output, or the single output's targets.
    optimizer : str or Optimizer, default "sgd"
        An instance (``fb.SGD(lr=0.9)``, ``fb.Adam()``, ...) or a name for the
        defaults ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam").
        An instance keeps its state across fit calls on the same network.
    epochs : int, default 1
        Passes over the data (0 trains nothing).
    batch_size : int or None, default 1
        1: stochastic (per-example) updates; k: mini-batches of k examples (the
        last one may be smaller; k > n_samples means one batch); None: the whole
        data set per update (batch mode).
    alpha : float, default 0
        L2 penalty: alpha/2 * sum ||W||^2 is added to each batch's mean loss.
    shuffle : bool, default False
        Visit the examples in a new random order each epoch.
    seed : int, numpy Generator or None
        Seed of the shuffling.  With an int, each epoch's order is drawn from
        (seed, the optimizer's epoch count), so fit(epochs=2) equals two calls
        of fit(epochs=1) with the same optimizer (and a saved and reloaded one).
    validation_data : (X_val, Y_val) or None
        Evaluated after each epoch into ``history.val_loss``.
    callbacks : Callback, callable, or a list of them, optional
        :class:`fastbp.callbacks.Callback` instances (hooks before and after
        training and each epoch, see :mod:`fastbp.callbacks`), or functions
        called after every epoch as ``cb(epoch, logs)`` (or objects with
        ``on_epoch_end(epoch, logs)``): ``epoch`` counted from 0, ``logs`` a
        dict with "loss", "lr" and, with validation data, "val_loss".
        Returning True stops training after that epoch.
    verbose : bool or int, default False
        False/0: silent.  True/1: a progress bar over the epochs with loss,
        val_loss and lr (tqdm; one line per epoch without it).  2: one line
        per epoch.

    Returns
    -------
    History

    Raises
    ------
    TrainingDiverged
        When a batch loss or the parameters become NaN or infinite; the network
        and the optimizer are left as they were at the end of the last good epoch.
    """
    X = net._check_X(X)
    Y = net._check_Y(Y, X.shape[0])
    opt = get_optimizer(optimizer)
    epochs = check_int("epochs", epochs, 0)
    n = X.shape[0]
    batch = n if batch_size is None else min(check_int("batch_size", batch_size, 1), n)
    alpha = check_alpha(alpha)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    if validation_data is not None:
        try:
            X_val, Y_val = validation_data
        except (TypeError, ValueError):
            raise TypeError("validation_data must be a pair (X_val, Y_val)") from None
        X_val = net._check_X(X_val, "X_val")
        Y_val = net._check_Y(Y_val, X_val.shape[0], "Y_val")
    callbacks = as_callbacks(callbacks) + _progress(verbose)

    # Every buffer is allocated here, once per fit.
    top, dtype = net._topology, net.dtype
    params = net.params
    grads = np.empty_like(params)
    s1, s2 = opt._bind(net, params.shape[0], dtype)
    rows = rows_per_pass(batch, top.n_units)
    acts, deltas = net._buffer(rows), net._buffer(rows)
    gather = shuffle and batch > 1 and rows > 1
    xbuf = np.empty(rows * X.shape[1] if gather else 0, dtype=dtype)
    ybuf = np.empty(rows * Y.shape[1] if gather else 0, dtype=dtype)
    saved_params = np.empty_like(params)
    rng = np.random.default_rng(seed)
    n_steps = -(-n // batch)
    h1, h2 = opt.hyper

    history = History()
    metrics = ["loss", "lr"] + (["val_loss"] if validation_data is not None else [])
    _train_begin(callbacks, net, opt, history, {
        "epochs": epochs, "n_samples": n, "batch_size": batch, "steps_per_epoch": n_steps,
        "metrics": metrics})
    stopped = False
    # With an integer seed, an epoch's order depends only on (seed, the
    # optimizer's epoch count), so training split over several fit calls, or
    # resumed from a saved checkpoint, visits the examples as one call would.
    per_epoch = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
    for epoch in range(epochs):
        for cb in callbacks:
            cb.on_epoch_begin(epoch, {})
        if shuffle:
            source = np.random.default_rng([seed, opt.epochs]) if per_epoch else rng
            order = source.permutation(n).astype(np.intp)
        else:
            order = None
        rates = opt.rates(n_steps)
        lr, eps = opt.kernel_scalars(rates)
        np.copyto(saved_params, params)
        saved_opt = opt._snapshot()
        status, loss_sum, sq_sum = train_epoch(
            top, params, grads, s1, s2, X, Y, order, batch, opt.rule, lr, eps,
            h1, h2, alpha, acts, deltas, xbuf, ybuf)
        if status != 0 or not np.isfinite(params).all():
            np.copyto(params, saved_params)
            opt._restore(saved_opt)
            where = f"step {status} of {n_steps}" if status else "its last update"
            _train_end(callbacks, history, "error")
            raise TrainingDiverged(
                f"training diverged in epoch {epoch + 1}: the loss or the parameters became "
                f"NaN or infinite at {where}. The network and optimizer were restored to the "
                f"end of epoch {epoch} (of this fit call). A smaller learning rate, a smaller "
                f"init scale or scaled inputs usually help.",
                epoch + 1, status or None, history)
        opt.t += n_steps
        opt.epochs += 1
        logs = {"loss": (loss_sum + 0.5 * alpha * sq_sum) / n, "lr": float(rates[0])}
        history.loss.append(logs["loss"])
        history.lr.append(logs["lr"])
        if validation_data is not None:
            logs["val_loss"] = net._loss(X_val, Y_val, alpha)
            history.val_loss.append(logs["val_loss"])
        if _epoch_end(callbacks, epoch, logs):
            stopped = True
            break
    _train_end(callbacks, history, "stopped" if stopped else "completed")
    return history
