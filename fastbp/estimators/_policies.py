"""scikit-learn's training policies as objects the one training loop knows:
its 'invscaling' rate as a schedule, and its per-epoch bookkeeping,
tol/n_iter_no_change stopping, 'adaptive' rate and best-weights restore as
callbacks.  Each follows ``sklearn/neural_network/_multilayer_perceptron.py``
step for step, so the estimators reproduce scikit-learn's curves."""

import numpy as np

from fastbp.callbacks import Callback
from fastbp.schedules import Constant, Schedule


class InvScalingRate(Schedule):
    """scikit-learn's 'invscaling' rate, per epoch of the optimizer's life.

    scikit-learn sets lr / (t_ + 1) ** power_t after every epoch, t_ being
    the samples the estimator has seen; a fresh optimizer starts at lr.  For
    one training call that starts at optimizer epoch ``first_epoch`` with
    ``samples_before`` samples seen and ``n_samples`` per epoch, that is a
    function of the epoch count e:

        lr                                                     if e == 0
        lr / (samples_before + n_samples (e - first_epoch) + 1) ** power
    """

    per = "epoch"

    def __init__(self, lr, power, samples_before, n_samples, first_epoch):
        super().__init__(lr, per="epoch")
        self.power, self.samples_before = power, samples_before
        self.n_samples, self.first_epoch = n_samples, first_epoch

    def _rate(self, t):
        seen = self.samples_before + self.n_samples * (t - self.first_epoch)
        return np.where(t == 0, self.lr, self.lr / (seen + 1.0) ** self.power)


class Bookkeeping(Callback):
    """Records each epoch on the estimator as scikit-learn does (n_iter_,
    loss_, t_, loss_curve_, validation_loss_curve_) and prints its
    'Iteration k, loss = ...' lines with ``verbose``."""

    def __init__(self, estimator, n_samples):
        self.est, self.n_samples = estimator, n_samples

    def on_epoch_end(self, epoch, logs):  # noqa: ARG002 - the callback protocol's signature
        est = self.est
        est.n_iter_ += 1
        est.loss_ = logs["loss"]
        est.t_ += self.n_samples
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        if "val_loss" in logs:
            est.validation_loss_curve_.append(logs["val_loss"])
        return False


class Stopping(Callback):
    """scikit-learn's stopping rule: count the epochs whose training loss
    (or, with early stopping, validation score) did not improve by ``tol``;
    past ``n_iter_no_change`` of them stop, or with the 'adaptive' rate
    divide the rate by 5 while it stays above 1e-6.  With early stopping it
    keeps the best-scoring parameters and puts them back at the end.  Its
    state lives on the estimator, which keeps it across warm-started fits.

    ``score`` is a function returning the validation score (early stopping).
    """

    def __init__(self, estimator, score, adaptive):
        self.est, self.score, self.adaptive = estimator, score, adaptive
        self.ran_out = False

    def on_train_begin(self, logs):
        if self.est.early_stopping:
            logs["metrics"].append("val_score")

    def on_epoch_end(self, epoch, logs):  # noqa: ARG002 - the callback protocol's signature
        est = self.est
        if est.early_stopping:
            self._track_score(logs)
        else:
            self._track_loss()
        if est._no_improvement_count <= est.n_iter_no_change:
            return False
        what = "Validation score" if est.early_stopping else "Training loss"
        msg = (f"{what} did not improve more than tol={est.tol:f} for "
               f"{est.n_iter_no_change} consecutive epochs.")
        current = self.optimizer.lr.lr if isinstance(self.optimizer.lr, Constant) else None
        if self.adaptive and current > 1e-6:
            self.optimizer.lr = Constant(current / 5.0)
            est._no_improvement_count = 0
            if est.verbose:
                print(f"{msg} Setting learning rate to {current / 5.0:f}")
            return False
        if est.verbose:
            print(f"{msg}{' Learning rate too small.' if self.adaptive else ''} Stopping.")
        return True

    def _track_score(self, logs):
        est = self.est
        score = self.score()
        est.validation_scores_.append(score)
        logs["val_score"] = score
        if est.verbose:
            print(f"Validation score: {score:f}")
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_params = est._net.params.copy()

    def _track_loss(self):
        est = self.est
        if est.loss_curve_[-1] > est.best_loss_ - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if est.loss_curve_[-1] < est.best_loss_:
            est.best_loss_ = est.loss_curve_[-1]

    def on_train_end(self, logs):
        est = self.est
        if logs["outcome"] not in ("completed", "stopped"):
            return
        if est.early_stopping:
            np.copyto(est._net.params, est._best_params)
        # every epoch ran without the rule (or a callback) stopping training
        self.ran_out = logs["outcome"] == "completed"
