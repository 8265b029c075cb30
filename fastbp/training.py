"""fit(): training modes, epochs, shuffling, history, callbacks.

Python decides what happens each epoch (the sample order, every step's
learning rate, when to stop); one compiled call runs all the epoch's steps.
"""
import warnings

import numpy as np

from fastbp._fit_cache import FitCache
from fastbp._regularization import Regularization
from fastbp._runner import Runner, train
from fastbp._validation import check_alpha, check_bool, check_int, check_seed, check_X_range
from fastbp.callbacks import ProgressBar, as_callbacks
from fastbp.history import History, TrainingDiverged
from fastbp.optimizers import get_optimizer
from fastbp.schedules import warmup_length

__all__ = ["fit", "Runner", "train", "History", "TrainingDiverged"]


def _progress(verbose):
    """The feedback callback for ``verbose``: 0/False none, 1/True a progress
    bar (plain lines without tqdm), 2 one plain line per epoch."""
    if verbose not in (0, 1, 2) or (not isinstance(verbose, (bool, np.bool_, int))):
        raise ValueError(f"verbose must be False/0, True/1 (progress bar) or 2 (one line per "
                         f"epoch), got {verbose!r}")
    if not verbose:
        return []
    return [ProgressBar(bar=None if verbose == 1 else False)]


def warmup_overrun(opt, epochs, steps_per_epoch):
    """The message for a warm-up that training of ``epochs`` more epochs with
    ``opt`` would not finish (its schedule would never reach the rate it
    warms up to), or None."""
    length = warmup_length(opt.lr)
    if opt.lr.per == "epoch":
        unit, reached = "epochs", opt.epochs + epochs
    else:
        unit, reached = "steps", opt.t + epochs * steps_per_epoch
    if length <= reached:
        return None
    return (f"the learning rate's warm-up of {length} {unit} is longer than the training "
            f"({reached} {unit}, counted from the optimizer's start): give a shorter warm-up "
            f"or more epochs")


def fit(net, X, Y, optimizer="sgd", epochs=1, batch_size=32, alpha=0.0, shuffle=True,
        seed=None, validation_data=None, callbacks=None, verbose=False, sample_weight=None,
        on_divergence="raise", dropout=0.0, input_dropout=0.0, l1=0.0, clip_norm=None,
        clip_value=None, n_threads=None):
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
    batch_size : int or None, default 32
        k: mini-batches of k examples (the last one may be smaller; k > n_samples
        means one batch); 1: stochastic (per-example) updates, the lecture's
        incremental mode; None: the whole data set per update (batch mode).
    alpha : float, default 0
        L2 penalty: alpha/2 * sum ||W||^2 is added to each batch's mean loss.
    shuffle : bool, default True
        Visit the examples in a new random order each epoch (False: in the
        order given, as the lecture's worked example does).
    seed : int, numpy Generator or None
        Seed of the shuffling and of dropout.  With an int, each epoch's order
        is drawn from (seed, the optimizer's epoch count), and each step's
        dropout masks from (seed, epoch count, step), so fit(epochs=2) equals
        two calls of fit(epochs=1) with the same optimizer (and a saved and
        reloaded one).
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
    dropout : float or sequence of float, default 0
        Inverted dropout on the hidden layers' outputs during training: one
        rate in [0, 1) for every hidden layer, or one per hidden layer.  Each
        unit is zeroed with that probability and the others scaled by
        1 / (1 - rate), so ``forward``, ``predict`` and ``loss`` (which never
        drop) need no rescaling.  The backward pass uses the forward pass's
        mask.  Rates of 0 train exactly as without dropout.
    input_dropout : float, default 0
        The same on the network's inputs.
    l1 : float, default 0
        L1 penalty: l1 * sum |W| is added to each batch's mean loss (biases
        are not penalized; subgradient 0 at 0).
    clip_norm : float or None
        Scale each batch's gradient (with its L2/L1 terms) to this global
        L2 norm when it is longer, before the update (as
        torch.nn.utils.clip_grad_norm_: by clip_norm / (norm + 1e-6)).
    clip_value : float or None
        Then clamp each gradient entry to [-clip_value, clip_value] (as
        torch.nn.utils.clip_grad_value_).
    on_divergence : {"raise", "stop"}, default "raise"
        What to do when the loss or the parameters become NaN or infinite:
        raise TrainingDiverged, or (for sweeps) stop quietly and return the
        history so far with ``history.diverged`` set.  Either way the network
        and optimizer hold the end of the last good epoch.
    n_threads : int or None
        Threads for this fit (None: :func:`fastbp.get_num_threads`, every
        core by default).  They split batches of at least 128 rows and the
        updates; the results are the same bits for any number of threads.

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
    # the lock first: the one-hot targets are written into the network's
    # buffer (fastbp._fit_cache), which a fit under way must not see change
    with net._exclusive("fit"):
        X, x_range = check_X_range(X, net.n_inputs, net.dtype)
        Y = _targets(net, Y, X.shape[0])
        sample_weight = net._check_weights(sample_weight, X.shape[0])
        opt = get_optimizer(optimizer)
        epochs = check_int("epochs", epochs, 0)
        n = X.shape[0]
        batch = n if batch_size is None else min(check_int("batch_size", batch_size, 1), n)
        alpha = check_alpha(alpha)
        overrun = warmup_overrun(opt, epochs, -(-n // batch)) if epochs else None
        if overrun:
            # a warning, not an error: training split over several fit calls (or
            # resumed from a checkpoint) legitimately stops inside the warm-up
            warnings.warn(overrun + " (or continue it in another fit call)", UserWarning,
                          stacklevel=3)  # the user's net.fit call
        reg = Regularization.for_fit(net, l1, clip_norm, clip_value, dropout, input_dropout)
        shuffle = check_bool("shuffle", shuffle)
        seed = check_seed("seed", seed, random_state=True)
        if on_divergence not in ("raise", "stop"):
            raise ValueError(f"on_divergence must be 'raise' or 'stop', got {on_divergence!r}")
        validate = _validator(net, validation_data, alpha, reg.l1)
        callbacks = as_callbacks(callbacks) + _progress(verbose)
        runner = Runner(net, X, Y, opt, batch, alpha, shuffle, seed, sample_weight,
                        regularization=reg, x_range=x_range, n_threads=n_threads)
        return train(runner, epochs, callbacks, validate, on_divergence)


def _targets(net, Y, n):
    """Y checked (one-hot labels written into the network's cached buffer),
    or the last fit's when the same labels come again."""
    cache = FitCache.of(net)
    targets = cache.known_targets(Y, n)
    if targets is None:
        targets = net._check_Y(Y, n, out=cache.targets)
        cache.made_targets(Y, targets)
    return targets


def _validator(net, validation_data, alpha, l1):
    """None, or a function giving the validation loss of (X_val, Y_val),
    checked here, before any training."""
    if validation_data is None:
        return None
    try:
        X_val, Y_val = validation_data
    except (TypeError, ValueError):
        raise TypeError("validation_data must be a pair (X_val, Y_val)") from None
    X_val = net._check_X(X_val, "X_val")
    Y_val = net._check_Y(Y_val, X_val.shape[0], "Y_val")

    def validate():
        return net._loss(X_val, Y_val, alpha, None, l1)
    return validate
