"""fit(): training modes, epochs, shuffling, history, callbacks.

Python decides what happens each epoch (the sample order, every step's
learning rate, when to stop); one compiled call runs all the epoch's steps.
"""
from collections import namedtuple
import numbers

import numpy as np

from fastbp._kernels import train as _train_kernels
from fastbp._validation import check_alpha, check_int
from fastbp.callbacks import ProgressBar, as_callbacks
from fastbp.network import rows_per_pass
from fastbp.optimizers import get_optimizer

__all__ = ["fit", "History", "TrainingDiverged", "EpochRunner"]


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
    diverged : TrainingDiverged or None
        With ``fit(..., on_divergence="stop")``, the divergence that ended
        training early (the network holds the last good epoch); else None.
    """

    def __init__(self):
        self.loss, self.val_loss, self.lr = [], [], []
        self.diverged = None  # the TrainingDiverged that stopped fit(on_divergence="stop")

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


EpochResult = namedtuple("EpochResult", "loss data_loss sq_norm lr")


class EpochRunner:
    """Runs the epochs of one training session: owns the buffers (allocated
    once), the sample order, and the snapshot that a diverged epoch is rolled
    back to.  ``fit`` and the scikit-learn estimators both train through it.

    ``X``, ``Y`` and ``sample_weight`` must already be checked and converted
    (``net._check_X`` and friends).  ``l2_per_weight`` divides alpha by each
    batch's weight sum (scikit-learn's convention) instead of adding
    alpha/2 sum ||W||^2 once per batch.
    """

    def __init__(self, net, X, Y, optimizer, batch_size, alpha=0.0, shuffle=False, seed=None,
                 sample_weight=None, l2_per_weight=False):
        self.net, self.X, self.Y, self.opt = net, X, Y, optimizer
        self.sample_weight = sample_weight
        self.batch, self.alpha, self.l2_per_weight = batch_size, alpha, l2_per_weight
        n, dtype = X.shape[0], net.dtype
        params = net.params
        self.grads = np.empty_like(params)
        self.s1, self.s2 = optimizer._bind(net, params.shape[0], dtype)
        rows = rows_per_pass(batch_size, net._topology.n_units)
        self.acts, self.deltas = net._buffer(rows), net._buffer(rows)
        gather = shuffle and batch_size > 1 and rows > 1
        self.gather = np.empty(rows * (X.shape[1] + Y.shape[1] + 1) if gather else 0, dtype=dtype)
        # the state at the start of the epoch, to restore if it diverges
        self.saved_params = np.empty_like(params)
        self.saved_state = tuple(np.empty_like(s) for s in optimizer._state)
        # With an integer seed, an epoch's order depends only on (seed, the
        # optimizer's epoch count), so training split over several fit calls,
        # or resumed from a saved checkpoint, visits the examples as one call
        # would.  Otherwise one generator shuffles the previous order again
        # each epoch; a RandomState is used as it is (its draws differ from a
        # Generator's): scikit-learn shuffles with one, and the drop-in
        # estimators reproduce its sample order.
        self.seed = seed if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) else None
        self.rng = seed if isinstance(seed, np.random.RandomState) else np.random.default_rng(seed)
        self.order = np.arange(n, dtype=np.intp) if shuffle else None
        self.n_steps = -(-n // batch_size)
        # let Ctrl-C through about every million multiply-adds
        self.check_every = max(1, (1 << 20) // (batch_size * params.shape[0]))
        self._dirty = False  # an epoch's updates are in params but not yet counted
        self._counters = None

    def run_epoch(self, epoch):
        """Train one epoch; returns an EpochResult: ``loss`` as History records
        it, its parts ``data_loss`` (the mean of the batches' mean losses,
        weighted by batch size) and ``sq_norm`` (the same mean of the
        batches' sum ||W||^2, each divided by its weight sum with
        ``l2_per_weight``; 0 when alpha is 0), and the epoch's first ``lr``.

        Raises TrainingDiverged (``epoch`` names it) after restoring the
        network and the optimizer to where they were before the epoch.
        """
        net, opt = self.net, self.opt
        params = net.params
        if self.order is not None:
            if self.seed is None:
                self.rng.shuffle(self.order)
            else:
                # sorting restores 0..n-1 in place, so this shuffle equals
                # Generator.permutation(n) without a new array each epoch
                self.order.sort()
                np.random.default_rng([self.seed, opt.epochs]).shuffle(self.order)
        rates = opt.rates(self.n_steps)
        eps, h1, h2, eps_hat = opt.hyper
        np.copyto(self.saved_params, params)
        self._counters = opt._save(self.saved_state)
        self._dirty = True
        status, loss_sum, sq_sum, updates = _train_kernels.train_epoch(
            net._topology, params, self.grads, self.s1, self.s2, self.X, self.Y,
            self.sample_weight, self.order, self.batch, opt.rule, rates, opt.t,
            eps, h1, h2, eps_hat, self.alpha, self.l2_per_weight,
            self.acts, self.deltas, self.gather, self.check_every)
        if status == _train_kernels.INTERRUPTED:
            opt.t += updates  # every update applied is whole: keep them
            self._dirty = False
            raise KeyboardInterrupt(
                f"training interrupted in epoch {epoch} after {updates} of {self.n_steps} "
                f"updates; the network and optimizer hold those updates and can train on")
        if status != 0:
            self.recover()
            where = f"step {status} of {self.n_steps}" if status > 0 else "its last update"
            raise TrainingDiverged(
                f"training diverged in epoch {epoch}: the loss or the parameters became "
                f"NaN or infinite at {where}. The network and optimizer were restored to "
                f"where they were before that epoch. A smaller learning rate, a smaller "
                f"init scale or scaled inputs usually help.",
                epoch, status if status > 0 else None, None)
        opt.t += updates
        opt.epochs += 1
        self._dirty = False
        n = self.X.shape[0]
        data_loss, sq_norm = loss_sum / n, sq_sum / n
        return EpochResult(data_loss + 0.5 * self.alpha * sq_norm, data_loss, sq_norm,
                           float(rates[0]))

    def recover(self):
        """Roll back an epoch whose updates reached the parameters but were not
        counted (an exception, such as Ctrl-C, arrived in between): the
        network and optimizer return to where they were before it."""
        if self._dirty:
            np.copyto(self.net.params, self.saved_params)
            self.opt._restore(self._counters, self.saved_state)
            self._dirty = False


def _train_end(callbacks, epochs, outcome):
    for cb in callbacks:
        cb.on_train_end({"epochs": epochs, "outcome": outcome})


def fit(net, X, Y, optimizer="sgd", epochs=1, batch_size=1, alpha=0.0, shuffle=False,
        seed=None, validation_data=None, callbacks=None, verbose=False, sample_weight=None,
        on_divergence="raise"):
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
    sample_weight : array-like (n_samples,), optional
        Non-negative weights: each batch then minimizes
        sum_i w_i loss_i / sum_i w_i (+ the L2 term); a batch whose weights
        are all zero is skipped.
    on_divergence : {"raise", "stop"}, default "raise"
        What to do when the loss or the parameters become NaN or infinite:
        raise TrainingDiverged, or (for sweeps) stop quietly and return the
        history so far with ``history.diverged`` set.  Either way the network
        and optimizer hold the end of the last good epoch.

    Returns
    -------
    History

    Raises
    ------
    TrainingDiverged
        When a batch loss or the parameters become NaN or infinite; the network
        and the optimizer are left as they were at the end of the last good epoch.
    KeyboardInterrupt
        On Ctrl-C, which the compiled loop notices between two steps (about
        every million multiply-adds): the updates applied so far are kept whole,
        the network and optimizer are consistent and can train on.  Both
        exceptions carry the epochs completed so far as ``.history``.
    RuntimeError
        When another thread is already training this network.
    """
    X = net._check_X(X)
    Y = net._check_Y(Y, X.shape[0])
    sample_weight = net._check_weights(sample_weight, X.shape[0])
    opt = get_optimizer(optimizer)
    epochs = check_int("epochs", epochs, 0)
    n = X.shape[0]
    batch = n if batch_size is None else min(check_int("batch_size", batch_size, 1), n)
    alpha = check_alpha(alpha)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    if on_divergence not in ("raise", "stop"):
        raise ValueError(f"on_divergence must be 'raise' or 'stop', got {on_divergence!r}")
    if validation_data is not None:
        try:
            X_val, Y_val = validation_data
        except (TypeError, ValueError):
            raise TypeError("validation_data must be a pair (X_val, Y_val)") from None
        X_val = net._check_X(X_val, "X_val")
        Y_val = net._check_Y(Y_val, X_val.shape[0], "Y_val")
    callbacks = as_callbacks(callbacks) + _progress(verbose)

    history = History()
    metrics = ["loss", "lr"] + (["val_loss"] if validation_data is not None else [])
    with net._exclusive("fit"):
        runner = EpochRunner(net, X, Y, opt, batch, alpha, shuffle, seed, sample_weight)
        _train_begin(callbacks, net, opt, history, {
            "epochs": epochs, "n_samples": n, "batch_size": batch,
            "steps_per_epoch": runner.n_steps, "metrics": metrics})
        outcome = "completed"
        try:
            for epoch in range(epochs):
                for cb in callbacks:
                    cb.on_epoch_begin(epoch, {})
                loss, _, _, lr = runner.run_epoch(epoch + 1)
                logs = {"loss": loss, "lr": lr}
                history.loss.append(loss)
                history.lr.append(lr)
                if validation_data is not None:
                    logs["val_loss"] = net._loss(X_val, Y_val, alpha)
                    history.val_loss.append(logs["val_loss"])
                if _epoch_end(callbacks, epoch, logs):
                    outcome = "stopped"
                    break
        except TrainingDiverged as err:
            err.history = history
            _train_end(callbacks, history.epochs, "error")
            if on_divergence == "raise":
                raise
            history.diverged = err
            return history
        except BaseException as err:
            # Ctrl-C (or any other exception) between the compiled loop and
            # the bookkeeping must not leave uncounted updates behind
            runner.recover()
            err.history = history
            try:  # let callbacks close files and bars; the original error wins
                _train_end(callbacks, history.epochs,
                           "interrupted" if isinstance(err, KeyboardInterrupt) else "error")
            except Exception:
                pass
            raise
        _train_end(callbacks, history.epochs, outcome)
    return history
