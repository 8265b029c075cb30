"""What training reports: the History of a fit and the TrainingDiverged error.

Imports nothing else from fastbp, so every module can use it.
"""

__all__ = ["History", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError, ValueError):
    """The loss, the parameters or the network's outputs became NaN or
    infinite during fit.  A FloatingPointError and, as scikit-learn reports
    divergence, a ValueError.

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
