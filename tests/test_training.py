"""fit(): the compiled epoch loop against the NumPy reference trainer, the
training modes on learnable problems, history, callbacks, divergence, errors."""
import numpy as np
import pytest
from helpers import make_net, ref_activations, ref_params, targets

import fastbp as fb
from fastbp._kernels import _numpy as ref

# every test runs on every kernel backend (see the backend fixture)
pytestmark = pytest.mark.usefixtures("backend")

OPTIMIZERS = [
    ("sgd", lambda lr: fb.SGD(lr=lr), {}),
    ("sgd", lambda lr: fb.SGD(lr=lr, momentum=0.9), dict(momentum=0.9)),
    ("sgd", lambda lr: fb.SGD(lr=lr, momentum=0.8, nesterov=True),
     dict(momentum=0.8, nesterov=True)),
    ("adagrad", lambda lr: fb.AdaGrad(lr=lr), {}),
    ("rmsprop", lambda lr: fb.RMSprop(lr=lr), {}),
    ("adam", lambda lr: fb.Adam(lr=lr), {}),
]
OPT_IDS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


@pytest.mark.parametrize("kind,make,extra", OPTIMIZERS, ids=OPT_IDS)
@pytest.mark.parametrize("batch_size", [1, 3, None])
@pytest.mark.parametrize("shuffle", [False, True])
def test_fit_matches_the_reference_trainer(kind, make, extra, batch_size, shuffle):
    net = make_net([4, 5, 3], "tanh", "softmax", "cross_entropy", seed=2)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))  # 10 = 3 * 3 + 1: the last mini-batch is short
    T = targets(net, 10, rng)
    W, b = ref_params(net)
    lr = 0.05
    alpha = 0.01
    epochs = 3
    orders = None
    if shuffle:
        # epoch e's order comes from (seed, e)
        orders = [np.random.default_rng([123, e]).permutation(10) for e in range(epochs)]
    want = ref.train(W, b, ref_activations(net), "cross_entropy", X, T,
                     ref.ReferenceOptimizer(kind, lr, **extra), epochs=epochs,
                     batch_size=batch_size or 10, alpha=alpha, orders=orders)
    history = net.fit(X, T, optimizer=make(lr), epochs=epochs, batch_size=batch_size,
                      alpha=alpha, shuffle=shuffle, seed=123)
    np.testing.assert_allclose(history.loss, want, rtol=1e-12)
    for got, w in zip(net.weights + net.biases, W + b):
        np.testing.assert_allclose(got, w, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind,make", [
    ("sgd", lambda s: fb.SGD(lr=s, momentum=0.5)),
    ("adam", lambda s: fb.Adam(lr=s)),
], ids=["momentum", "adam"])
@pytest.mark.parametrize("batch_size", [1, 2])
def test_fit_follows_a_schedule_step_by_step(kind, make, batch_size):
    net = make_net([3, 4, 1], "sigmoid", "identity", "squared")
    rng = np.random.default_rng(1)
    X, T = rng.normal(size=(7, 3)), rng.normal(size=(7, 1))
    W, b = ref_params(net)
    sched = fb.schedules.ExponentialDecay(0.2, k=0.1)
    ref.train(W, b, ref_activations(net), "squared", X, T,
              ref.ReferenceOptimizer(kind, 0.2, momentum=0.5), epochs=2, batch_size=batch_size,
              rates=sched)
    history = net.fit(X, T, optimizer=make(sched), epochs=2, batch_size=batch_size, shuffle=False)
    for got, w in zip(net.weights + net.biases, W + b):
        np.testing.assert_allclose(got, w, rtol=1e-12)
    steps_per_epoch = -(-7 // batch_size)
    assert history.lr == [0.2, pytest.approx(0.2 * np.exp(-0.1 * steps_per_epoch))]


def test_epoch_schedules_change_the_rate_between_epochs():
    net = make_net([2, 2, 1], "tanh", "identity", "squared")
    X, T = np.ones((4, 2)), np.zeros(4)
    h = net.fit(X, T, optimizer=fb.SGD(lr=fb.schedules.StepDecay(0.1, factor=0.5, every=2)),
                epochs=5)
    assert h.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def _xor():
    return np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([0, 1, 1, 0], float)


def _spiral(n=60, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.25, 2 * np.pi, n)
    arm = np.c_[t * np.cos(t), t * np.sin(t)] / (2 * np.pi)
    X = np.r_[arm, -arm] + rng.normal(scale=0.02, size=(2 * n, 2))
    return X, np.r_[np.zeros(n, int), np.ones(n, int)]


LEARNING_RATES = {"sgd": 1.0, "momentum": 0.3, "nesterov": 0.3, "adagrad": 1.0, "rmsprop": 0.03,
                  "adam": 0.03}


@pytest.mark.parametrize("opt_id", OPT_IDS)
@pytest.mark.parametrize("batch_size", [1, 2, None], ids=["stochastic", "minibatch", "batch"])
def test_every_mode_and_optimizer_learns_xor(opt_id, batch_size):
    X, y = _xor()
    kind, make, _ = OPTIMIZERS[OPT_IDS.index(opt_id)]
    net = fb.MLP([2, 4, 1], hidden="sigmoid", output="sigmoid", loss="squared", seed=0,
                 init="uniform", init_scale=1.0)
    before = net.loss(X, y)
    net.fit(X, y, optimizer=make(LEARNING_RATES[opt_id]), epochs=2000, batch_size=batch_size,
            shuffle=True, seed=0)
    after = net.loss(X, y)
    assert after < 0.25 * before, (before, after)
    assert ((net.forward(X)[:, 0] > 0.5) == (y > 0.5)).all()


# learning rates for (stochastic, mini-batch, batch) found to learn the spiral
SPIRAL_RATES = {"sgd": (0.03, 0.1, 0.3), "momentum": (0.003, 0.03, 0.1),
                "nesterov": (0.003, 0.03, 0.1), "adagrad": (0.3, 0.3, 0.3),
                "rmsprop": (0.003, 0.03, 0.03), "adam": (0.003, 0.03, 0.03)}


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
@pytest.mark.parametrize("opt_id", OPT_IDS)
@pytest.mark.parametrize("mode", range(3), ids=["stochastic", "minibatch", "batch"])
def test_every_mode_and_optimizer_learns_the_spiral(hidden, opt_id, mode):
    X, y = _spiral()
    kind, make, _ = OPTIMIZERS[OPT_IDS.index(opt_id)]
    batch_size, epochs = [(1, 100), (16, 400), (None, 2000)][mode]
    net = fb.MLP([2, 16, 16, 2], hidden=hidden, output="softmax", loss="cross_entropy", seed=1)
    before = net.loss(X, y)
    h = net.fit(X, y, optimizer=make(SPIRAL_RATES[opt_id][mode]), epochs=epochs,
                batch_size=batch_size, shuffle=True, seed=0)
    assert h.loss[-1] < h.loss[0]
    assert net.loss(X, y) < 0.3 * before, (before, net.loss(X, y))
    assert (net.forward(X).argmax(axis=1) == y).mean() >= 0.9


def test_float32_training_follows_float64_within_rounding():
    X, y = _spiral(40)
    nets = {d: fb.MLP([2, 8, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=5,
                      dtype=d)
            for d in ("float64", "float32")}
    hist = {d: net.fit(X, y, optimizer=fb.Adam(lr=0.01), epochs=5, batch_size=8, shuffle=True,
                       seed=1)
            for d, net in nets.items()}
    assert nets["float32"].params.dtype == np.float32
    np.testing.assert_allclose(nets["float32"].params, nets["float64"].params, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(hist["float32"].loss, hist["float64"].loss, rtol=1e-4)


def test_an_optimizer_carries_its_state_across_fit_calls():
    X, y = _spiral(20)
    a = fb.MLP([2, 5, 2], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    b = a.copy()
    a.fit(X, y, optimizer=fb.Adam(lr=0.01), epochs=2, batch_size=4, shuffle=False)
    opt = fb.Adam(lr=0.01)
    b.fit(X, y, optimizer=opt, epochs=1, batch_size=4, shuffle=False)
    b.fit(X, y, optimizer=opt, epochs=1, batch_size=4, shuffle=False)
    np.testing.assert_array_equal(a.params, b.params)
    assert opt.t == 2 * 10 and opt.epochs == 2
    # used with another network it starts afresh
    c = fb.MLP([2, 5, 2], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    c.fit(X, y, optimizer=opt, epochs=1, batch_size=4, shuffle=False)
    assert opt.t == 10


def test_batch_size_larger_than_the_data_is_batch_mode():
    X, y = _xor()
    a = fb.MLP([2, 3, 1], seed=0)
    b = a.copy()
    a.fit(X, y, optimizer=fb.SGD(lr=0.5), epochs=3, batch_size=None, shuffle=False)
    b.fit(X, y, optimizer=fb.SGD(lr=0.5), epochs=3, batch_size=100, shuffle=False)
    np.testing.assert_array_equal(a.params, b.params)


def test_zero_epochs_change_nothing():
    X, y = _xor()
    net = fb.MLP([2, 3, 1], seed=0)
    before = net.params.copy()
    h = net.fit(X, y, epochs=0)
    assert h.loss == [] and h.epochs == 0
    np.testing.assert_array_equal(net.params, before)


def test_history_validation_loss_and_callbacks():
    X, y = _spiral(30)
    Xv, yv = _spiral(10, seed=1)
    net = fb.MLP([2, 6, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    seen = []

    def record(epoch, logs):
        seen.append((epoch, dict(logs), net.loss(Xv, yv, alpha=0.001)))

    class StopAtThree:
        def on_epoch_end(self, epoch, logs):
            return epoch == 2

    h = net.fit(X, y, optimizer="adam", epochs=10, batch_size=8, alpha=0.001,
                validation_data=(Xv, yv), callbacks=[record, StopAtThree()])
    assert h.epochs == 3 and len(h.val_loss) == 3 and len(h.lr) == 3
    assert [s[0] for s in seen] == [0, 1, 2]
    for (_epoch, logs, val), loss, val_loss in zip(seen, h.loss, h.val_loss):
        assert (logs["loss"] == loss
                and logs["val_loss"] == val_loss == pytest.approx(val, rel=1e-12))
        assert logs["lr"] == 0.001


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = _xor()
    # verbose=True: tests/test_callbacks.py
    fb.MLP([2, 3, 1], seed=0).fit(X, y, epochs=3, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[2].startswith("epoch 3/3 - loss ")


def test_the_loss_reported_is_the_running_mean_of_the_batch_losses():
    X, y = _xor()
    net = fb.MLP([2, 3, 1], seed=0)
    probe = net.copy()
    expected = 0.0
    for i in range(4):  # per-example: each loss is taken before that example's update
        expected += probe.loss(X[i:i + 1], y[i:i + 1], alpha=0.1) / 4
        probe.fit(X[i:i + 1], y[i:i + 1], optimizer=fb.SGD(lr=0.3), alpha=0.1)
    h = net.fit(X, y, optimizer=fb.SGD(lr=0.3), alpha=0.1, batch_size=1, shuffle=False)
    assert h.loss[0] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(net.params, probe.params, rtol=1e-14)


@pytest.mark.parametrize("batch_size", [1, 3, None])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("l2_per_weight", [False, True])
def test_weighted_training_matches_the_reference(batch_size, shuffle, l2_per_weight):
    from fastbp._runner import Runner
    net = make_net([3, 5, 2], "relu", "softmax", "cross_entropy", seed=4)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(10, 3))
    T = targets(net, 10, rng)
    w = rng.uniform(0.2, 2.0, 10)
    w[[1, 2, 3]] = 0.0  # with batch_size 3, the first batch counts for nothing
    W, b = ref_params(net)
    orders = None
    if shuffle:
        orders = [np.random.default_rng([9, e]).permutation(10) for e in range(3)]
    want = ref.train(W, b, ref_activations(net), "cross_entropy", X, T,
                     ref.ReferenceOptimizer("adam", 0.01), epochs=3, batch_size=batch_size or 10,
                     alpha=0.05, orders=orders, sample_weight=w, l2_per_weight=l2_per_weight)
    runner = Runner(net, net._check_X(X), net._check_Y(T, 10), fb.Adam(lr=0.01),
                         batch_size or 10, alpha=0.05, shuffle=shuffle, seed=9,
                         sample_weight=net._check_weights(w, 10), l2_per_weight=l2_per_weight)
    got = [runner.run_epoch(e + 1).loss for e in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    for a, r in zip(net.weights + net.biases, W + b):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-13)


def test_fit_takes_sample_weights():
    X, y = _spiral(20)
    a = fb.MLP([2, 5, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    b = a.copy()
    reps = np.tile([1, 2], 20)
    a.fit(X, y, optimizer=fb.SGD(lr=0.1), epochs=3, batch_size=None, sample_weight=reps)
    b.fit(np.repeat(X, reps, axis=0), np.repeat(y, reps), optimizer=fb.SGD(lr=0.1), epochs=3,
          batch_size=None)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_lr_in_velocity_momentum_matches_the_reference_under_a_schedule(nesterov):
    net = make_net([3, 4, 1], "tanh", "identity", "squared")
    rng = np.random.default_rng(3)
    X, T = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    W, b = ref_params(net)
    sched = fb.schedules.InverseTimeDecay(0.1, k=0.3)
    ref.train(W, b, ref_activations(net), "squared", X, T,
              ref.ReferenceOptimizer("sgd", 0.1, momentum=0.9, nesterov=nesterov,
                                     lr_in_velocity=True),
              epochs=2, batch_size=2, rates=sched)
    net.fit(X, T, optimizer=fb.SGD(lr=sched, momentum=0.9, nesterov=nesterov, lr_in_velocity=True),
            epochs=2, batch_size=2, shuffle=False)
    for got, w in zip(net.weights + net.biases, W + b):
        np.testing.assert_allclose(got, w, rtol=1e-12)
    # with a changing rate the two momentum forms part ways
    other = make_net([3, 4, 1], "tanh", "identity", "squared")
    other.fit(X, T, optimizer=fb.SGD(lr=sched, momentum=0.9, nesterov=nesterov), epochs=2,
              batch_size=2, shuffle=False)
    assert not np.allclose(other.params, net.params, rtol=1e-6)


# --- divergence ------------------------------------------------------------------
def test_divergence_stops_with_a_clear_error_and_restores_the_last_good_epoch():
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(20, 3)) * 10, rng.normal(size=(20, 1)) * 100
    template = fb.MLP([3, 8, 1], hidden="identity", output="identity", seed=0)

    def train(epochs):
        net = template.copy()
        opt = fb.SGD(lr=0.002, momentum=0.9)
        return net, opt, net.fit(X, T, optimizer=opt, epochs=epochs, batch_size=4, shuffle=False)

    net, opt = template.copy(), fb.SGD(lr=0.002, momentum=0.9)
    with pytest.raises(fb.TrainingDiverged, match=r"diverged in epoch (\d+).*restored") as info:
        net.fit(X, T, optimizer=opt, epochs=50, batch_size=4, shuffle=False)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.epoch > 1 and err.history.epochs == err.epoch - 1
    good, good_opt, _ = train(err.epoch - 1)
    np.testing.assert_array_equal(net.params, good.params)
    assert opt.t == good_opt.t and opt.epochs == good_opt.epochs
    np.testing.assert_array_equal(opt._state[0], good_opt._state[0])
    assert np.isfinite(net.params).all() and np.isfinite(net.loss(X, T))


def test_divergence_can_stop_quietly_for_sweeps():
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(20, 3)) * 10, rng.normal(size=(20, 1)) * 100
    loud, quiet = (fb.MLP([3, 8, 1], hidden="identity", output="identity", seed=0)
                   for _ in range(2))
    with pytest.raises(fb.TrainingDiverged) as info:
        loud.fit(X, T, optimizer=fb.SGD(lr=0.02, momentum=0.9), epochs=50, batch_size=4,
                 shuffle=False)
    history = quiet.fit(X, T, optimizer=fb.SGD(lr=0.02, momentum=0.9), epochs=50, batch_size=4,
                        shuffle=False, on_divergence="stop")
    assert isinstance(history.diverged, fb.TrainingDiverged)
    assert history.diverged.epoch == info.value.epoch and history.epochs == info.value.epoch - 1
    np.testing.assert_array_equal(quiet.params, loud.params)
    assert fb.MLP([2, 1]).fit(np.ones((2, 2)), [0.0, 1.0]).diverged is None
    with pytest.raises(ValueError, match="on_divergence must be 'raise' or 'stop'"):
        quiet.fit(X, T, on_divergence="ignore")


def test_an_update_that_overflows_the_parameters_is_undone():
    # a finite loss, then an update so large that the weights overflow to inf
    net = fb.MLP([2, 3, 1], hidden="tanh", output="identity", seed=0)
    before = net.params.copy()
    opt = fb.SGD(lr=1e307)
    with pytest.raises(fb.TrainingDiverged, match="at its last update") as info:
        net.fit(np.ones((4, 2)) * 1e3, np.full(4, 1e3), optimizer=opt, epochs=3, batch_size=None)
    assert info.value.epoch == 1 and info.value.step is None
    np.testing.assert_array_equal(net.params, before)
    assert opt.t == 0 and opt.epochs == 0


# --- bad arguments -------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,err,match", [
    (dict(batch_size=0), ValueError, "batch_size must be >= 1, got 0"),
    (dict(batch_size=-2), ValueError, "batch_size must be >= 1"),
    (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
    (dict(epochs=-1), ValueError, "epochs must be >= 0"),
    (dict(epochs=None), TypeError, "epochs must be an integer"),
    (dict(optimizer="lbfgs"), ValueError, "unknown optimizer 'lbfgs'"),
    (dict(alpha=float("nan")), ValueError, "alpha"),
    (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
    (dict(validation_data=np.ones(3)), TypeError, "validation_data must be a pair"),
    (dict(validation_data=(np.ones((2, 3)), np.ones(2))), ValueError,
     "X_val has 3 features per sample"),
    (dict(callbacks=[1]), TypeError, "callback must be callable"),
])
def test_bad_fit_arguments_are_refused_before_training(kwargs, err, match):
    X, y = _xor()
    net = fb.MLP([2, 3, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(err, match=match):
        net.fit(X, y, **kwargs)
    np.testing.assert_array_equal(net.params, before)


def test_bad_training_data_is_refused_before_training():
    net = fb.MLP([2, 3, 3], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match=r"labels in Y must be in \[0, 3\)"):
        net.fit(np.ones((3, 2)), [0, 1, 3])
    with pytest.raises(ValueError, match="NaN"):
        net.fit(np.array([[0, 1], [np.nan, 0]]), [0, 1])
    with pytest.raises(ValueError, match="empty"):
        net.fit(np.ones((0, 2)), [])
    np.testing.assert_array_equal(net.params, before)
