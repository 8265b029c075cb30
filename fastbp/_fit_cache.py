"""What one fit builds that the next fit of the same network can use again.

A fit allocates a gradient vector, the snapshot a diverged epoch is rolled
back to, activation and delta buffers, and builds the kernels' EpochPlan
over them.  In a loop of short fits (partial_fit, an epoch loop written by
hand, a sweep) that is a noticeable part of every call, so a network keeps
them between fits:

- the vectors sized by the network alone (gradient, snapshots), always;
- the buffers of the last batch size, and fit's one-hot targets;
- the last plan, while everything it was built from is the same: arrays
  compared by identity, settings by value; when only the training data
  differ, for data of the same shapes (a partial_fit loop's batches), the
  plan is pointed at the new data.  The cache holds the arrays of the plan
  it compares against, so no other array can have the id of one of them.
  The kernels read the data at every epoch, so arrays changed in place are
  used as they are now; and a plan keeps no state between epochs, so a
  reused plan trains as a new one would, bit for bit.  Plans over more
  than _KEEP_DATA_BYTES of data are not kept: keeping one keeps its arrays
  alive, and over that much data building it is a negligible part of an
  epoch.

The buffers are scratch space that a plan uses only inside an epoch, so two
plans of one thread may share them; two threads never do: a thread that
finds another thread's cache on the network replaces it with its own (the
other keeps what it already took).  Not pickled, not copied.

What is kept is bounded: only the _KEEP_NETWORKS networks that most recently
got a cache keep theirs (a sweep that keeps every model it trains keeps no
more), and a network's vectors, buffers and targets are kept only when each
is at most _KEEP_BYTES (for larger networks and batches, allocating them is
a negligible part of an epoch).  Anything not kept is made for the call.
"""
import functools
import threading
import weakref

import numpy as np

__all__ = ["FitCache", "empty_vector"]

_KEEP_DATA_BYTES = 8 << 20
_KEEP_BYTES = 8 << 20
_KEEP_NETWORKS = 8

# the networks holding a cache, oldest first (weak references)
_holders = []
_holders_lock = threading.Lock()

# one zero-length vector per dtype for the state slots a rule does not use:
# the same object every fit, so plans over it can be reused
_EMPTY = {np.dtype(t): np.zeros(0, dtype=t) for t in (np.float32, np.float64)}


def empty_vector(dtype):
    """The zero-length vector of ``dtype`` (always the same object)."""
    return _EMPTY[dtype]


class FitCache:
    """A network's buffers and last kernel plan, for one thread.

    Get it with :meth:`of`; ``grads`` and ``saved_params`` are vectors
    shaped like the parameters.
    """

    def __init__(self, params):
        self.thread = threading.get_ident()
        self.params = params
        self._saved_state = []
        self._buffers_key = self._buffers = None
        self._targets = self._labels = None  # fit's one-hot targets, and their labels
        self._plan_key = self._plan = self._held = None
        self._data = self._data_shapes = None

    @classmethod
    def of(cls, net):
        """``net``'s cache for the calling thread (a new one when there is
        none, when another thread made it, or when the network's parameter
        vector was replaced; not kept when the network is large)."""
        cache = net.__dict__.get("_fit_cache")
        if cache is None or cache.thread != threading.get_ident() or cache.params is not net.params:
            cache = cls(net.params)
            if net.params.nbytes <= _KEEP_BYTES:
                net._fit_cache = cache
                _hold(net)
        return cache

    @functools.cached_property
    def grads(self):
        return np.empty_like(self.params)

    @functools.cached_property
    def saved_params(self):
        return np.empty_like(self.params)

    def saved_state(self, count):
        """``count`` vectors shaped like the parameters, for the optimizer's
        state at the start of an epoch."""
        while len(self._saved_state) < count:
            self._saved_state.append(np.empty_like(self.params))
        return tuple(self._saved_state[:count])

    def buffers(self, acts, deltas, gather):
        """Vectors of ``acts``, ``deltas`` and ``gather`` values (the last ones
        again when the sizes are the same)."""
        key = (acts, deltas, gather)
        if key == self._buffers_key:
            return self._buffers
        buffers = tuple(np.empty(size, dtype=self.params.dtype) for size in key)
        if max(key) * self.params.itemsize <= _KEEP_BYTES:
            self._buffers, self._buffers_key = buffers, key
        return buffers

    def targets(self, shape):
        """An array of ``shape`` for fit's one-hot targets (the last one again
        when the shape is the same): the plan reads it, so refilling the same
        array lets the next fit reuse the plan."""
        self._labels = None  # about to be refilled
        if self._targets is not None and self._targets.shape == shape:
            return self._targets
        targets = np.empty(shape, dtype=self.params.dtype)
        if targets.nbytes <= _KEEP_BYTES:
            self._targets = targets
        return targets

    def made_targets(self, labels, targets):
        """Note that ``targets`` (checked) came from ``labels``."""
        if targets is self._targets and self._targets is not None:
            self._labels = np.array(labels)

    def known_targets(self, labels, n_samples):
        """The one-hot targets of ``n_samples`` rows last made from labels equal
        to ``labels``, or None: equal labels pass the same checks and give the
        same targets, so comparing them (a pass over the labels) saves
        checking and encoding them again (a pass over the targets)."""
        last = self._labels
        if (last is None or type(labels) is not np.ndarray or labels.shape != last.shape
                or labels.dtype != last.dtype or labels.shape[0] != n_samples):
            return None
        return self._targets if np.array_equal(labels, last) else None

    def plan(self, arrays, data, settings, build):
        """The plan ``build()`` makes from ``arrays`` (every object it points
        into or reads but the data), the training ``data`` (X, Y, weights or
        None) and ``settings`` (the values it reads): the last one when all
        are the same, or when only the data changed, for data of the same
        shapes (successive batches), the last one rebound to it."""
        key = (tuple(map(id, arrays)), settings)
        shapes = tuple(None if a is None else a.shape for a in data)
        if key == self._plan_key and shapes == self._data_shapes:
            if all(a is b for a, b in zip(data, self._data)):
                return self._plan
            plan = self._plan
            plan.rebind(*data)
        else:
            plan = build()
        if sum(0 if a is None else a.nbytes for a in data) <= _KEEP_DATA_BYTES:
            self._plan_key, self._plan, self._held = key, plan, arrays
            self._data, self._data_shapes = data, shapes
        else:
            self._plan_key = self._plan = self._held = self._data = self._data_shapes = None
        return plan


def _hold(net):
    """Count ``net`` among the networks holding a cache; drop the caches of
    the oldest beyond _KEEP_NETWORKS (a fit under way keeps what it took)."""
    with _holders_lock:
        _holders[:] = [ref for ref in _holders if ref() is not None and ref() is not net]
        _holders.append(weakref.ref(net))
        while len(_holders) > _KEEP_NETWORKS:
            oldest = _holders.pop(0)()
            if oldest is not None:
                oldest.__dict__.pop("_fit_cache", None)
