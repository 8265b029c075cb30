"""The callback protocol (see fastbp.callbacks), the list that runs callbacks
around training, and the monitor of a logged quantity."""
import contextlib
import math

from fastbp._validation import check_real


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

    def on_epoch_end(self, epoch, logs):  # noqa: ARG002 - the callback protocol's signature
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
    try:
        callbacks = list(callbacks)
    except TypeError:
        raise TypeError(f"callbacks must be a callback, a list of them or None, "
                        f"got {callbacks!r} ({type(callbacks).__name__})") from None
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
                f"each callback must be callable as cb(epoch, logs), have "
                f"on_epoch_end(epoch, logs), or be a fastbp.callbacks.Callback; got {cb!r}"
            )
    return out


class CallbackList:
    """Runs a list of callbacks around one training session, in order.

    ``session(logs)`` is a context manager: entering it calls every
    ``on_train_begin``; leaving it calls every ``on_train_end`` with the
    outcome, whatever happened ("completed", "stopped", or, when an
    exception leaves the block, "interrupted" for Ctrl-C and "error"
    otherwise), so files get closed and bars finished.  An error in an
    ``on_train_end`` called because of another exception is suppressed: the
    original exception wins.
    """

    def __init__(self, callbacks, model, optimizer, history=None):
        self.callbacks = as_callbacks(callbacks)
        for cb in self.callbacks:
            cb.set_context(model, optimizer, history)
        self.outcome = "completed"
        self.epochs = 0  # epochs completed, as on_train_end reports them

    def __iter__(self):
        return iter(self.callbacks)

    def session(self, logs):
        """The context manager of one training session; ``logs`` go to
        every ``on_train_begin``."""
        self._begin_logs = logs
        return self

    def __enter__(self):
        for cb in self.callbacks:  # one shared dict: a callback may add to logs["metrics"]
            cb.on_train_begin(self._begin_logs)
        return self

    def __exit__(self, kind, err, traceback):
        if err is None:
            self._end(self.outcome)
            return False
        outcome = "interrupted" if isinstance(err, KeyboardInterrupt) else "error"
        with contextlib.suppress(Exception):
            self._end(outcome)
        return False  # the original exception propagates

    def _end(self, outcome):
        for cb in self.callbacks:
            cb.on_train_end({"epochs": self.epochs, "outcome": outcome})

    def epoch_begin(self, epoch):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, {})

    def epoch_end(self, epoch, logs):
        """Every callback sees every epoch, even after one asks to stop;
        returns whether one did (the session's outcome is then "stopped")."""
        self.epochs += 1
        stop = False
        for cb in self.callbacks:
            stop = bool(cb.on_epoch_end(epoch, logs)) or stop
        if stop:
            self.outcome = "stopped"
        return stop


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
            raise ValueError(
                f"{who} monitors {self.monitor!r}, but fit logs only {list(metrics)}{hint}")

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

