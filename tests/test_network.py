"""MLP: layout, initialization, forward, loss and gradients against the NumPy
reference and central finite differences; input handling and errors."""
import pickle

import numpy as np
import pytest
from helpers import HIDDEN, OUTPUT_LOSS, make_net, ref_activations, ref_params, targets, tolerance

import fastbp as fb
from fastbp._kernels import _numpy as ref

# every test runs on every kernel backend (see the backend fixture)
pytestmark = pytest.mark.usefixtures("backend")


# --- layout ------------------------------------------------------------------
def test_params_are_one_flat_vector_with_writable_views():
    net = fb.MLP([4, 3, 2], seed=0)
    assert net.params.shape == (4 * 3 + 3 + 3 * 2 + 2,) == (net.n_params,)
    assert [w.shape for w in net.weights] == [(4, 3), (3, 2)]
    assert [b.shape for b in net.biases] == [(3,), (2,)]
    net.weights[1][2, 1] = 7.0
    net.biases[0][1] = -3.0
    # layout: W1 row-major, b1, W2, b2
    assert net.params[12 + 3 + 2 * 2 + 1] == 7.0
    assert net.params[12 + 1] == -3.0
    net.params[0] = 5.0
    assert net.weights[0][0, 0] == 5.0
    for a in net.weights + net.biases:
        assert np.shares_memory(a, net.params)


def test_params_setter_copies_in_place_and_checks():
    net = fb.MLP([2, 2, 1], seed=0)
    view = net.weights[0]
    net.params = np.arange(net.n_params)
    assert view[1, 1] == 3.0
    with pytest.raises(ValueError, match="shape"):
        net.params = np.zeros(3)
    with pytest.raises(ValueError, match="NaN"):
        net.params = np.full(net.n_params, np.nan)


@pytest.mark.parametrize("init", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                  "uniform"])
def test_init_schemes_have_the_documented_scale(init):
    net = fb.MLP([400, 300, 10], init=init, init_scale=0.25, seed=1)
    w = net.weights[0]
    fan_in, fan_out = w.shape
    expected_std = {
        "glorot_uniform": np.sqrt(2 / (fan_in + fan_out)),
        "glorot_normal": np.sqrt(2 / (fan_in + fan_out)),
        "he_uniform": np.sqrt(2 / fan_in),
        "he_normal": np.sqrt(2 / fan_in),
        "uniform": 0.25 / np.sqrt(3),
    }[init]
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.mean()) < 0.01 * expected_std * 10
    if init.endswith("uniform"):
        limit = 0.25 if init == "uniform" else np.sqrt(3) * expected_std
        assert np.abs(w).max() <= limit
    assert all((b == 0).all() for b in net.biases)


def test_init_is_reproducible_and_float32_is_the_rounded_float64():
    a = fb.MLP([5, 4, 3], seed=42)
    b = fb.MLP([5, 4, 3], seed=42)
    c = fb.MLP([5, 4, 3], seed=42, dtype="float32")
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.params.astype(np.float32), c.params)
    assert not np.array_equal(a.params, fb.MLP([5, 4, 3], seed=43).params)


def test_zeros_init_is_refused_with_hidden_layers_only():
    with pytest.raises(ValueError, match="zeros.*hidden"):
        fb.MLP([3, 2, 1], init="zeros")
    net = fb.MLP([3, 1], init="zeros")
    assert (net.params == 0).all()


def test_pickle_round_trip_keeps_parameters_and_views():
    net = make_net([3, 4, 2], "tanh", "softmax", "cross_entropy")
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(clone.params, net.params)
    clone.weights[0][0, 0] = 99.0
    assert clone.params[0] == 99.0 and net.params[0] != 99.0
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(clone.copy().forward(X),
                                  pickle.loads(pickle.dumps(clone)).forward(X))


# --- forward, loss, gradients against the reference ----------------------------
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_loss_gradients_match_reference(hidden, output, loss, dtype):
    net = make_net([5, 7, 6, 3], hidden, output, loss, dtype=dtype)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(11, 5))
    T = targets(net, 11, rng)
    W, b = ref_params(net)
    acts = ref_activations(net)
    tol = tolerance(dtype)
    np.testing.assert_allclose(net.forward(X),
                               ref.forward(W, b, acts, X.astype(dtype).astype(float))[-1],
                               rtol=tol * 10, atol=tol)
    Xd = X.astype(dtype).astype(float)
    Td = T.astype(dtype).astype(float)
    for alpha in (0.0, 0.3):
        assert net.loss(X, T, alpha=alpha) == pytest.approx(
            ref.loss(W, b, acts, loss, Xd, Td, alpha), rel=tol * 10)
        dW, db = net.gradients(X, T, alpha=alpha)
        rW, rb = ref.gradients(W, b, acts, loss, Xd, Td, alpha)
        for got, want in zip(dW + db, rW + rb):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=tol * 100, atol=tol * 10)


