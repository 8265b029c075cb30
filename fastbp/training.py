"""fit(): training modes, epochs, shuffling, history, callbacks.

Python decides what happens each epoch (the sample order, every step's
learning rate, when to stop); one compiled call runs all the epoch's steps.
"""
import numbers

import numpy as np

from fastbp._kernels._train import train_epoch
from fastbp._validation import check_alpha, check_int
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


def _check_callbacks(callbacks):
    if callbacks is None:
        return []
    if callable(callbacks) or hasattr(callbacks, "on_epoch_end"):
        callbacks = [callbacks]
    callbacks = list(callbacks)
    for cb in callbacks:
        if not (callable(cb) or callable(getattr(cb, "on_epoch_end", None))):
            raise TypeError(
                f"each callback must be callable as cb(epoch, logs) or have on_epoch_end(epoch, logs), got {cb!r}"
            )
    return callbacks


def _run_callbacks(callbacks, epoch, logs):
    stop = False
    for cb in callbacks:
        fn = cb.on_epoch_end if hasattr(cb, "on_epoch_end") else cb
        stop = bool(fn(epoch, logs)) or stop
    return stop


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
    callbacks : callable or list, optional
        Each is called after every epoch as ``cb(epoch, logs)`` (or
        ``cb.on_epoch_end(epoch, logs)``), ``epoch`` counted from 0 and ``logs``
        a dict with "loss", "lr" and, with validation data, "val_loss".
        Returning True stops training after that epoch.
    verbose : bool, default False
        Print one line per epoch.

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
    callbacks = _check_callbacks(callbacks)

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
    # With an integer seed, an epoch's order depends only on (seed, the
    # optimizer's epoch count), so training split over several fit calls, or
    # resumed from a saved checkpoint, visits the examples as one call would.
    per_epoch = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
    for epoch in range(epochs):
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
        if verbose:
            extra = f" - val_loss {logs['val_loss']:.6g}" if "val_loss" in logs else ""
            print(f"epoch {epoch + 1}/{epochs} - loss {logs['loss']:.6g}{extra} - lr {logs['lr']:.4g}")
        if _run_callbacks(callbacks, epoch, logs):
            break
    return history
