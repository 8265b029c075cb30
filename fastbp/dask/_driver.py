"""The driver's side of distributed training: it holds the authoritative
parameters and optimizer state, sends the parameters out, adds what the
workers send back in block order (so nothing depends on which worker
answers first), and steps.

:class:`DistributedRunner` has the interface of :class:`fastbp._runner.Runner`
that :func:`fastbp._runner.train` drives (``run_epoch``, ``recover``), so the
epochs, callbacks, history and divergence handling are those of ``fit``.
"""
import math

import numpy as np

from fastbp._runner import EpochResult, Runner, SampleOrder
from fastbp.dask._dropout import StepMasks
from fastbp.history import TrainingDiverged


def penalize_and_clip(net, grad, alpha, l1, reg):
    """Add the L2 and L1 terms to ``grad`` (float64, the data loss's mean
    gradient; in place) and clip it as the compiled loop does (``reg``'s
    limits); returns the penalty alpha/2 sum ||W||^2 + l1 sum |W|."""
    penalty = 0.0
    for g, w in zip(net._layer_views(grad)[0], net.weights):
        if alpha:
            g += alpha * w
            penalty += 0.5 * alpha * float(np.dot(w.ravel(), w.ravel()))
        if l1:
            g += l1 * np.sign(w)
            penalty += l1 * float(np.abs(w).sum(dtype=np.float64))
    if reg.clip_norm:
        coef = reg.clip_norm / (math.sqrt(float(np.dot(grad, grad))) + 1e-6)
        if coef < 1:
            grad *= coef
    if reg.clip_value:
        np.clip(grad, -reg.clip_value, reg.clip_value, out=grad)
    return penalty


class DistributedRunner:
    """Full-batch (``batch_size`` None) or exact synchronous mini-batch
    training of ``net`` on ``blocks`` (a :class:`fastbp.dask._data.Blocks`).
    ``l2_per_weight`` and ``loss_scale`` as :class:`fastbp._runner.Runner`'s."""

    def __init__(self, net, opt, blocks, batch_size, alpha, reg, shuffle, seed,
                 l2_per_weight=False, loss_scale=1.0):
        self.net, self.opt, self.blocks = net, opt, blocks
        self.n = blocks.n
        self.batch = self.n if batch_size is None else min(batch_size, self.n)
        self.full = batch_size is None or self.batch == self.n
        self.n_steps = -(-self.n // self.batch)
        self.alpha, self.reg = alpha, reg
        self.l2_per_weight, self.loss_scale = l2_per_weight, loss_scale
        # a full batch's order matters only to dropout's masks (numbered by position)
        self.sample = SampleOrder(self.n, shuffle and (not self.full or reg.dropout), seed)
        self.seed = self.sample.seed
        self.dropout_seed = Runner._dropout_seed(self, seed)  # fit's stream, from fit's code
        opt._bind(net, net.n_params, net.dtype)
        self.saved_params = np.empty_like(net.params)
        self.saved_state = tuple(np.empty_like(s) for s in opt._state)
        self._counters, self._dirty = None, False

    def gradient(self, rows=None, step=0):
        """(loss sum, weight sum, gradient sum) over ``rows`` (all: None) at
        the current parameters; with dropout, the masks of ``step`` of the
        epoch in progress."""
        masks = None
        if self.reg.dropout:
            masks = StepMasks(self.reg.keep, self.dropout_seed, self.opt.epochs, step)
        return self.blocks.gradient_sums(self.net.params.copy(), rows, masks)

    def _step(self, rows, rate, epoch, step):
        """One update from the batch ``rows``; returns (count * mean loss,
        count * penalty), or None for a batch that weighs nothing."""
        loss_sum, wsum, grad = self.gradient(rows, step)
        if wsum == 0:
            return None
        grad /= wsum
        scale = 1.0 / wsum if self.l2_per_weight else 1.0  # scikit-learn's alpha / batch weight
        penalty = penalize_and_clip(self.net, grad, self.alpha * scale, self.reg.l1 * scale,
                                    self.reg)
        if not (math.isfinite(loss_sum) and math.isfinite(penalty) and np.isfinite(grad).all()):
            self._diverged(epoch, step)
        self.opt._step(self.net.params, grad.astype(self.net.dtype), self.net.weights,
                       lr=rate, owner=self.net)
        count = self.n if rows is None else len(rows)
        return loss_sum * (count / wsum), count * penalty

    def _batches(self):
        self.sample.draw(self.opt.epochs)
        if self.full and not self.reg.dropout:
            return [None]
        order = self.sample.order if self.sample.order is not None else np.arange(self.n)
        return [order[s * self.batch:(s + 1) * self.batch] for s in range(self.n_steps)]

    def run_epoch(self, epoch):
        """One epoch, as :meth:`fastbp._runner.Runner.run_epoch`."""
        opt = self.opt
        batches = self._batches()
        rates = np.atleast_1d(opt.rates(self.n_steps))
        np.copyto(self.saved_params, self.net.params)
        self._counters = opt._save(self.saved_state)
        self._dirty = True
        loss_sum = penalty_sum = 0.0
        t0 = opt.t
        for step, rows in enumerate(batches):
            done = opt.t - t0
            sums = self._step(rows, rates[done if rates.shape[0] > 1 else 0], epoch, step)
            if sums is not None:
                loss_sum, penalty_sum = loss_sum + sums[0], penalty_sum + sums[1]
        if not np.isfinite(self.net.params).all():
            self._diverged(epoch, None)
        opt.epochs += 1
        self._dirty = False
        data_loss, penalty = loss_sum / self.n, penalty_sum / self.n
        return EpochResult(data_loss / self.loss_scale + penalty, data_loss, penalty,
                           float(rates[0]))

    def _diverged(self, epoch, step):
        self.recover()
        where = f"step {step + 1} of {self.n_steps}" if step is not None else "its last update"
        raise TrainingDiverged(
            f"training diverged in epoch {epoch}: the loss or the parameters became NaN or "
            f"infinite at {where}. The network and optimizer were restored to where they "
            f"were before that epoch.", epoch, None if step is None else step + 1, None)

    def recover(self):
        """Roll back an epoch that did not finish (as Runner.recover)."""
        if self._dirty:
            np.copyto(self.net.params, self.saved_params)
            self.opt._restore(self._counters, self.saved_state)
            self._dirty = False
