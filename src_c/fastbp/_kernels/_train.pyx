"""Training epochs in one compiled call each.

An ``EpochPlan`` is built once per fit: it checks and keeps what does not
change between epochs (the topology, the update rule and its
hyperparameters, the L2 penalty and its convention, the data, the parameter,
gradient and state vectors, and the buffers).  ``EpochPlan.train_epoch`` then
takes only what changes (the sample order, the step rates, the update
count so far and the epoch's number) and runs every step of the epoch with
the GIL released: for each batch, gather its rows, forward (with dropout),
backward, the L2 and L1 terms, clipping, decoupled weight decay, optimizer
update.

Invariants: every array the plan holds shares one dtype (float32 or float64)
and is C-contiguous; ``order`` (or None for the rows in their stored order)
holds row indices in [0, n).  The plan checks the shapes; the Python layer
checks the values.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport isfinite
from libc.stdint cimport uint64_t

from ._example cimport example_step
from ._fpstate cimport flush_subnormals, restore_fp
from ._network cimport (
    Extras, Net, Topology, add_l1_gradient, add_l2_gradient, scale_weights)
from ._optimizers cimport ADAM, all_finite, apply_update, clip_gradient, step_scalars
from ._passes cimport MAX_PARTS, PART_ROWS, RANGE, batch_gradient, weight_sum
from ._random cimport next_key

import numpy as np

from ._network import buffer_layout
from ._optimizers import state_vectors
from ._passes import whole_products_agree


cdef extern from *:
    void __builtin_prefetch(const void* address) noexcept nogil

cdef extern from "Python.h":
    int PyErr_CheckSignals()
    void PyErr_Clear()


cpdef enum Status:
    OK = 0                 # every loss finite, the parameters finite at the end
    LOSS_NOT_FINITE = 1    # a batch loss (or its L2 term) was NaN or infinite
    PARAMS_NOT_FINITE = 2  # the losses were finite, the last updates were not
    INTERRUPTED = 3        # a signal handler raised (Ctrl-C) between two steps


# Rows this many steps ahead in a shuffled order are prefetched.
cdef enum:
    PREFETCH_AHEAD = 8


cdef struct Plan:
    # The arrays, as untyped pointers: a cdef class cannot hold fused-type
    # memoryviews, so the plan keeps the arrays alive and each loop casts
    # these back to the dtype it was specialized for.
    void* params
    void* grads
    void* part_grads      # split passes' later parts' gradients; NULL: batches never split
    void* s1
    void* s2
    const void* X
    const void* Y
    const void* weights   # NULL without sample weights
    void* acts
    void* deltas
    void* gather          # NULL when rows are never gathered
    Py_ssize_t n, n_in, n_out, n_params, batch_size, cap, check_every
    # the update rule and the regularization
    int rule
    double eps, h1, h2, alpha, l1, clip_norm, clip_value, weight_decay
    bint eps_hat, l2_per_weight
    bint plain      # none of L1, clipping, weight decay, dropout: per-example steps fuse
    uint64_t seed   # dropout's
    Extras ex       # kept derivatives and dropout (ex.key set per step)
    int n_threads         # for the epoch under way
    bint whole            # one thread's split passes may take their products whole


def pass_sizes(Py_ssize_t n, Py_ssize_t batch_size, Py_ssize_t cap):
    """The (rows, adds to the gradient) of every pass an epoch of n rows in
    batches of ``batch_size`` runs, ``cap`` rows at most at a time: the
    passes of whole batches and of the last (shorter) batch."""
    sizes = set()
    for count in {min(batch_size, n), n % batch_size or batch_size}:
        sizes.add((min(count, cap), False))
        if count > cap:
            sizes.add((cap, True))
            if count % cap:
                sizes.add((count % cap, True))
    return sizes


cdef struct Outcome:
    int status
    Py_ssize_t step       # the failing step (from 0), or -1
    Py_ssize_t updates
    double loss_sum, penalty_sum


cdef bint signalled() noexcept nogil:
    """Whether a Python signal handler raised (KeyboardInterrupt on Ctrl-C).
    Takes the GIL for a moment; the exception is cleared, and the Python
    layer raises KeyboardInterrupt once the model is consistent."""
    cdef int raised
    with gil:
        raised = PyErr_CheckSignals()
        if raised != 0:
            PyErr_Clear()
    return raised != 0


cdef inline bint stop_requested(Py_ssize_t check_every, Py_ssize_t s) noexcept nogil:
    return check_every != 0 and s % check_every == check_every - 1 and signalled()


cdef inline uint64_t step_key(uint64_t seed, Py_ssize_t epoch, Py_ssize_t step) noexcept nogil:
    """The dropout key of a step: from (seed, epoch, step) only, so a run split
    over several fits, or resumed from a checkpoint, draws the same masks."""
    return next_key(next_key(next_key(0, seed), <uint64_t>epoch), <uint64_t>step)


# The loops read the plan into locals and write their outcome once at the
# end: through pointers, the compiler would reload every field after each
# call into _network (it cannot prove the callee leaves them alone).

cdef void per_example_steps(floating* params, const Net* net, const Plan* p,
                            const Py_ssize_t* order, const double* lr,
                            Py_ssize_t lr_stride, Py_ssize_t t0,
                            Outcome* out) noexcept nogil:
    """Steps of one example each (batch_size 1, no L1, clipping, weight decay,
    dropout, GELU or SiLU), updating layer by layer as the errors come down
    (``example_step``).  An example's weight cancels out of its own weighted
    mean; it only scales alpha with l2_per_weight."""
    cdef const floating* X = <const floating*>p.X
    cdef const floating* Y = <const floating*>p.Y
    cdef const floating* w = <const floating*>p.weights
    cdef floating* grads = <floating*>p.grads
    cdef floating* s1 = <floating*>p.s1
    cdef floating* s2 = <floating*>p.s2
    cdef floating* acts = <floating*>p.acts
    cdef floating* deltas = <floating*>p.deltas
    cdef Py_ssize_t n = p.n, n_in = p.n_in, n_out = p.n_out, check_every = p.check_every
    cdef int rule = p.rule
    cdef double eps = p.eps, h1 = p.h1, h2 = p.h2, base_alpha = p.alpha
    cdef bint eps_hat = p.eps_hat, per_weight = p.l2_per_weight and w != NULL
    cdef Py_ssize_t s, row, updates = 0
    cdef double loss, sq = 0, alpha, step_lr, step_eps, loss_sum = 0, penalty_sum = 0
    cdef bint ok = True
    # the step's scalars change per step only with Adam or a rate per step
    cdef bint fixed_scalars = rule != ADAM and lr_stride == 0
    step_scalars(rule, lr[0], eps, h1, h2, eps_hat, <double>(t0 + 1), &step_lr, &step_eps)
    for s in range(n):
        if stop_requested(check_every, s):
            out.status = INTERRUPTED
            break
        row = order[s] if order != NULL else s
        if order != NULL and s + PREFETCH_AHEAD < n:
            __builtin_prefetch(X + order[s + PREFETCH_AHEAD] * n_in)
            __builtin_prefetch(Y + order[s + PREFETCH_AHEAD] * n_out)
        alpha = base_alpha
        if w != NULL:
            if w[row] == 0:
                continue
            if per_weight:
                alpha = base_alpha / w[row]
        if not fixed_scalars:
            step_scalars(rule, lr[updates * lr_stride], eps, h1, h2, eps_hat,
                         <double>(t0 + updates + 1), &step_lr, &step_eps)
        loss = example_step(net, params, grads, s1, s2, X + row * n_in,
                            Y + row * n_out, acts, deltas, rule, step_lr, step_eps, h1, h2,
                            alpha, &sq, &ok)
        if not ok:
            out.status, out.step = LOSS_NOT_FINITE, s
            break
        updates += 1
        loss_sum += loss
        if alpha != 0:
            penalty_sum += 0.5 * alpha * sq
    out.updates, out.loss_sum, out.penalty_sum = updates, loss_sum, penalty_sum


cdef void update_ranges(int rule, floating* params, const floating* grads, floating* s1,
                        floating* s2, Py_ssize_t n, double lr, double eps, double h1,
                        double h2, int n_threads) noexcept nogil:
    """apply_update over [0, n), range by range on n_threads threads (every
    rule is elementwise: the same bits as one call), each thread taking the
    same ranges as in split_pass's sum of the parts' gradients."""
    cdef Py_ssize_t r, ranges = (n + RANGE - 1) // RANGE
    if n_threads <= 1 or ranges == 1:
        apply_update(rule, params, grads, s1, s2, n, lr, eps, h1, h2)
        return
    for r in prange(ranges, num_threads=n_threads, schedule="static"):
        update_range(rule, params, grads, s1, s2, n, r * RANGE, lr, eps, h1, h2)


cdef void update_range(int rule, floating* params, const floating* grads, floating* s1,
                       floating* s2, Py_ssize_t n, Py_ssize_t lo, double lr, double eps,
                       double h1, double h2) noexcept nogil:
    """apply_update over [lo, lo + RANGE) of [0, n), flushing subnormals on
    the thread that runs it."""
    cdef unsigned int fp = flush_subnormals()
    apply_update(rule, params + lo, grads + lo, s1 + lo if s1 != NULL else NULL,
                 s2 + lo if s2 != NULL else NULL, min(n, lo + RANGE) - lo, lr, eps, h1, h2)
    restore_fp(fp)


cdef void batched_steps(floating* params, const Net* net, const Plan* p,
                        const Py_ssize_t* order, const double* lr,
                        Py_ssize_t lr_stride, Py_ssize_t t0, Py_ssize_t epoch,
                        Py_ssize_t first_step, Outcome* out) noexcept nogil:
    """Steps of ``batch_size`` examples (the last may have fewer): the batch
    gradient (with dropout; split for threads, see _passes.pxd), the L2 and L1 terms,
    clipping, then decoupled weight decay and one update over the whole
    parameter vector."""
    cdef const floating* X = <const floating*>p.X
    cdef const floating* Y = <const floating*>p.Y
    cdef const floating* w = <const floating*>p.weights
    cdef floating* grads = <floating*>p.grads
    cdef floating* s1 = <floating*>p.s1
    cdef floating* s2 = <floating*>p.s2
    cdef floating* acts = <floating*>p.acts
    cdef floating* deltas = <floating*>p.deltas
    cdef floating* gather = <floating*>p.gather
    cdef floating* part_grads = <floating*>p.part_grads
    cdef Py_ssize_t n = p.n, batch_size = p.batch_size, cap = p.cap, n_params = p.n_params
    cdef Py_ssize_t check_every = p.check_every, n_steps = (n + batch_size - 1) // batch_size
    cdef int rule = p.rule
    cdef double eps = p.eps, h1 = p.h1, h2 = p.h2, alpha = p.alpha, l1 = p.l1
    cdef double clip_norm = p.clip_norm, clip_value = p.clip_value, decay = p.weight_decay
    cdef bint eps_hat = p.eps_hat, per_weight = p.l2_per_weight
    cdef bint dropout = p.ex.keep != NULL
    cdef Extras ex = p.ex
    cdef Py_ssize_t s, start, count, updates = 0
    cdef double loss, sq, ab, wsum, a_b, l1_b, step_lr, step_eps, loss_sum = 0, penalty_sum = 0
    for s in range(n_steps):
        if stop_requested(check_every, s):
            out.status = INTERRUPTED
            break
        start = s * batch_size
        count = n - start if n - start < batch_size else batch_size
        wsum = weight_sum(w, order, start, count)
        if not wsum > 0:
            continue  # a batch of zero weight: no update, no rate consumed
        if dropout:
            ex.key = step_key(p.seed, epoch, first_step + s)
        loss = batch_gradient(net, &ex, params, X, Y, w, order, start, count,
                              <floating>(1.0 / wsum), grads, part_grads, acts, deltas, gather,
                              cap, p.n_threads, p.n_threads == 1 and p.whole)
        a_b = alpha / wsum if per_weight else alpha
        l1_b = l1 / wsum if per_weight else l1
        sq = add_l2_gradient(net, params, grads, a_b) if alpha != 0 else 0
        ab = add_l1_gradient(net, params, grads, l1_b) if l1 != 0 else 0
        if not (isfinite(loss) and isfinite(sq) and isfinite(ab)):
            out.status, out.step = LOSS_NOT_FINITE, s
            break
        # count / wsum is exactly 1 without weights
        loss_sum += loss * (count / wsum)
        penalty_sum += count * (0.5 * a_b * sq + l1_b * ab)
        if clip_norm > 0 or clip_value > 0:
            clip_gradient(grads, n_params, clip_norm, clip_value)
        if decay != 0:
            # decoupled (Loshchilov & Hutter): by the schedule's rate, before the update
            scale_weights(net, params, 1.0 - lr[updates * lr_stride] * decay)
        step_scalars(rule, lr[updates * lr_stride], eps, h1, h2, eps_hat,
                     <double>(t0 + updates + 1), &step_lr, &step_eps)
        update_ranges(rule, params, grads, s1, s2, n_params, step_lr, step_eps, h1, h2,
                      p.n_threads)
        updates += 1
    out.updates, out.loss_sum, out.penalty_sum = updates, loss_sum, penalty_sum


cdef void run_steps(floating* params, const Net* net, const Plan* p,
                    const Py_ssize_t* order, const double* lr,
                    Py_ssize_t lr_stride, Py_ssize_t t0, Py_ssize_t epoch,
                    Py_ssize_t first_step, Outcome* out) noexcept nogil:
    if p.batch_size == 1 and p.plain:
        per_example_steps(params, net, p, order, lr, lr_stride, t0, out)
    else:
        batched_steps(params, net, p, order, lr, lr_stride, t0, epoch, first_step, out)
    if out.status == OK and not all_finite(params, p.n_params):
        out.status = PARAMS_NOT_FINITE


cdef int point_at_data(Plan* p, const floating[:, ::1] X, const floating[:, ::1] Y,
                       const floating[::1] weights) except -1:
    """Point the plan at the training data (of the shapes it was built for:
    the caller checks)."""
    p.X, p.Y = &X[0, 0], &Y[0, 0]
    p.weights = &weights[0] if weights is not None else NULL
    return 0


cdef int point_at(Plan* p, floating[::1] params, floating[::1] grads,
                  floating[::1] s1, floating[::1] s2,
                  const floating[:, ::1] X, const floating[:, ::1] Y,
                  const floating[::1] weights, floating[::1] acts,
                  floating[::1] deltas, floating[::1] gather,
                  floating[::1] part_grads) except -1:
    """Check the state vectors and the gather buffer against the plan's rule
    and sizes, and point the plan at the arrays."""
    cdef Py_ssize_t needed = state_vectors(p.rule)
    for k, s in enumerate((s1, s2)):
        if k < needed and s.shape[0] != p.n_params:
            raise ValueError(f"s{k + 1} has {s.shape[0]} entries, expected {p.n_params}")
    p.params, p.grads = &params[0], &grads[0]
    p.part_grads = &part_grads[0] if part_grads.shape[0] > 0 else NULL
    p.s1 = &s1[0] if needed >= 1 else NULL
    p.s2 = &s2[0] if needed >= 2 else NULL
    point_at_data(p, X, Y, weights)
    p.acts, p.deltas = &acts[0], &deltas[0]
    p.gather = NULL
    if gather.shape[0] > 0:
        if gather.shape[0] < p.cap * (p.n_in + p.n_out + 1):
            raise ValueError(f"gather holds {gather.shape[0]} values, expected at least "
                             f"{p.cap * (p.n_in + p.n_out + 1)}")
        p.gather = &gather[0]
    return 0


include "_exp_values.pxi"


def _check_options(double l1, double clip_norm, double clip_value, double weight_decay,
                   keep):
    for name, value in (("l1", l1), ("clip_norm", clip_norm), ("clip_value", clip_value),
                        ("weight_decay", weight_decay)):
        if not (isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    if keep is not None and not ((keep > 0) & (keep <= 1)).all():
        raise ValueError(f"keep probabilities must be in (0, 1], got {keep}")


cdef class EpochPlan:
    """Everything an epoch needs that does not change between epochs.

    Parameters
    ----------
    top : Topology
    params, grads, s1, s2 : 1-D arrays of top.n_params entries
        The parameters (updated in place), the gradient buffer, and the
        optimizer's state vectors (as many as ``rule`` keeps; pass empty
        arrays for the others).
    X, Y : 2-D arrays (n, n_inputs) and (n, n_outputs)
    weights : 1-D array (n,) or None
        A batch minimizes sum_i w_i loss_i / sum_i w_i; a batch whose
        weights sum to zero is skipped (no update, no rate consumed).
    batch_size : int >= 1
    rule, eps, h1, h2, eps_hat : the update rule (see _optimizers.pyx)
    alpha : float
        L2 penalty; ``l2_per_weight`` divides it (and ``l1``) by each batch's
        weight sum (scikit-learn's convention) instead of adding
        alpha/2 sum ||W||^2 to every batch's mean loss.
    acts, deltas : buffers of a whole number of rows: ``acts`` of
        top.buffer_width(keep) values per row, ``deltas`` of top.n_units
    gather : buffer of cap * (n_inputs + n_outputs + 1) values, where cap
        is the rows ``acts`` holds, or empty when no shuffled order with
        batches of more than one row will be passed
    check_every : int
        Let Python's signal handlers run every this many steps (0: never).
    l1 : float
        L1 penalty l1 sum |W| (biases not penalized), added to every batch's
        mean loss, its subgradient to the gradient.
    clip_norm, clip_value : float
        Clip each batch's gradient (with its penalty terms) to this global
        norm, then to this absolute value (0: no clipping).
    weight_decay : float
        Decoupled weight decay: W *= 1 - lr_t weight_decay before each
        update (biases untouched), lr_t being the schedule's rate.
    keep : float64 array (top's number of layers) or None
        Dropout: the keep probability of each weight layer's input (the
        network's inputs first, then each hidden layer's outputs); None or
        all ones: no dropout.
    seed : int
        Dropout's random stream: step s of epoch e draws its masks from
        (seed, e, s) alone.

    On one thread, split passes take each product over all their rows at
    once (``whole_products``) where that gives the parts' bits for every
    pass size the epoch runs (_network.whole_products_agree).
    """

    cdef Plan plan
    cdef Topology top
    cdef object arrays  # keeps every array the plan points into alive
    cdef bint single
    cdef readonly Py_ssize_t n_steps
    cdef readonly bint whole_products
    cdef const Py_ssize_t[::1] _slope_off
    cdef const double[::1] _keep

    def __init__(self, Topology top, params, grads, s1, s2, X, Y, weights,
                 Py_ssize_t batch_size, int rule, double eps, double h1, double h2,
                 bint eps_hat, double alpha, bint l2_per_weight, acts, deltas, gather,
                 Py_ssize_t check_every=0, double l1=0.0, double clip_norm=0.0,
                 double clip_value=0.0, double weight_decay=0.0, keep=None,
                 uint64_t seed=0):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if check_every < 0:
            raise ValueError(f"check_every must be >= 0, got {check_every}")
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        if keep is not None:
            keep = np.ascontiguousarray(keep, dtype=np.float64)
            if keep.shape != (top.net.n_layers,):
                raise ValueError(f"keep has shape {keep.shape}, expected ({top.net.n_layers},)")
            if (keep == 1).all():
                keep = None
        _check_options(l1, clip_norm, clip_value, weight_decay, keep)
        p = &self.plan
        slope_off, p.ex.input_off, p.ex.width = buffer_layout(top.sizes, top.activations, keep)
        self._slope_off = slope_off
        p.ex.slope_off, p.ex.key = &self._slope_off[0], 0
        p.ex.keep = NULL
        if keep is not None:
            self._keep = keep
            p.ex.keep = &self._keep[0]
        p.cap = top.check(params, X, Y, acts, deltas, grads, weights, p.ex.width)
        p.n, p.n_in, p.n_out = X.shape[0], X.shape[1], Y.shape[1]
        p.n_params, p.batch_size, p.check_every = params.shape[0], batch_size, check_every
        p.rule, p.eps, p.h1, p.h2, p.eps_hat = rule, eps, h1, h2, eps_hat
        p.alpha, p.l2_per_weight, p.l1 = alpha, l2_per_weight, l1
        p.clip_norm, p.clip_value = clip_norm, clip_value
        p.weight_decay, p.seed = weight_decay, seed
        p.ex.used = keep is not None or bool((slope_off >= 0).any())
        p.plain = (l1 == 0 and clip_norm == 0 and clip_value == 0 and weight_decay == 0
                   and not p.ex.used)
        self.single = np.dtype(params.dtype) == np.float32
        p.whole = self.whole_products = all(
            whole_products_agree(top, m, params.dtype, accumulate)
            for m, accumulate in pass_sizes(p.n, batch_size, p.cap))
        # room for the later parts' gradients of passes split into parts
        part_grads = np.empty((MAX_PARTS - 1) * p.n_params
                              if min(batch_size, p.cap) >= MAX_PARTS * PART_ROWS else 0,
                              dtype=params.dtype)
        if self.single:
            point_at[float](p, params, grads, s1, s2, X, Y, weights, acts, deltas, gather,
                            part_grads)
        else:
            point_at[double](p, params, grads, s1, s2, X, Y, weights, acts, deltas, gather,
                             part_grads)
        self.top = top
        self.arrays = (params, grads, s1, s2, X, Y, weights, acts, deltas, gather, part_grads)
        self.n_steps = (p.n + batch_size - 1) // batch_size

    def rebind(self, X, Y, weights):
        """Train on other data of the same shapes from now on (``weights``
        None again, or again an array): what a loop of fits on successive
        batches (partial_fit) needs instead of a new plan, at a tenth of
        the cost."""
        cdef Plan* p = &self.plan
        if X.shape[0] != p.n or X.shape[1] != p.n_in:
            raise ValueError(f"X has shape {X.shape}, expected ({p.n}, {p.n_in})")
        if Y.shape[0] != p.n or Y.shape[1] != p.n_out:
            raise ValueError(f"Y has shape {Y.shape}, expected ({p.n}, {p.n_out})")
        if (weights is None) != (p.weights == NULL) or (
                weights is not None and weights.shape[0] != p.n):
            raise ValueError("weights must be None or of the plan's length, as the plan's were")
        if self.single:
            point_at_data[float](p, X, Y, weights)
        else:
            point_at_data[double](p, X, Y, weights)
        self.arrays = self.arrays[:4] + (X, Y, weights) + self.arrays[7:]

    def train_epoch(self, order, const double[::1] lr, Py_ssize_t t0, Py_ssize_t epoch=0,
                    Py_ssize_t first_step=0, int n_threads=1):
        """Run every step of one epoch; returns
        (status, step, loss_sum, penalty_sum, updates).

        ``order``: the epoch's row order (an intp array of n entries), or
        None for the stored order.  ``lr``: the rate of every update, or one
        rate for all (a skipped batch consumes none).  ``t0``: the updates
        applied before this epoch (Adam's bias correction counts from it).
        ``epoch`` (the epochs completed before this one) and ``first_step``
        (this plan's first step in the epoch) number dropout's masks.
        ``n_threads``: the threads that compute a split batch's parts and
        the updates (the result is the same bits for any number).

        ``status`` is a Status code (an int: no enum is built per epoch);
        ``step`` the failing step (from 0) with
        LOSS_NOT_FINITE (training stopped there, before that step's update),
        else -1.  Every update is whole, also when INTERRUPTED: ``updates``
        says how many were applied.  ``loss_sum`` adds up, over the batches,
        the batch size times its (weighted) mean loss at the parameters it
        saw; ``penalty_sum`` the batch size times its penalty
        alpha_b/2 sum ||W||^2 + l1_b sum |W| (alpha_b, l1_b divided by the
        batch's weight sum with l2_per_weight).
        """
        cdef const Py_ssize_t[::1] order_view
        cdef const Py_ssize_t* order_p = NULL
        cdef Py_ssize_t lr_stride = 1 if lr.shape[0] == self.n_steps else 0
        cdef Outcome out
        cdef const Plan* p = &self.plan
        cdef const Net* net = &self.top.net
        cdef unsigned int fp
        if n_threads < 1:
            raise ValueError(f"n_threads must be >= 1, got {n_threads}")
        self.plan.n_threads = n_threads
        if lr.shape[0] != self.n_steps and lr.shape[0] != 1:
            raise ValueError(f"need {self.n_steps} step rates (or one for all), "
                             f"got {lr.shape[0]}")
        if order is not None:
            order_view = order
            if order_view.shape[0] != p.n:
                raise ValueError(f"order has {order_view.shape[0]} entries, expected {p.n}")
            if p.gather == NULL and p.batch_size > 1 and p.cap > 1:
                raise ValueError("a shuffled order needs the gather buffer")
            order_p = &order_view[0]
        out.status, out.step, out.updates, out.loss_sum, out.penalty_sum = OK, -1, 0, 0, 0
        with nogil:
            fp = flush_subnormals()
            if self.single:
                run_steps(<float*>p.params, net, p, order_p, &lr[0], lr_stride, t0, epoch,
                          first_step, &out)
            else:
                run_steps(<double*>p.params, net, p, order_p, &lr[0], lr_stride, t0, epoch,
                          first_step, &out)
            restore_fp(fp)
        return out.status, out.step, out.loss_sum, out.penalty_sum, out.updates