@pytest.mark.parametrize("n_hidden", [0, 1, 2, 3])
def test_large_layers_use_blas_and_agree_with_reference(n_hidden, dtype):
    # widths large enough that every product goes through BLAS (>= 2048 multiply-adds)
    sizes = [40] + [33] * n_hidden + [12]
    net = make_net(sizes, "tanh", "softmax", "cross_entropy", dtype=dtype)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(70, 40))
    T = targets(net, 70, rng)
    W, b = ref_params(net)
    Xd, Td = X.astype(dtype).astype(float), T.astype(dtype).astype(float)
    tol = tolerance(dtype)
    np.testing.assert_allclose(net.forward(X), ref.forward(W, b, ref_activations(net), Xd)[-1],
                               rtol=tol * 100, atol=tol * 10)
    dW, db = net.gradients(X, T, alpha=0.1)
    rW, rb = ref.gradients(W, b, ref_activations(net), "cross_entropy", Xd, Td, 0.1)
    for got, want in zip(dW + db, rW + rb):
        np.testing.assert_allclose(got, want, rtol=tol * 1000, atol=tol * 100)


def test_data_larger_than_one_pass_is_processed_in_chunks(monkeypatch):
    import fastbp._buffers as buffers
    import fastbp.network as network
    monkeypatch.setattr(buffers, "_BUFFER_VALUES", 64)
    net = make_net([3, 5, 2], "relu", "identity", "squared")
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(1000, 3)), rng.normal(size=(1000, 2))
    assert buffers.rows_per_pass(1000, net._topology.n_units, minimum=1) < 1000
    monkeypatch.setattr(network, "rows_per_pass",
                        lambda n, units, minimum=1: min(n, 37))  # 1000 = 27 * 37 + 1
    W, b = ref_params(net)
    np.testing.assert_allclose(net.forward(X), ref.forward(W, b, ref_activations(net), X)[-1],
                               rtol=1e-12)
    assert net.loss(X, T) == pytest.approx(ref.loss(W, b, ref_activations(net), "squared", X, T),
                                           rel=1e-12)
    dW, db = net.gradients(X, T)
    for got, want in zip(dW + db,
                         sum(ref.gradients(W, b, ref_activations(net), "squared", X, T), [])):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


# --- finite differences ---------------------------------------------------------
def _finite_difference_gradient(net, X, T, alpha, h=1e-6):
    flat = net.params
    grad = np.empty_like(flat)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = net.loss(X, T, alpha)
        flat[i] = old - h
        down = net.loss(X, T, alpha)
        flat[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_gradients_match_central_finite_differences(hidden, output, loss, depth):
    sizes = [4] + [5, 4, 3][:depth] + [3]
    net = make_net(sizes, hidden, output, loss, seed=depth)
    rng = np.random.default_rng(depth)
    X = rng.normal(size=(6, 4))
    T = targets(net, 6, rng)
    for alpha in (0.0, 0.05):
        dW, db = net.gradients(X, T, alpha)
        analytic = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(dW, db)])
        numeric = _finite_difference_gradient(net, X, T, alpha)
        rel = np.linalg.norm(analytic - numeric) / max(np.linalg.norm(analytic + numeric), 1e-12)
        assert rel < 1e-6, rel


@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("identity", "squared"),
                                         ("exp", "poisson")])
def test_weighted_loss_and_gradients(output, loss, dtype):
    net = make_net([4, 6, 3], "tanh", output, loss, dtype=dtype, scale=0.3)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(9, 4))
    T = targets(net, 9, rng)
    w = rng.uniform(0, 3, 9)
    w[2] = 0.0
    W, b = ref_params(net)
    Xd, Td = X.astype(dtype).astype(float), T.astype(dtype).astype(float)
    wd = w.astype(dtype).astype(float)
    tol = tolerance(dtype)
    want = ref.loss(W, b, ref_activations(net), loss, Xd, Td, 0.2, wd)
    assert net.loss(X, T, alpha=0.2, sample_weight=w) == pytest.approx(want, rel=tol * 10)
    dW, db = net.gradients(X, T, alpha=0.2, sample_weight=w)
    rW, rb = ref.gradients(W, b, ref_activations(net), loss, Xd, Td, 0.2, wd)
    for got, want in zip(dW + db, rW + rb):
        np.testing.assert_allclose(got, want, rtol=tol * 100, atol=tol * 10)
    # integer weights mean repeated examples
    reps = np.array([1, 2, 0, 1, 3, 1, 1, 2, 1])
    np.testing.assert_allclose(net.loss(X, T, sample_weight=reps),
                               net.loss(np.repeat(X, reps, axis=0), np.repeat(T, reps, axis=0)),
                               rtol=tol * 10)


