"""The NumPy backend's training loop (``FASTBP_KERNELS=numpy``): the
compiled ``EpochPlan``'s interface over the passes and the update of
``_numpy``, a batch at a time in plain NumPy."""
import math

import numpy as np

from fastbp._kernels._numpy import _check, _layers, _weighted_sum, update
from fastbp._kernels._numpy_math import backprop, batches, dropout_keep, sq_norm
from fastbp._kernels._optimizers import state_vectors
from fastbp._kernels._train import Status


class EpochPlan:
    """A fit's arrays and hyperparameters, checked once; :meth:`train_epoch` trains an
    epoch, updating ``params``, ``s1`` and ``s2`` in place (``grads`` is
    scratch).  ``acts``, ``deltas``, ``gather`` and ``check_every`` (the
    compiled backend's buffers and Ctrl-C polling) are ignored: here Ctrl-C
    raises KeyboardInterrupt, and the caller rolls back.

    Step s takes rows ``order[s*batch_size:(s+1)*batch_size]`` and minimizes
    ``sum_i w_i loss_i / wsum + alpha_b/2 sum ||W||^2 + l1_b sum |W|``: wsum
    is the batch's weight sum (its row count without weights), ``alpha_b =
    alpha / wsum`` and ``l1_b = l1 / wsum`` with ``l2_per_weight``, else
    ``alpha`` and ``l1``.  Its gradient is clipped (``clip_norm``, then
    ``clip_value``), the weights decay by ``1 - lr_t weight_decay``, and the
    rule updates.  ``keep`` and ``seed``: dropout, as in the compiled plan.
    """

    # acts, deltas, gather, check_every: unused, kept for the compiled EpochPlan's API
    def __init__(self, top, params, grads, s1, s2, X, Y, weights, batch_size, rule, eps,
                 h1, h2, eps_hat, alpha, l2_per_weight, acts, deltas, gather,  # noqa: ARG002
                 check_every=0, l1=0.0, clip_norm=0.0, clip_value=0.0,  # noqa: ARG002
                 weight_decay=0.0, keep=None, seed=0):
        needed = state_vectors(rule)
        _check(top, params, X, Y, weights, grads=grads, s1=s1 if needed >= 1 else None,
               s2=s2 if needed >= 2 else None)
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        options = {"l1": l1, "clip_norm": clip_norm, "clip_value": clip_value,
                   "weight_decay": weight_decay}
        for name, value in options.items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if keep is not None:
            keep = np.asarray(keep, dtype=np.float64)
            if keep.shape != (len(top.sizes) - 1,) or not ((keep > 0) & (keep <= 1)).all():
                raise ValueError(f"keep must hold {len(top.sizes) - 1} probabilities in (0, 1], "
                                 f"got {keep}")
        self.top, self.params, self.grads, self.s1, self.s2 = top, params, grads, s1, s2
        self.X, self.Y, self.weights, self.batch_size = X, Y, weights, int(batch_size)
        self.rule, self.hyper = rule, (float(eps), float(h1), float(h2), bool(eps_hat))
        self.alpha, self.l2_per_weight = float(alpha), bool(l2_per_weight)
        self.options = {k: float(v) for k, v in options.items()}
        self.keep, self.seed = keep, int(seed)
        self.n_steps = -(-X.shape[0] // self.batch_size)

    def rebind(self, X, Y, weights):
        """Train on other data of the same shapes (as the compiled plan's)."""
        if (X.shape, Y.shape, weights is None) != (self.X.shape, self.Y.shape,
                                                   self.weights is None):
            raise ValueError("rebind needs data of the plan's shapes")
        _check(self.top, self.params, X, Y, weights)
        self.X, self.Y, self.weights = X, Y, weights

    def _masks(self, epoch, step, rows):
        """The step's dropout masks, one per weight layer's input (None: kept whole)."""
        if self.keep is None:
            return None
        return [None if k == 1 else (dropout_keep(self.seed, epoch, step, l, rows, width, k), k)
                for l, (k, width) in enumerate(zip(self.keep, self.top.sizes[:-1]))]

    def _penalize_and_clip(self, W, dW, db, a_b, l1_b):
        """Clip the gradient with its penalty terms (dW includes them); returns
        the batch's penalty alpha_b/2 sum ||W||^2 + l1_b sum |W| (float64)."""
        sq = sq_norm(W) if self.alpha != 0 else 0.0
        ab = sum(float(np.sum(np.abs(w), dtype=np.float64)) for w in W) if l1_b != 0 else 0.0
        norm_limit, value_limit = self.options["clip_norm"], self.options["clip_value"]
        if norm_limit > 0:
            norm = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in dW + db))
            coef = norm_limit / (norm + 1e-6)
            if coef < 1:
                for g in dW + db:
                    g *= g.dtype.type(coef)
        if value_limit > 0:
            for g in dW + db:
                np.clip(g, -value_limit, value_limit, out=g)
        return 0.5 * a_b * sq + l1_b * ab, sq, ab

    def train_epoch(self, order, lr, t0, epoch=0, first_step=0, n_threads=1):  # noqa: ARG002
        """Every step of one epoch.

        Parameters
        ----------
        order : ndarray of intp or None
            The epoch's row order (None: as stored).
        lr : ndarray of float64
            One rate per update (n_steps), indexed by the updates applied so
            far in this run; or one rate for all.
        t0 : int
            Updates before this epoch: update u is step t0 + u + 1 of the rule.
        epoch, first_step : int
            The epochs completed before this one, and this plan's first step
            in the epoch: dropout's masks are numbered by them.
        n_threads : int
            The compiled kernels' threads; this reference computes each batch
            in one product on one thread (the compiled parts sum to it).

        Returns
        -------
        (status, step, loss_sum, penalty_sum, updates)
            ``status`` OK; LOSS_NOT_FINITE when batch ``step`` (from 0) had a
            NaN or infinite loss or penalty (stopped before its update);
            PARAMS_NOT_FINITE when a parameter is not finite at the end.
            ``loss_sum`` adds count * weighted mean loss of every applied
            batch, at the parameters it saw; ``penalty_sum`` count * its
            penalty alpha_b/2 sum ||W||^2 + l1_b sum |W|.
        """
        n = self.X.shape[0]
        if order is not None and np.shape(order) != (n,):
            raise ValueError(f"order has {np.shape(order)[0]} entries, expected {n}")
        lr = np.asarray(lr, dtype=np.float64)
        if lr.shape not in ((self.n_steps,), (1,)):
            raise ValueError(f"need {self.n_steps} step rates (or one for all), got {lr.size}")
        top, params, alpha, l1 = self.top, self.params, self.alpha, self.options["l1"]
        W, b = _layers(top, params)
        grad_views = sum(_layers(top, self.grads), [])
        loss_sum = penalty_sum = 0.0
        updates = 0
        # overflow and NaN are reported by the status, as the compiled loop does
        with np.errstate(all="ignore"):
            for step, rows, w, wsum in batches(n, self.batch_size, order, self.weights):
                # per-example (one row): w / wsum is 1, so the example's weight
                # cancels out of its loss and gradient; it stays in alpha_b
                a_b, l1_b = (alpha / wsum, l1 / wsum) if self.l2_per_weight else (alpha, l1)
                losses, dW, db = backprop(
                    W, b, top.activations, top.loss, self.X[rows], self.Y[rows], a_b, w,
                    unit_params=top.unit_params, l1=l1_b,
                    masks=self._masks(epoch, first_step + step, len(rows)))
                batch_loss = _weighted_sum(losses, w)
                penalty, sq, ab = self._penalize_and_clip(W, dW, db, a_b, l1_b)
                if not all(map(math.isfinite, (batch_loss, sq, ab))):
                    return Status.LOSS_NOT_FINITE, step, loss_sum, penalty_sum, updates
                loss_sum += batch_loss * (len(rows) / wsum)
                penalty_sum += len(rows) * penalty
                for g, d in zip(grad_views, dW + db):
                    g[...] = d
                rate = float(lr[updates if lr.shape[0] > 1 else 0])
                if self.options["weight_decay"] != 0:
                    for w_l in W:  # decoupled: the weights, not the biases
                        w_l *= w_l.dtype.type(1.0 - rate * self.options["weight_decay"])
                update(self.rule, params, self.grads, self.s1, self.s2, rate,
                       *self.hyper, t=t0 + updates + 1)
                updates += 1
            if not np.isfinite(params).all():
                return Status.PARAMS_NOT_FINITE, -1, loss_sum, penalty_sum, updates
        return Status.OK, -1, loss_sum, penalty_sum, updates
