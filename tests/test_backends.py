"""Every kernel backend has one interface: the same names with the same
signatures (as thinc checks its NumpyOps against its compiled ops), and
switching backends switches what fastbp runs on."""
import inspect

import numpy as np
import pytest

import fastbp as fb
from fastbp import _kernels

BACKENDS = _kernels.available()


def _signature(obj):
    """[(name, default or None)] of a function, or of a class's constructor.
    A cdef class's constructor is not introspectable: its signature is read
    from the first docstring line Cython embeds ("Name(type arg=default, ...)")."""
    if inspect.isclass(obj) and "(" in (obj.__doc__ or "").split("\n")[0] \
            and not isinstance(obj.__init__, type(fb.MLP.__init__)):
        inside = obj.__doc__.split("\n")[0].split("(", 1)[1].rsplit(")", 1)[0]
        out = []
        for arg in inside.split(","):
            name, _, default = arg.strip().partition("=")
            out.append((name.split()[-1], default or None))
        return out
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = list(inspect.signature(target).parameters.values())
    if inspect.isclass(obj):
        params = params[1:]  # self
    return [(p.name, None if p.default is p.empty else repr(p.default)) for p in params]


def test_the_numpy_and_the_portable_backend_are_always_there():
    assert {"baseline", "numpy"} <= set(BACKENDS)


@pytest.mark.parametrize("name", _kernels.INTERFACE)
def test_every_backend_has_the_same_signatures(name):
    reference = _kernels.get("baseline")
    want = _signature(getattr(reference, name))
    for backend in BACKENDS:
        assert _signature(getattr(_kernels.get(backend), name)) == want, (backend, name)


def test_epoch_plans_have_the_same_epoch_signature():
    want = _signature(_kernels.get("baseline").EpochPlan.train_epoch)
    for backend in BACKENDS:
        assert _signature(_kernels.get(backend).EpochPlan.train_epoch) == want, backend


def test_use_switches_the_backend_and_switches_back():
    before = _kernels.active()
    with _kernels.use("numpy") as numpy_backend:
        assert _kernels.active() is numpy_backend and numpy_backend.NAME == "numpy"
    assert _kernels.active() is before
    with pytest.raises(ValueError, match="unknown kernel backend 'sse9'"):
        _kernels.use("sse9")


def test_a_network_follows_the_backend_in_use_and_pickles_without_it():
    import pickle

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    results = {}
    for backend in BACKENDS:
        with _kernels.use(backend):
            net = fb.MLP([3, 4, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=1)
            net.fit(X, y, optimizer=fb.Adam(lr=0.01), epochs=2, batch_size=8, shuffle=False)
            assert type(net._topology) is _kernels.get(backend).Topology
            results[backend] = net.params.copy()
            clone = pickle.loads(pickle.dumps(net))
        for other in BACKENDS:  # a pickle made under one backend works under any
            with _kernels.use(other):
                np.testing.assert_allclose(clone.forward(X), net.forward(X), rtol=1e-12)
    for backend in BACKENDS:
        np.testing.assert_allclose(results[backend], results["baseline"], rtol=1e-10)


def test_a_network_pickled_by_fastbp_0_1_0_loads():
    # 0.1.0 pickled the compiled Topology of the backend in use and no codes
    net = fb.MLP([3, 4, 2], hidden="relu", output="softmax", loss="cross_entropy", seed=1)
    state = net.__getstate__()
    del state["_codes"]
    state["_topology"] = _kernels.get("baseline").Topology([3, 4, 2], [3, 4], 1)
    old = object.__new__(fb.MLP)
    old.__setstate__(state)
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(old.forward(X), net.forward(X))
    assert old._codes == net._codes


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_extremes_are_numpys_min_and_max_and_see_every_non_finite_entry(dtype):
    rng = np.random.default_rng(0)
    for name in BACKENDS:
        extremes = _kernels.get(name).extremes
        # 31, 32 and 33: below, at and past one block of the compiled scan's lanes
        for n in (1, 2, 31, 32, 33, 64, 100, 1001):
            values = rng.normal(size=n).astype(dtype) * 1e3
            assert extremes(values) == (values.min(), values.max()), (name, n)
            for where in {0, n // 2, n - 1}:  # a lane's first block, the middle, the tail
                for bad in (np.nan, np.inf, -np.inf):
                    spoilt = values.copy()
                    spoilt[where] = bad
                    assert np.isnan(extremes(spoilt)).all(), (name, n, where, bad)
        with pytest.raises(ValueError, match="no values"):
            extremes(np.empty(0, dtype=dtype))
