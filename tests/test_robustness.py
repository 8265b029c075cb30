"""Interruption, threads and determinism of training."""
import signal
import threading
import time

import numpy as np
import pytest

import fastbp as fb


def _long_problem(n=400_000):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)), rng.random((n, 1))


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
def test_ctrl_c_stops_between_two_steps_and_keeps_a_consistent_model():
    X, Y = _long_problem()
    start = fb.MLP([3, 2, 1], seed=0)
    net = start.copy()
    opt = fb.SGD(lr=0.5)  # stateless: the parameters depend only on the updates applied
    main = threading.get_ident()
    # a process started in the background by a non-interactive shell (a CI
    # script, `cmd &`) inherits SIGINT ignored: Python's handler is needed here
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    try:
        # usually the compiled loop notices the signal ("interrupted in epoch
        # ..."); when it lands between two epochs Python raises it itself:
        # either way the model must be consistent
        with pytest.raises(KeyboardInterrupt) as info:
            net.fit(X, Y, optimizer=opt, epochs=10_000, batch_size=1, shuffle=False)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    n = X.shape[0]
    full, partial = divmod(opt.t, n)
    assert opt.epochs == full == info.value.history.epochs
    # replay exactly opt.t updates on a fresh copy: the same parameters, bit for bit
    replay = start.copy()
    if full:
        replay.fit(X, Y, optimizer=fb.SGD(lr=0.5), epochs=full, batch_size=1, shuffle=False)
    if partial:
        replay.fit(X[:partial], Y[:partial], optimizer=fb.SGD(lr=0.5), epochs=1, batch_size=1,
                   shuffle=False)
    np.testing.assert_array_equal(net.params, replay.params)
    # and it trains on
    net.fit(X[:100], Y[:100], optimizer=opt, epochs=1, batch_size=1, shuffle=False)
    assert opt.t == full * n + partial + 100


def test_an_exception_from_a_callback_keeps_the_completed_epochs():
    X, Y = _long_problem(1000)
    net = fb.MLP([3, 2, 1], seed=0)
    reference = net.copy()
    reference.fit(X, Y, optimizer=fb.SGD(lr=0.5), epochs=2, batch_size=1, shuffle=False)

    def boom(epoch, logs):
        if epoch == 1:
            raise ValueError("callback failed")

    class Record(fb.callbacks.Callback):
        def on_train_end(self, logs):
            self.end = logs

    record = Record()
    with pytest.raises(ValueError, match="callback failed") as info:
        net.fit(X, Y, optimizer=fb.SGD(lr=0.5), epochs=5, callbacks=[record, boom], batch_size=1,
                shuffle=False)
    assert info.value.history.epochs == 2
    assert record.end == {"epochs": 2, "outcome": "error"}
    np.testing.assert_array_equal(net.params, reference.params)


def test_concurrent_fits_on_one_network_are_refused():
    X, Y = _long_problem(200_000)
    net = fb.MLP([3, 2, 1], seed=0)
    worker = threading.Thread(target=net.fit, args=(X, Y),
                              kwargs=dict(epochs=5, batch_size=1, shuffle=False))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not net._lock.locked() and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.001)
        assert net._lock.locked()
        with pytest.raises(RuntimeError, match="already being trained in another thread"):
            net.fit(X[:10], Y[:10])
    finally:
        worker.join()
    net.fit(X[:10], Y[:10])  # free again


def test_parallel_threads_give_the_same_results_as_one_after_another():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(3000, 20)), rng.integers(0, 4, 3000)

    def train(seed):
        net = fb.MLP([20, 32, 4], hidden="relu", output="softmax", loss="cross_entropy", seed=seed)
        net.fit(X, y, optimizer=fb.Adam(lr=0.01), epochs=3, batch_size=16, shuffle=True, seed=seed)
        return net.params

    sequential = [train(s) for s in range(4)]
    parallel = [None] * 4
    threads = [threading.Thread(target=lambda s=s: parallel.__setitem__(s, train(s)))
               for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(sequential, parallel):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("batch_size", [1, 7, None])
def test_same_seed_same_bits(batch_size):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 3, 200)
    runs = []
    for _ in range(2):
        net = fb.MLP([5, 8, 3], hidden="tanh", output="softmax", loss="cross_entropy", seed=11)
        h = net.fit(X, y, optimizer=fb.RMSprop(lr=0.01), epochs=4, batch_size=batch_size,
                    shuffle=True, seed=5, alpha=1e-3)
        runs.append((net.params.copy(), h.loss))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
