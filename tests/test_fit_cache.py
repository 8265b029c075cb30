"""What a network keeps between fits (fastbp._fit_cache): reused buffers and
kernel plans must train exactly as new ones, whatever changed in between."""
import copy
import gc
import pickle
import threading
import weakref

import numpy as np
import pytest

import fastbp as fb
from fastbp import _fit_cache, _kernels
from fastbp._fit_cache import FitCache


def _data(dtype, n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 6)).astype(dtype)
    return X, rng.integers(0, 3, n)


def _net(dtype, seed):
    return fb.MLP([6, 7, 3], hidden="relu", output="softmax", loss="cross_entropy",
                  dtype=dtype, seed=seed)


def _session(X, y):
    """Fits that change, between calls, what a plan is built from: the same
    arrays again, arrays changed in place, other arrays, optimizers and
    settings.  Each step is (fit's arguments, what to do to the data first)."""
    w = np.linspace(0.5, 2.0, X.shape[0])
    w_other = w[::-1].copy()
    adam, sgd = fb.Adam(lr=0.01), fb.SGD(lr=0.1, momentum=0.9)
    return [
        (dict(optimizer=adam, batch_size=16), None),
        (dict(optimizer=adam, batch_size=16), None),  # all the same: the plan is reused
        (dict(optimizer=adam, batch_size=16), lambda X, y: X.__imul__(0.5)),
        (dict(optimizer=adam, batch_size=16), lambda X, y: y.__setitem__(slice(None), y[::-1])),
        (dict(optimizer=adam, batch_size=16, labels="copy"), None),  # equal labels, new array
        (dict(optimizer=adam, batch_size=16, labels="float"), None),  # equal values, floats
        # one setting at a time
        (dict(optimizer=adam, batch_size=16, alpha=1e-3), None),
        (dict(optimizer=adam, batch_size=16, alpha=1e-3, beta1=0.5), None),
        (dict(optimizer=adam, batch_size=32, alpha=1e-3), None),
        (dict(optimizer=adam, batch_size=32, alpha=1e-3, shuffle=True, seed=3), None),
        (dict(optimizer=sgd, batch_size=32), None),
        (dict(optimizer=sgd, batch_size=32, sample_weight=w), None),
        (dict(optimizer=sgd, batch_size=32, sample_weight=w), lambda X, y: w.__imul__(2.0)),
        (dict(optimizer=sgd, batch_size=32, sample_weight=w_other), None),  # rebound
        (dict(optimizer=fb.Adam(lr=0.02), batch_size=1), None),
        (dict(optimizer=adam, batch_size=16, dropout=0.3, seed=1), None),
        (dict(optimizer=adam, batch_size=16, dropout=0.3, seed=1), None),
        (dict(optimizer=adam, batch_size=16, l1=1e-3, clip_norm=0.5), None),
        (dict(optimizer=adam, batch_size=16, l1=1e-3, clip_norm=0.5, clip_value=0.01), None),
        (dict(optimizer=adam, batch_size=16, rows=slice(0, 60)), None),
        (dict(optimizer=adam, batch_size=16, rows=slice(60, 120)), None),  # rebound
        (dict(optimizer=adam, batch_size=16), None),
    ]


def _run(nets, dtype, fresh):
    """The session on each of ``nets`` in turn, step by step; ``fresh``: the
    network forgets its cache before every fit (as fastbp did before it had
    one).  Returns every step's parameters and history, and the plans built."""
    built = []
    backend = _kernels.active()
    make = backend.EpochPlan

    def counting(*args, **kwargs):
        built.append(1)
        return make(*args, **kwargs)

    data = {id(net): _data(dtype) for net in nets}
    sessions = {id(net): _session(*data[id(net)]) for net in nets}
    results = []
    backend.EpochPlan = counting
    try:
        for step in range(len(sessions[id(nets[0])])):
            for net in nets:  # alternately: each network's cache sees the other's fits between
                X, y = data[id(net)]
                kwargs, change = sessions[id(net)][step]
                kwargs = dict(kwargs)
                if change is not None:
                    change(X, y)
                rows = kwargs.pop("rows", None)
                if rows is not None:  # a view: a new array object
                    X, y = X[rows], y[rows]
                labels = kwargs.pop("labels", None)
                if labels is not None:
                    y = y.copy() if labels == "copy" else y.astype(float)
                beta1 = kwargs.pop("beta1", None)
                if beta1 is not None:
                    kwargs["optimizer"].beta1 = beta1
                if fresh:
                    net.__dict__.pop("_fit_cache", None)
                history = net.fit(X, y, shuffle=kwargs.pop("shuffle", False),
                                  **kwargs)
                results.append((net.params.copy(), history.loss, history.lr))
    finally:
        backend.EpochPlan = make
    return results, len(built)


