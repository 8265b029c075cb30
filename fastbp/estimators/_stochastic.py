"""The stochastic solvers of the estimators (sgd, adam, rmsprop, adagrad, or
a fastbp optimizer): scikit-learn's procedure expressed as an optimizer, a
schedule and callbacks, trained by fastbp's one loop (``fastbp._runner``)."""
import copy
import warnings

from fastbp._regularization import Regularization
from fastbp._runner import Runner, train
from fastbp.callbacks import as_callbacks
from fastbp.estimators._policies import Bookkeeping, InvScalingRate, Stopping
from fastbp.estimators._sklearn import ConvergenceWarning
from fastbp.history import TrainingDiverged
from fastbp.optimizers import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSprop
from fastbp.schedules import Constant, Schedule
from fastbp.training import warmup_overrun


def make_optimizer(est):
    """A fresh optimizer for one fit (scikit-learn starts each fit afresh)."""
    lr = est.learning_rate_init
    if isinstance(est.solver, Optimizer):
        opt = copy.copy(est.solver)
        opt.reset()  # before the deep copy: the network it last trained is not copied
        return copy.deepcopy(opt)
    if est.solver == "sgd":
        return SGD(lr, momentum=est.momentum,
                   nesterov=est.nesterovs_momentum and est.momentum > 0, lr_in_velocity=True)
    if est.solver == "adam":
        return Adam(lr, est.beta_1, est.beta_2, est.epsilon, eps_hat=True)
    if est.solver == "adamw":
        return AdamW(lr, est.beta_1, est.beta_2, est.epsilon, eps_hat=True,
                     weight_decay=est.weight_decay)
    if est.solver == "rmsprop":
        return RMSprop(lr, eps=est.epsilon)
    return AdaGrad(lr, eps=est.epsilon)


def rate_mode(est):
    """'constant', 'invscaling', 'adaptive' (scikit-learn's, for solver
    'sgd' only: its Adam ignores learning_rate), or 'schedule'."""
    if isinstance(est.learning_rate, Schedule):
        return "schedule"
    return est.learning_rate if est.solver == "sgd" else "constant"


def _optimizer_for_call(est, incremental, n):
    """The estimator's optimizer for this call, its rate set for the mode:
    a fresh one per fit, the same one across partial_fit calls."""
    mode = rate_mode(est)
    fresh = not incremental or not hasattr(est, "_optimizer")
    if fresh:
        est._optimizer = make_optimizer(est)
        est._optimizer.lr = (est.learning_rate if mode == "schedule"
                             else Constant(est.learning_rate_init))
    opt = est._optimizer
    if mode == "invscaling":
        opt.lr = InvScalingRate(est.learning_rate_init, est.power_t, est.t_, n, opt.epochs)
    return opt, mode


def _init_stopping_state(est):
    """scikit-learn's per-fit bookkeeping of the stochastic solvers, kept
    across warm-started fits and partial_fit calls like its own."""
    est.loss_curve_ = []
    est._no_improvement_count = 0
    if est.early_stopping:
        est.validation_scores_ = []
        est.best_validation_score_ = -float("inf")
        est.best_loss_ = None
    else:
        est.best_loss_ = float("inf")
        est.validation_scores_ = None
        est.best_validation_score_ = None


def batch_size(est, n, incremental=False):
    """scikit-learn's batch size: 'auto' is min(200, n); larger than n warns
    (pointing at the user's fit or, ``incremental``, partial_fit call)."""
    if est.batch_size == "auto":
        return min(200, n)
    if est.batch_size > n:
        # stacklevel: batch_size <- fit_stochastic <- _fit <- fit <- the user's call, or
        # ... <- _fit <- _partial_fit <- partial_fit <- the user's call
        warnings.warn(f"batch_size={est.batch_size} is larger than the {n} training "
                      f"samples; it is clipped to {n}", stacklevel=6 if incremental else 5)
    return min(est.batch_size, n)


def fit_stochastic(est, X, Y, sw, alpha, val, incremental, rs, runner=Runner):
    """Epochs of the stochastic solver over checked X, Y (dense or sparse),
    weights ``sw`` and ``alpha`` (est.alpha, rescaled with them):
    max_iter of them, or one for partial_fit.  ``val`` is the validation
    set (X_val, Y_val, y_val, w_val) or None; with early stopping and no
    set given, scikit-learn's split is made here, from ``rs``.  ``runner``:
    the Runner class, or one with its signature (fastbp.dask's)."""
    # first stochastic fit, or early_stopping switched since the last one
    if not hasattr(est, "loss_curve_") or est.early_stopping != (
            getattr(est, "validation_scores_", None) is not None):
        _init_stopping_state(est)
    if est.early_stopping and val is None:
        X, Y, sw, val = est._split(X, Y, sw, rs)
    n = X.shape[0]
    opt, mode = _optimizer_for_call(est, incremental, n)
    validate = score = None
    if val is not None:
        X_val, Y_val, y_val, w_val = val
        est.__dict__.setdefault("validation_loss_curve_", [])

        def validate():
            return est._data_loss(X_val, Y_val, w_val)

        def score():
            return est._score_validated(X_val, y_val, w_val)
    stopping = Stopping(est, score, mode == "adaptive")
    callbacks = [Bookkeeping(est, n), stopping, *as_callbacks(est.callbacks)]
    overrun = None if incremental else warmup_overrun(opt, est.max_iter,
                                                      -(-n // batch_size(est, n)))
    if overrun:  # fit trains max_iter epochs at most: the warm-up could never end
        raise ValueError(f"learning_rate: {overrun} (max_iter={est.max_iter})")
    reg = Regularization.for_fit(est._net, clip_norm=est.clip_norm, dropout=est.dropout)
    runner = runner(est._net, X, Y, opt, batch_size(est, n, incremental), alpha, est.shuffle,
                    rs, sw, l2_per_weight=True, loss_scale=est._loss_scale, regularization=reg)
    est.n_iter_ = 0
    epochs = 1 if incremental else est.max_iter
    history = train(runner, epochs, callbacks, validate, on_divergence="stop")
    if history.diverged is not None:
        _diverged(est, stopping, history.diverged, epochs - history.epochs, n)
    if stopping.ran_out and not incremental:
        # stacklevel: fit_stochastic <- _fit <- fit <- the user's fit call
        warnings.warn(f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and "
                      f"the optimization hasn't converged yet.", ConvergenceWarning, stacklevel=4)


def _diverged(est, stopping, err, epochs_left, n):
    """scikit-learn's reaction to divergence.  Without early stopping it
    raises its ValueError.  With early stopping it trains on to max_iter:
    each epoch's validation score is NaN, which its stopping rule reads as
    an improvement (``NaN < best + tol`` is false); then it restores the best
    parameters.  Here the network, rolled back to its last good epoch, is
    only scored.  (``err`` is the TrainingDiverged.)"""
    if not est.early_stopping:
        raise TrainingDiverged(
            f"Solver produced non-finite parameter weights. The input data may contain large "
            f"values and need to be preprocessed. ({err})", err.epoch, err.step, err.history
        ) from err
    for _ in range(epochs_left):
        est.n_iter_ += 1
        est.t_ += n
        est.loss_ = float("nan")
        est.loss_curve_.append(est.loss_)
        est.validation_scores_.append(float("nan"))
    est._no_improvement_count = 0
    stopping.ran_out = True
    est._net.params[...] = est._best_params