def test_weighted_gradients_match_finite_differences():
    net = make_net([3, 4, 2], "sigmoid", "exp", "poisson", scale=0.5)
    rng = np.random.default_rng(2)
    X, T, w = (rng.normal(size=(5, 3)), rng.poisson(2.0, (5, 2)).astype(float),
               rng.uniform(0.1, 2, 5))
    dW, db = net.gradients(X, T, 0.1, sample_weight=w)
    analytic = np.concatenate([np.concatenate([a.ravel(), c]) for a, c in zip(dW, db)])
    flat, h = net.params, 1e-6
    numeric = np.empty_like(flat)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = net.loss(X, T, 0.1, sample_weight=w)
        flat[i] = old - h
        numeric[i] = (up - net.loss(X, T, 0.1, sample_weight=w)) / (2 * h)
        flat[i] = old
    assert np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric) < 1e-6


def test_bad_sample_weights_are_refused():
    net = make_net([2, 3, 1], "tanh", "identity", "squared")
    X, y = np.ones((3, 2)), np.zeros(3)
    for w, match in [(np.ones(2), r"shape \(3,\)"), (np.array([1, -1, 1]), ">= 0"),
                     (np.zeros(3), "sums to zero"), (np.array([1, np.nan, 1]), "NaN"),
                     (np.array(["a", "b", "c"]), "real numbers")]:
        with pytest.raises((ValueError, TypeError), match=match):
            net.loss(X, y, sample_weight=w)
    assert net.loss(X, y, sample_weight=2.0) == net.loss(X, y)


def test_poisson_needs_exp_output_and_non_negative_targets():
    with pytest.raises(ValueError, match="loss='poisson' needs output='exp'"):
        fb.MLP([2, 3, 1], output="identity", loss="poisson")
    net = fb.MLP([2, 3, 1], output="exp", loss="poisson", seed=0)
    with pytest.raises(ValueError, match="Poisson targets in Y must be >= 0"):
        net.loss(np.ones((2, 2)), [1.0, -1.0])


def test_gradients_of_a_network_without_hidden_layers():
    net = make_net([3, 2], [], "softmax", "cross_entropy")
    X = np.random.default_rng(0).normal(size=(4, 3))
    T = np.eye(2)[[0, 1, 1, 0]]
    dW, db = net.gradients(X, T)
    O = net.forward(X)
    np.testing.assert_allclose(dW[0], X.T @ (O - T) / 4, rtol=1e-12)
    np.testing.assert_allclose(db[0], (O - T).mean(axis=0), rtol=1e-12)


# --- targets and inputs ------------------------------------------------------------
def test_1d_labels_are_one_hot_for_softmax_and_a_column_otherwise():
    net = make_net([2, 3, 3], "tanh", "softmax", "cross_entropy")
    X = np.random.default_rng(0).normal(size=(4, 2))
    labels = np.array([0, 2, 1, 2])
    assert net.loss(X, labels) == net.loss(X, np.eye(3)[labels])
    assert net.loss(X, labels.astype(float)) == net.loss(X, np.eye(3)[labels])
    single = make_net([2, 3, 1], "tanh", "identity", "squared")
    y = np.array([0.5, -1.0, 2.0, 0.0])
    assert single.loss(X, y) == single.loss(X, y[:, None])


def test_saturated_outputs_give_a_large_finite_cross_entropy():
    net = fb.MLP([1, 2], hidden=[], output="softmax", loss="cross_entropy")
    net.weights[0][...] = [[800.0, -800.0]]
    loss = net.loss([[1.0]], [1])
    assert np.isfinite(loss) and loss > 700
    binary = fb.MLP([1, 1], hidden=[], output="sigmoid", loss="cross_entropy")
    binary.weights[0][...] = 1000.0
    assert np.isfinite(binary.loss([[1.0]], [0.0])) and binary.loss([[1.0]], [0.0]) > 700


@pytest.mark.parametrize("kind", ["readonly", "noncontiguous", "fortran", "int", "bool", "float16",
                                  "list"])
def test_any_layout_and_numeric_dtype_is_read_correctly(kind, dtype):
    net = make_net([3, 4, 2], "sigmoid", "identity", "squared", dtype=dtype)
    rng = np.random.default_rng(0)
    base = rng.integers(-3, 4, size=(5, 3)).astype(np.float64)
    T = rng.normal(size=(5, 2))
    if kind == "readonly":
        X = base.copy()
        X.setflags(write=False)
    elif kind == "noncontiguous":
        X = np.repeat(base, 2, axis=1)[:, ::2]
    elif kind == "fortran":
        X = np.asfortranarray(base)
    elif kind == "int":
        X = base.astype(np.int32)
    elif kind == "bool":
        base = (base > 0).astype(np.float64)
        X = base > 0
    elif kind == "float16":
        X = base.astype(np.float16)
    else:
        X = base.tolist()
    expected = net.forward(np.ascontiguousarray(base))
    np.testing.assert_array_equal(net.forward(X), expected)
    Tk = np.asfortranarray(T) if kind == "fortran" else T
    assert net.loss(X, Tk) == net.loss(base, T)


