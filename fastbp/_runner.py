"""The one training loop: every entry point (``fit``, the scikit-learn
estimators, dense or sparse data) trains through a :class:`Runner` and
:func:`train`.

A Runner owns what one training session needs between epochs: the kernel
plan (built once), the sample order, and the snapshot a diverged epoch is
rolled back to.  ``run_epoch`` runs one epoch: in one compiled call for
dense data, or a batch at a time for sparse data (each batch densified into
a buffer), with the same sample order, rates and accounting either way.
:func:`train` runs epochs with the callbacks around them.
"""
import numbers
from collections import namedtuple

import numpy as np
import scipy.sparse as sp

from fastbp import _kernels
from fastbp._buffers import rows_per_pass
from fastbp._fit_cache import FitCache
from fastbp._guard import OutputGuard
from fastbp._kernels import Status
from fastbp._regularization import Regularization
from fastbp._threads import blas_limited, resolve
from fastbp.callbacks import CallbackList
from fastbp.history import History, TrainingDiverged

__all__ = ["Runner", "EpochResult", "SampleOrder", "train"]

EpochResult = namedtuple("EpochResult", "loss data_loss penalty lr")


class _Plans:
    """The kernel plans of one runner: one over the whole data, or, for
    sparse X, one per batch size over buffers that each batch is copied into."""

    def __init__(self, runner, X, Y, sample_weight, shuffle):
        # (the runner is passed to each call, not kept: a runner holding a
        # _Plans that holds it would be a cycle, freed only by the garbage
        # collector, keeping the network and its buffers alive until then)
        self.sparse = sp.issparse(X)
        if self.sparse:
            self.X, self.Y, self.w = X.tocsr(), Y, sample_weight
            self.by_size = {}
        else:
            self.whole = runner.plan(X, Y, sample_weight, runner.batch, shuffle)

    def parts(self, runner, order):
        """The epoch as (first step, plan, order) parts: one part over the
        whole data, or for sparse data one part per batch, its plan's buffers
        filled with that batch's rows."""
        if not self.sparse:
            return ((0, self.whole, order),)
        return self._batches(runner, order)

    def _batches(self, runner, order):
        for s in range(runner.n_steps):
            rows = slice(s * runner.batch, min((s + 1) * runner.batch, runner.n))
            yield s, self._batch_plan(runner, rows if order is None else order[rows]), None

    def _batch_plan(self, runner, rows):
        count = rows.stop - rows.start if isinstance(rows, slice) else len(rows)
        if count not in self.by_size:
            dtype = runner.net.dtype
            Xb = np.zeros((count, self.X.shape[1]), dtype=dtype)
            Yb = np.zeros((count, self.Y.shape[1]), dtype=dtype)
            wb = None if self.w is None else np.ones(count, dtype=dtype)
            plan = runner.plan(Xb, Yb, wb, count, False, reuse=False)
            self.by_size[count] = (plan, Xb, Yb, wb)
        plan, Xb, Yb, wb = self.by_size[count]
        Xb[...] = self.X[rows].toarray()
        Yb[...] = self.Y[rows]
        if wb is not None:
            wb[...] = self.w[rows]
        return plan


class SampleOrder:
    """The order in which an epoch visits ``n`` rows (``order``: None when
    not shuffled, else an array shuffled in place by :meth:`draw`).

    With an integer seed, an epoch's order depends only on (seed, the
    optimizer's epoch count), so training split over several fit calls, or
    resumed from a saved checkpoint, visits the examples as one call would
    (and fastbp.dask draws the same orders on its driver).  Otherwise one
    generator shuffles the previous order again each epoch; a RandomState is
    used as it is (its draws differ from a Generator's): scikit-learn
    shuffles with one, and the drop-in estimators reproduce its sample order.
    """

    def __init__(self, n, shuffle, seed):
        self.seed = (seed if isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
                     else None)
        self.order = self.rng = None
        if shuffle:  # (a generator from fresh entropy costs more than a small epoch)
            self.order = np.arange(n, dtype=np.intp)
            self.rng = (seed if isinstance(seed, np.random.RandomState)
                        else np.random.default_rng(seed))

    def draw(self, epochs):
        """Shuffle ``order`` for the epoch after ``epochs`` completed ones."""
        if self.order is None:
            return
        if self.seed is None:
            self.rng.shuffle(self.order)
        else:
            # sorting restores 0..n-1 in place, so this shuffle equals
            # Generator.permutation(n) without a new array each epoch
            self.order.sort()
            np.random.default_rng([self.seed, epochs]).shuffle(self.order)


