"""The one training loop (fastbp._runner) and the callback session around it."""
import numpy as np
import pytest
import scipy.sparse as sp

import fastbp as fb
from fastbp._runner import Runner, train
from fastbp.callbacks import Callback, CallbackList, CSVLogger


class Recorder(Callback):
    def __init__(self, fail_at=None, fail_on_end=False):
        self.events, self.fail_at, self.fail_on_end = [], fail_at, fail_on_end

    def on_train_begin(self, logs):
        self.events.append("begin")

    def on_epoch_end(self, epoch, logs):
        self.events.append(epoch)
        if epoch == self.fail_at:
            raise RuntimeError("callback failed")
        return False

    def on_train_end(self, logs):
        self.events.append((logs["epochs"], logs["outcome"]))
        if self.fail_on_end:
            raise OSError("closing failed")


@pytest.mark.parametrize("error, outcome", [(None, "completed"), (RuntimeError, "error"),
                                            (KeyboardInterrupt, "interrupted")])
def test_a_session_always_ends_with_its_outcome(error, outcome):
    rec = Recorder()
    callbacks = CallbackList([rec], None, None)
    try:
        with callbacks.session({}):
            callbacks.epoch_end(0, {})
            if error is not None:
                raise error("stop")
    except BaseException as e:  # noqa: BLE001 - the test re-checks the type
        assert isinstance(e, error)
    assert rec.events == ["begin", 0, (1, outcome)]


def test_a_stop_request_is_the_sessions_outcome_and_every_callback_sees_the_epoch():
    class Stop(Callback):
        def on_epoch_end(self, epoch, logs):
            return True

    rec = Recorder()
    callbacks = CallbackList([Stop(), rec], None, None)
    with callbacks.session({}):
        assert callbacks.epoch_end(0, {}) is True
    assert rec.events == ["begin", 0, (1, "stopped")]


def test_the_original_error_wins_over_a_failing_on_train_end():
    rec = Recorder(fail_on_end=True)
    with pytest.raises(RuntimeError, match="original"), CallbackList([rec], None, None).session({}):
        raise RuntimeError("original")
    assert rec.events[-1] == (0, "error")


def _data(n=53, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    X[rng.random(X.shape) < 0.6] = 0.0
    return X, rng.integers(0, 3, n), rng.uniform(0.0, 2.0, n)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("batch", [1, 8, 53])
def test_sparse_data_trains_batch_by_batch_exactly_as_dense_data(shuffle, weighted, batch):
    X, y, w = _data()
    w[8:16] = 0.0  # a whole batch of 8 without weight: skipped by both paths
    results = []
    for data in (X, sp.csr_matrix(X)):
        net = fb.MLP([6, 5, 3], hidden="relu", output="softmax", loss="cross_entropy", seed=2)
        Y = net._check_Y(y, 53)
        weights = net._check_weights(w, 53) if weighted else None
        opt = fb.Adam(lr=fb.schedules.InverseTimeDecay(0.01, k=0.1))
        runner = Runner(net, data if sp.issparse(data) else net._check_X(data), Y, opt, batch,
                        alpha=1e-3, shuffle=shuffle, seed=np.random.RandomState(4),
                        sample_weight=weights, l2_per_weight=True)
        history = train(runner, 3)
        results.append((net.params, history.loss, opt.t, opt.epochs))
    (p_dense, loss_dense, t_dense, e_dense), (p_sparse, loss_sparse, t_sparse, e_sparse) = results
    np.testing.assert_array_equal(p_sparse, p_dense)
    np.testing.assert_allclose(loss_sparse, loss_dense, rtol=1e-13)
    assert (t_sparse, e_sparse) == (t_dense, e_dense) and e_dense == 3


def test_a_diverging_sparse_epoch_is_rolled_back_whole():
    X, y, _ = _data()
    net = fb.MLP([6, 5, 3], hidden="relu", output="softmax", loss="cross_entropy", seed=2)
    opt = fb.SGD(lr=1e300)
    runner = Runner(net, sp.csr_matrix(X), net._check_Y(y, 53), opt, 8)
    before = net.params.copy()
    with pytest.raises(fb.TrainingDiverged) as info:
        train(runner, 2)
    np.testing.assert_array_equal(net.params, before)
    assert (opt.t, opt.epochs) == (0, 0) and info.value.history.epochs == 0


def test_a_failing_estimator_fit_closes_its_callbacks(tmp_path):
    pytest.importorskip("sklearn")
    X, y, _ = _data()
    log = CSVLogger(tmp_path / "log.csv")
    clf = fb.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5,
                           callbacks=[log, Recorder(fail_at=1)])
    with pytest.raises(RuntimeError, match="callback failed"):
        clf.fit(X, y)
    assert log._file is None  # on_train_end ran and closed the file
    assert not hasattr(clf, "coefs_")  # the failed fit left nothing behind
    assert (tmp_path / "log.csv").read_text().count("\n") == 3  # header and 2 epochs
