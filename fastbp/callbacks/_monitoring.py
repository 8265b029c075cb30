"""Callbacks that watch a logged quantity: early stopping, learning-rate reduction."""
from fastbp._validation import check_int, check_real
from fastbp.callbacks._base import Callback, _Monitor
from fastbp.schedules import Scaled


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