# --- errors --------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    (dict(layer_sizes=[3]), "at least an input and an output"),
    (dict(layer_sizes=[3, 0, 1]), "integers >= 1"),
    (dict(layer_sizes=[3, 2.5, 1]), "integers >= 1"),
    (dict(layer_sizes=[3, 2, 1], hidden="swish"), "unknown hidden activation 'swish'"),
    (dict(layer_sizes=[3, 2, 1], hidden="softmax"), "unknown hidden activation 'softmax'"),
    (dict(layer_sizes=[3, 2, 2, 1], hidden=["relu"]), "1 activations for 2 hidden layers"),
    (dict(layer_sizes=[3, 2, 1], output="gelu"), "unknown output activation"),
    (dict(layer_sizes=[3, 2, 1], loss="hinge"), "unknown loss 'hinge'"),
    (dict(layer_sizes=[3, 2, 1], output="identity", loss="cross_entropy"),
     "needs output='softmax'"),
    (dict(layer_sizes=[3, 2, 1], output="softmax"), "at least 2 units"),
    (dict(layer_sizes=[3, 2, 1], init="orthogonal"), "unknown init"),
    (dict(layer_sizes=[3, 2, 1], init_scale=-1), "init_scale"),
    (dict(layer_sizes=[3, 2, 1], dtype="float16"), "dtype must be 'float64' or 'float32'"),
])
def test_bad_model_definitions_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fb.MLP(**kwargs)


def test_bad_inputs_are_refused_with_clear_errors():
    net = make_net([3, 4, 2], "sigmoid", "softmax", "cross_entropy")
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="has 2 features per sample, the network expects 3"):
        net.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match="must be 2-D.*reshape"):
        net.forward(np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        net.forward(np.ones((0, 3)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.forward(np.array([[1, np.nan, 0]] * 4))
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.forward(np.array([[1, np.inf, 0]]))
    with pytest.raises(ValueError, match="too large for float32"):
        make_net([3, 2, 1], "tanh", "identity", "squared", dtype="float32").forward([[1e300, 0, 0]])
    with pytest.raises(TypeError, match="real numbers"):
        net.forward(np.array([["a", "b", "c"]]))
    with pytest.raises(TypeError, match="real numbers"):
        net.forward(np.ones((2, 3), dtype=complex))
    with pytest.raises(ValueError, match=r"labels in Y must be in \[0, 2\)"):
        net.loss(X, [0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"labels in Y must be in \[0, 2\)"):
        net.loss(X, [0, 1, -1, 0])
    with pytest.raises(ValueError, match="non-integers"):
        net.loss(X, [0, 1, 0.5, 0])
    with pytest.raises(ValueError, match="Y has 3 samples but X has 4"):
        net.loss(X, [0, 1, 1])
    with pytest.raises(ValueError, match="3 outputs per sample, the network has 2"):
        net.loss(X, np.ones((4, 3)) / 3)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        net.loss(X, np.full((4, 2), 2.0))
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.loss(X, np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="alpha"):
        net.loss(X, [0, 1, 1, 0], alpha=-1)
    regression = make_net([3, 2, 2], "relu", "identity", "squared")
    with pytest.raises(ValueError, match="1-D targets are read as labels only"):
        regression.loss(X, np.ones(4))


# --- the direct products (rows too small for BLAS) ---------------------------
@pytest.mark.parametrize("n_in, n_out", [(1, 32), (5, 31), (7, 33), (64, 32), (70, 64),
                                         (3, 70), (33, 100)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_row_sums_every_output_left_to_right_from_zero(n_in, n_out, dtype):
    """Around and across the blocks of columns kept in registers: each output
    is ((0 + x_0 W_0j) + x_1 W_1j) + ..., then + b_j, rounded at every step."""
    if fb._kernels.active().NAME == "numpy":
        pytest.skip("NumPy's matmul sums in an order of its own")
    net = fb.MLP([n_in, n_out], output="identity", dtype=dtype, seed=3)
    x = np.random.default_rng(4).standard_normal((1, n_in)).astype(dtype)
    s = np.zeros(n_out, dtype)
    for p in range(n_in):
        s = s + x[0, p] * net.weights[0][p]
    np.testing.assert_array_equal(net.forward(x)[0], s + net.biases[0])
