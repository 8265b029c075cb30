"""Optimizer.step: one update of any vector, the same as fit's."""
import pickle

import numpy as np
import pytest

import fastbp as fb
from fastbp._kernels import _numpy as ref
from fastbp.schedules import ExponentialDecay, StepDecay

pytestmark = pytest.mark.usefixtures("backend")

STEPS = 8


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, 3))
    Y = rng.normal(size=(20, 2))
    net = fb.MLP([3, 5, 2], hidden="tanh", output="identity", loss="squared", seed=seed)
    return net, X, Y


def flat_gradient(net, X, Y):
    dW, db = net.gradients(X, Y)
    return np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(dW, db)])


OPTIMIZERS = {
    "sgd": (lambda: fb.SGD(lr=0.1), ("sgd", 0.1, {})),
    "momentum": (lambda: fb.SGD(lr=0.05, momentum=0.9), ("sgd", 0.05, {"momentum": 0.9})),
    "nesterov": (lambda: fb.SGD(lr=0.05, momentum=0.9, nesterov=True),
                 ("sgd", 0.05, {"momentum": 0.9, "nesterov": True})),
    "adagrad": (lambda: fb.AdaGrad(lr=0.1), ("adagrad", 0.1, {})),
    "rmsprop": (lambda: fb.RMSprop(lr=0.01), ("rmsprop", 0.01, {})),
    "adam": (lambda: fb.Adam(lr=0.01), ("adam", 0.01, {})),
    "adam_schedule": (lambda: fb.Adam(lr=ExponentialDecay(0.02, k=0.1)), None),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_steps_on_the_gradient_vector_equal_full_batch_training(name):
    make, reference = OPTIMIZERS[name]
    trained, X, Y = make_problem()
    stepped = trained.copy()
    params = stepped.params.copy()
    by_fit, by_step = make(), make()
    ref_opt = None if reference is None else ref.ReferenceOptimizer(reference[0], reference[1],
                                                                   **reference[2])
    ref_params = params.copy()
    for k in range(STEPS):
        g = flat_gradient(stepped, X, Y)
        assert by_step.step(params, g) is params and by_step.t == k + 1
        stepped.params = params
        trained.fit(X, Y, optimizer=by_fit, batch_size=None, epochs=1)
        np.testing.assert_allclose(params, trained.params, rtol=1e-12, atol=1e-14)
        if ref_opt is not None:
            net = trained.copy()
            net.params = ref_params
            ref_opt.step([ref_params], [flat_gradient(net, X, Y)])
            np.testing.assert_allclose(ref_params, params, rtol=1e-10, atol=1e-13)


def test_per_epoch_schedules_see_the_epochs_the_caller_counts():
    trained, X, Y = make_problem(1)
    by_fit, by_step = (fb.SGD(lr=StepDecay(0.2, factor=0.5, every=2)) for _ in range(2))
    params = trained.params.copy()
    stepped = trained.copy()
    for _ in range(6):
        by_step.step(params, flat_gradient(stepped, X, Y))
        by_step.epochs += 1  # step counts updates, not epochs
        stepped.params = params
        trained.fit(X, Y, optimizer=by_fit, batch_size=None, epochs=1)
    np.testing.assert_allclose(params, trained.params, rtol=1e-12)
    # without advancing epochs the schedule stays at epoch 0
    frozen = fb.SGD(lr=StepDecay(0.2, factor=0.5, every=1))
    x = np.ones(2)
    for _ in range(3):
        frozen.step(x, np.ones(2))
    np.testing.assert_allclose(x, 1 - 3 * 0.2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_keeps_state_per_array_and_dtype(dtype):
    opt = fb.SGD(lr=0.1, momentum=0.5)
    x = np.array([1.0, -2.0], dtype=dtype)
    opt.step(x, np.ones(2, dtype=dtype))
    opt.step(x, np.ones(2, dtype=dtype))      # v = 1.5 on the second step
    np.testing.assert_allclose(x, [1 - 0.1 - 0.15, -2 - 0.1 - 0.15], rtol=1e-6)
    assert x.dtype == dtype
    y = np.zeros(2, dtype=dtype)
    opt.step(y, np.ones(2, dtype=dtype))      # another array: fresh state and count
    assert opt.t == 1
    np.testing.assert_allclose(y, [-0.1, -0.1], rtol=1e-6)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.t == 1


def test_step_accepts_a_strided_gradient():
    x = np.zeros(3)
    fb.SGD(lr=1.0).step(x, np.arange(6.0)[::2])
    np.testing.assert_array_equal(x, [0.0, -2.0, -4.0])


@pytest.mark.parametrize("params, grad, error, match", [
    ([1.0, 2.0], np.ones(2), TypeError, "params must be a numpy array, got list"),
    (np.ones(2), [1.0, 1.0], TypeError, "grad must be a numpy array"),
    (np.ones((2, 2)), np.ones((2, 2)), ValueError, "params must be a 1-D array, got 2"),
    (np.ones(2, dtype=int), np.ones(2, dtype=int), TypeError, "float32 or float64, got int"),
    (np.ones(2), np.ones(2, dtype=np.float32), TypeError, r"dtype of params \(float64\)"),
    (np.ones(2), np.ones(3), ValueError, r"shape of params \(2,\), got \(3,\)"),
    (np.ones(4)[::2], np.ones(2), ValueError, "params must be C-contiguous"),
    (np.ones(2), np.array([1.0, np.nan]), ValueError, "grad contains NaN or infinity"),
])
def test_step_errors_name_the_argument(params, grad, error, match):
    opt = fb.Adam()
    with pytest.raises(error, match=match):
        opt.step(params, grad)
    assert opt.t == 0


def test_step_refuses_a_read_only_array():
    x = np.ones(2)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="params must be writable"):
        fb.SGD().step(x, np.ones(2))