def test_fits_with_the_cache_equal_fits_without_it_bit_for_bit(backend, dtype):
    cached, built_cached = _run([_net(dtype, 0), _net(dtype, 1)], dtype, fresh=False)
    fresh, built_fresh = _run([_net(dtype, 0), _net(dtype, 1)], dtype, fresh=True)
    for (p, loss, lr), (q, loss_q, lr_q) in zip(cached, fresh):
        assert np.array_equal(p, q)
        assert loss == loss_q and lr == lr_q
    # the cache was used: some plans were reused rather than built
    assert built_cached < built_fresh == len(fresh)


def test_successive_batches_of_one_shape_rebind_one_plan(backend):
    net = _net("float64", 0)
    X, y = _data("float64", n=200)
    built = []
    make = backend.EpochPlan

    def counting(*args, **kwargs):
        built.append(1)
        return make(*args, **kwargs)

    backend.EpochPlan = counting
    try:
        for start in range(0, 200, 40):  # a partial_fit loop: a new view each call
            net.fit(X[start:start + 40], y[start:start + 40], batch_size=16, shuffle=False)
    finally:
        backend.EpochPlan = make
    assert len(built) == 1


def test_a_plan_is_rebound_only_to_data_of_its_shapes(backend):
    net = _net("float64", 0)
    X, y = _data("float64", n=40)
    Y = np.eye(3)[y]
    top = net._topology
    plan = backend.EpochPlan(
        top, net.params, np.empty_like(net.params), np.empty(0), np.empty(0), X, Y, None, 16,
        int(_kernels.Rule.SGD), 0.0, 0.0, 0.0, False, 0.0, False,
        np.empty(16 * top.buffer_width()), np.empty(16 * top.n_units), np.empty(0))
    plan.rebind(X[::-1].copy(), Y.copy(), None)  # the same shapes: accepted
    for args in [(X[:20], Y[:20], None), (X, Y[:, :2].copy(), None), (X, Y, np.ones(40))]:
        with pytest.raises(ValueError):
            plan.rebind(*args)


def test_data_changed_in_place_is_what_the_next_fit_reads(dtype):
    X, y = _data(dtype)
    net, opt = _net(dtype, 0), fb.Adam(lr=0.01)
    net.fit(X, y, optimizer=opt, batch_size=16, shuffle=False)
    start, start_opt = copy.deepcopy((net, opt))
    X *= 2.0  # the same array, new values
    net.fit(X, y, optimizer=opt, batch_size=16, shuffle=False)
    # the same epoch from the same state, on a new array of those values
    start.fit(X.copy(), y, optimizer=start_opt, batch_size=16, shuffle=False)
    assert np.array_equal(net.params, start.params)
    assert not np.array_equal(net.params, _net(dtype, 0).params)


def test_a_kept_plan_keeps_its_small_arrays_alive_and_large_ones_are_not_kept(monkeypatch):
    net = _net("float64", 0)
    X, y = _data("float64")
    X_ref = weakref.ref(X)
    net.fit(X, y, batch_size=16, shuffle=False)
    del X
    gc.collect()
    # kept: so no other array can take its id while a plan compares against it
    assert X_ref() is not None
    monkeypatch.setattr(_fit_cache, "_KEEP_DATA_BYTES", 1000)
    X2, y2 = _data("float64", seed=1)
    X2_ref = weakref.ref(X2)
    net.fit(X2, y2, batch_size=16, shuffle=False)
    del X2
    gc.collect()
    assert X_ref() is None and X2_ref() is None  # the old plan dropped, the new not kept