class Runner:
    """Trains ``net`` with ``optimizer`` on one data set, an epoch at a time.

    ``X`` (a dense array or a scipy sparse matrix), ``Y`` and
    ``sample_weight`` must already be checked and converted to the
    network's dtype.  ``l2_per_weight`` divides alpha (and l1) by each
    batch's weight sum (scikit-learn's convention) instead of adding
    alpha/2 sum ||W||^2 once per batch; ``loss_scale`` divides the data loss
    as reported (scikit-learn reports the squared loss per output).
    ``regularization``: a :class:`Regularization` (L1, clipping, dropout).
    ``n_threads``: the epochs' threads (None: ``fastbp.get_num_threads()``
    at each epoch); the results do not depend on it.
    """

    def __init__(self, net, X, Y, optimizer, batch_size, alpha=0.0, shuffle=False, seed=None,
                 sample_weight=None, l2_per_weight=False, loss_scale=1.0,
                 regularization=None, x_range=None, n_threads=None):
        self.net, self.opt = net, optimizer
        self.batch, self.alpha, self.l2_per_weight = batch_size, alpha, l2_per_weight
        self.loss_scale = loss_scale
        self.n_threads = None if n_threads is None else resolve(n_threads)
        self.reg = regularization if regularization is not None else Regularization()
        self.n = n = X.shape[0]
        self.kernels, self.top = _kernels.active(), net._topology
        # the gradient and the snapshot are scratch space: kept by the network between fits
        self._cache = cache = FitCache.of(net)
        self.grads = cache.grads
        self.s1, self.s2 = optimizer._bind(net, self.top.n_params, net.dtype)
        # the state at the start of the epoch, to restore if it diverges
        self.saved_params = cache.saved_params
        self.saved_state = cache.saved_state(len(optimizer._state))
        self._sample = SampleOrder(n, shuffle, seed)
        self.seed, self.order = self._sample.seed, self._sample.order
        self.n_steps = -(-n // batch_size)
        self.dropout_seed = self._dropout_seed(seed)
        self._plans = _Plans(self, X, Y, sample_weight, shuffle)
        self._guard = OutputGuard(net, X, Y, sample_weight, x_range)
        self._dirty = False  # an epoch's updates are in params but not yet counted
        self._counters = None

    def _dropout_seed(self, seed):
        """Dropout's stream: the integer seed itself, else drawn once (from the
        RandomState or seed sequence given, only when dropout is on)."""
        if self.reg.keep is None:
            return 0
        if self.seed is not None:
            return self.seed
        if isinstance(seed, np.random.RandomState):
            return int(seed.randint(0, 2**31 - 1))
        return int(np.random.default_rng(seed).integers(2**63))

    def plan(self, X, Y, sample_weight, batch_size, shuffle, reuse=True):
        """A kernel plan over X, Y with this runner's network, optimizer and
        buffers.  ``reuse``: the buffers, and the plan itself when nothing it
        is built from changed, are the ones the network kept from its last
        fit (see fastbp._fit_cache); else new ones."""
        net, opt, top, reg = self.net, self.opt, self.top, self.reg
        rows = rows_per_pass(batch_size, top.n_units)
        gather = shuffle and batch_size > 1 and rows > 1
        sizes = (rows * (top.row_width if reg.keep is None else top.buffer_width(reg.keep)),
                 rows * top.n_units, rows * (X.shape[1] + Y.shape[1] + 1) if gather else 0)
        if reuse:
            acts, deltas, gather = self._cache.buffers(*sizes)
        else:
            acts, deltas, gather = (np.empty(size, dtype=net.dtype) for size in sizes)
        # what the plan points into or reads, compared by identity when reused
        arrays = {"top": top, "params": net.params, "grads": self.grads, "s1": self.s1,
                  "s2": self.s2, "acts": acts, "deltas": deltas, "gather": gather,
                  "keep": reg.keep}
        data = {"X": X, "Y": Y, "weights": sample_weight}
        eps, h1, h2, eps_hat = opt.hyper
        settings = {  # the values it reads, compared by value
            "batch_size": batch_size, "rule": opt.rule, "eps": eps, "h1": h1, "h2": h2,
            "eps_hat": eps_hat, "alpha": self.alpha, "l2_per_weight": self.l2_per_weight,
            # let Ctrl-C through about every million multiply-adds
            "check_every": max(1, (1 << 20) // (batch_size * top.n_params)),
            "l1": reg.l1, "clip_norm": reg.clip_norm, "clip_value": reg.clip_value,
            "weight_decay": opt.weight_decay, "seed": self.dropout_seed}

        def build():
            # under the BLAS setting of the epochs: the plan tries BLAS's products
            with blas_limited(batch_size):
                return self.kernels.EpochPlan(**arrays, **data, **settings)

        if not reuse:
            return build()
        return self._cache.plan((self.kernels, *arrays.values()), tuple(data.values()),
                                tuple(settings.values()), build)

    def _shuffle(self):
        self._sample.draw(self.opt.epochs)

    def _steps(self, rates):
        """Run the epoch's steps: (status, failing step, loss_sum, penalty_sum, updates)."""
        loss_sum = penalty_sum = 0.0
        updates = 0
        one_rate_per_part = self._plans.sparse and rates.shape[0] > 1
        threads = resolve(self.n_threads)
        with blas_limited(self.batch):
            for first, plan, order in self._plans.parts(self, self.order):
                # a part's rates start at the updates made so far (skipped batches use none)
                lr = rates[updates: updates + 1] if one_rate_per_part else rates
                status, step, part_loss, part_penalty, done = plan.train_epoch(
                    order, lr, self.opt.t + updates, self.opt.epochs, first, threads)
                loss_sum, penalty_sum = loss_sum + part_loss, penalty_sum + part_penalty
                updates += done
                if status != Status.OK:
                    step = first + step if step >= 0 else -1
                    return status, step, loss_sum, penalty_sum, updates
        return Status.OK, -1, loss_sum, penalty_sum, updates

    def run_epoch(self, epoch):
        """Train one epoch; returns an EpochResult: ``loss`` as History records
        it, its parts ``data_loss`` (the mean of the batches' mean losses,
        weighted by batch size) and ``penalty`` (the same mean of the
        batches' alpha/2 sum ||W||^2 + l1 sum |W|, alpha and l1 divided by
        its weight sum with ``l2_per_weight``), and the epoch's first ``lr``.

        Raises TrainingDiverged (``epoch`` names it) after restoring the
        network and the optimizer to where they were before the epoch, and
        KeyboardInterrupt when Ctrl-C stopped the compiled loop (the updates
        applied so far are kept, and counted).
        """
        opt = self.opt
        self._shuffle()
        rates = opt.rates(self.n_steps)
        np.copyto(self.saved_params, self.net.params)
        self._counters = opt._save(self.saved_state)
        self._dirty = True
        status, step, loss_sum, penalty_sum, updates = self._steps(rates)
        outputs = status == Status.OK and not self._guard.finite()
        if outputs:  # finite parameters whose outputs are not: diverged all the same
            status, step = Status.PARAMS_NOT_FINITE, -1
        if status == Status.INTERRUPTED:
            opt.t += updates  # every update applied is whole: keep them
            self._dirty = False
            raise KeyboardInterrupt(
                f"training interrupted in epoch {epoch} after {updates} of {self.n_steps} "
                f"updates; the network and optimizer hold those updates and can train on")
        if status != Status.OK:
            self.recover()
            where = f"step {step + 1} of {self.n_steps}" if step >= 0 else "its last update"
            if outputs:
                where += " (the parameters stayed finite; the outputs on the training data did not)"
            raise TrainingDiverged(
                f"training diverged in epoch {epoch}: the loss, the parameters or the "
                f"network's outputs became NaN or infinite at {where}. The network and "
                f"optimizer were restored to where they were before that epoch. A smaller "
                f"learning rate, a smaller "
                f"init scale or scaled inputs usually help.",
                epoch, step + 1 if step >= 0 else None, None)
        opt.t += updates
        opt.epochs += 1
        self._dirty = False
        data_loss, penalty = loss_sum / self.n, penalty_sum / self.n
        return EpochResult(data_loss / self.loss_scale + penalty, data_loss, penalty,
                           float(rates[0]))

    def recover(self):
        """Roll back an epoch whose updates reached the parameters but were not
        counted (an exception, such as Ctrl-C, arrived in between): the
        network and optimizer return to where they were before it."""
        if self._dirty:
            np.copyto(self.net.params, self.saved_params)
            self.opt._restore(self._counters, self.saved_state)
            self._dirty = False


def train(runner, epochs, callbacks=None, validate=None, on_divergence="raise"):
    """Run up to ``epochs`` epochs of ``runner`` with ``callbacks`` around
    them; returns the History.

    ``validate``, when given, is called after every epoch and its value
    logged as "val_loss".  On divergence, ``on_divergence="raise"`` raises
    TrainingDiverged (with ``.history``); "stop" returns the history with
    ``history.diverged`` set.  Any other exception (Ctrl-C included) rolls
    back an epoch that was not counted, gets ``.history``, and propagates.
    """
    history = History()
    callbacks = CallbackList(callbacks, runner.net, runner.opt, history)
    begin = {"epochs": epochs, "n_samples": runner.n, "batch_size": runner.batch,
             "steps_per_epoch": runner.n_steps,
             "metrics": ["loss", "lr"] + (["val_loss"] if validate is not None else [])}
    try:
        with callbacks.session(begin):
            try:
                _epochs(runner, epochs, callbacks, history, validate)
            except TrainingDiverged as err:
                history.diverged = err
                callbacks.outcome = "error"
    except BaseException as err:
        # Ctrl-C (or any other exception) between the compiled loop and
        # the bookkeeping must not leave uncounted updates behind
        runner.recover()
        err.history = history
        raise
    if history.diverged is not None:
        history.diverged.history = history
        if on_divergence == "raise":
            err, history.diverged = history.diverged, None
            raise err
    return history


def _epochs(runner, epochs, callbacks, history, validate):
    for epoch in range(epochs):
        callbacks.epoch_begin(epoch)
        result = runner.run_epoch(epoch + 1)
        logs = {"loss": result.loss, "lr": result.lr}
        history.loss.append(result.loss)
        history.lr.append(result.lr)
        if validate is not None:
            logs["val_loss"] = validate()
            history.val_loss.append(logs["val_loss"])
        if callbacks.epoch_end(epoch, logs):
            break