def test_each_thread_has_its_own_cache_and_a_copy_or_pickle_has_none():
    net = _net("float64", 0)
    X, y = _data("float64")
    net.fit(X, y, batch_size=16, shuffle=False)
    mine = FitCache.of(net)
    assert FitCache.of(net) is mine
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(FitCache.of(net)))
    thread.start()
    thread.join()
    assert theirs[0] is not mine and theirs[0].grads is not mine.grads
    assert FitCache.of(net) is not theirs[0]  # back here: a cache of this thread's own
    assert "_fit_cache" not in net.copy().__dict__
    assert "_fit_cache" not in pickle.loads(pickle.dumps(net)).__dict__


def test_a_fit_attempted_from_a_callback_leaves_the_targets_being_trained_on():
    X, y = _data("float64")
    other = (y + 1) % 3
    refused = []

    def meddle(epoch, logs):
        with pytest.raises(RuntimeError, match="already being trained"):
            net.fit(X, other, batch_size=16, shuffle=False)
        refused.append(epoch)

    net, twin = _net("float64", 0), _net("float64", 0)
    net.fit(X, y, optimizer="adam", batch_size=16, shuffle=False, epochs=3, callbacks=meddle)
    twin.fit(X, y, optimizer="adam", batch_size=16, shuffle=False, epochs=3)
    assert refused == [0, 1, 2]
    assert np.array_equal(net.params, twin.params)


def test_what_is_kept_is_bounded(monkeypatch):
    X, y = _data("float64")
    nets = [_net("float64", s) for s in range(_fit_cache._KEEP_NETWORKS + 3)]
    for net in nets:
        net.fit(X, y, batch_size=16, shuffle=False)
    # only the networks that got a cache most recently keep theirs
    assert ["_fit_cache" in net.__dict__ for net in nets] == [False] * 3 + [True] * (len(nets) - 3)
    nets[0].fit(X, y, batch_size=16, shuffle=False)
    assert "_fit_cache" in nets[0].__dict__ and "_fit_cache" not in nets[3].__dict__
    # a large network keeps nothing, and trains as one that keeps its cache
    monkeypatch.setattr(_fit_cache, "_KEEP_BYTES", 100)
    big, small = _net("float64", 0), _net("float64", 0)
    for _ in range(2):
        big.fit(X, y, optimizer="adam", batch_size=16, shuffle=False)
        assert "_fit_cache" not in big.__dict__
    monkeypatch.undo()
    for _ in range(2):
        small.fit(X, y, optimizer="adam", batch_size=16, shuffle=False)
    assert "_fit_cache" in small.__dict__
    assert np.array_equal(big.params, small.params)


def test_labels_seen_before_are_still_checked_against_the_rows():
    X, y = _data("float64")
    net = _net("float64", 0)
    net.fit(X, y, batch_size=16, shuffle=False)
    with pytest.raises(ValueError, match="Y has 120 samples but X has 60"):
        net.fit(X[:60], y, batch_size=16, shuffle=False)


@pytest.mark.parametrize("fit_options", [dict(batch_size=16, shuffle=True, seed=0),
                                         dict(batch_size=1, shuffle=False),
                                         dict(batch_size=None, dropout=0.2, seed=0)])
def test_a_trained_network_is_freed_when_dropped_without_the_garbage_collector(fit_options):
    # what a fit builds must not form reference cycles with the network: a
    # cycle keeps the network and its buffers alive until the collector runs
    # (never, in a loop timed with gc disabled), so memory grows with each fit
    X, y = _data("float64")
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        net = _net("float64", 0)
        net.fit(X, y, optimizer=fb.Adam(lr=0.01), epochs=2, **fit_options)
        gone = weakref.ref(net)
        del net
        assert gone() is None
    finally:
        if enabled:
            gc.enable()
