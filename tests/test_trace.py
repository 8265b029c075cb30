"""fb.trace: the slides' numbers, and the same bits as fit on every backend,
activation, output/loss pair and optimizer."""
import copy

import numpy as np
import pytest
from helpers import OUTPUT_LOSS, make_net, targets

import fastbp as fb
from fastbp.examples.worked_example import build_network
from fastbp.network import HIDDEN_ACTIVATIONS
from fastbp.optimizers import NAMED

X1 = np.array([1.0, 0.0, 1.0])


def test_the_slides_numbers():
    tr = fb.trace(build_network(), X1, 1, optimizer=fb.SGD(lr=0.9))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    o4, o5 = sig(-0.7), sig(0.1)
    i6 = -0.3 * o4 - 0.2 * o5 + 0.1
    o6 = sig(i6)
    err6 = o6 * (1 - o6) * (1 - o6)
    err4, err5 = o4 * (1 - o4) * err6 * -0.3, o5 * (1 - o5) * err6 * -0.2
    np.testing.assert_allclose(tr.I[0][0], [-0.7, 0.1], rtol=1e-14)
    np.testing.assert_allclose(tr.O[1][0], [o4, o5], rtol=1e-14)
    np.testing.assert_allclose(tr.I[1][0], [i6], rtol=1e-14)
    np.testing.assert_allclose(tr.err[1][0], [err6], rtol=1e-13)
    np.testing.assert_allclose(tr.err[0][0], [err4, err5], rtol=1e-13)
    expected = {"w46": -0.261, "w56": -0.138, "w14": 0.192, "w15": -0.306, "w24": 0.4,
                "w25": 0.1, "w34": -0.508, "w35": 0.194, "b6": 0.218, "b5": 0.194, "b4": -0.408}
    assert {k: round(tr.parameter(k)["new"], 3) for k in expected} == expected
    assert tr.parameter("w46")["gradient"] == pytest.approx(-err6 * o4, rel=1e-13)
    assert tr.names == ["w14", "w15", "w24", "w25", "w34", "w35", "b4", "b5", "w46", "w56", "b6"]
    text = str(tr)
    assert "w46       | -0.3 | -0.0435235 | 0.0391712   | -0.260829" in text
    assert "6      | 0.131169    | 1" in text
    assert repr(tr) == ("<Trace: 3-2-1 network, 1 example(s), SGD update 1, "
                        "loss 0.138396 -> 0.117492>")


def _fit_copy(net, X, T, opt, alpha, batch_size):
    other = net.copy()
    other.fit(X, T, optimizer=opt, batch_size=batch_size, alpha=alpha, shuffle=False)
    return other


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
def test_the_same_bits_as_fit_for_every_activation_and_loss(backend, dtype, hidden, output, loss):
    rng = np.random.default_rng(3)
    net = make_net([4, 5, 3, 3], hidden, output, loss, dtype=dtype, seed=2)
    X = rng.normal(size=(1, 4))
    T = targets(net, 1, rng)
    lr = 0.01 if output == "exp" else 0.3  # a larger step overflows exp's outputs: divergence
    for alpha in (0.0, 0.01):
        tr = fb.trace(net, X, T, optimizer=fb.SGD(lr=lr), alpha=alpha)
        after = _fit_copy(net, X, T, fb.SGD(lr=lr), alpha, 1)
        np.testing.assert_array_equal(tr.new, after.params)
        np.testing.assert_array_equal(tr.net.params, after.params)
        assert tr.loss == net.loss(X, T, alpha)


@pytest.mark.parametrize("name", list(NAMED))
def test_the_same_bits_as_fit_for_every_optimizer_continuing_its_state(backend, dtype, name):
    rng = np.random.default_rng(4)
    net = make_net([3, 4, 2], "tanh", "sigmoid", "cross_entropy", dtype=dtype, seed=5)
    X, T = rng.normal(size=(6, 3)), targets(net, 6, rng)
    opt = fb.optimizers.get_optimizer(name)
    # the optimizer now has state
    net.fit(X, T, optimizer=opt, epochs=2, alpha=0.01, batch_size=1, shuffle=False)
    before, opt_before = net.params.copy(), copy.deepcopy(opt)
    tr = fb.trace(net, X[2], T[2], optimizer=opt, alpha=0.01)
    np.testing.assert_array_equal(net.params, before)  # neither is modified
    assert opt.t == opt_before.t and all(np.array_equal(a, b)
                                         for a, b in zip(opt._state, opt_before._state))
    net.fit(X[2:3], T[2:3], optimizer=opt, alpha=0.01, batch_size=1, shuffle=False)
    np.testing.assert_array_equal(tr.new, net.params)
    assert tr.step == opt.t == 13 and tr.optimizer.epochs == opt.epochs
    for got, want in zip(tr.state.values(), opt._state):
        np.testing.assert_array_equal(got, want)
    assert len(tr.state) == len(opt._state)
    # the trace's network and optimizer train on as the fitted ones do
    tr.net.fit(X, T, optimizer=tr.optimizer, alpha=0.01, batch_size=1, shuffle=False)
    net.fit(X, T, optimizer=opt, alpha=0.01, batch_size=1, shuffle=False)
    np.testing.assert_array_equal(tr.net.params, net.params)


def test_adam_state_columns_are_m_and_v():
    net = build_network()
    tr = fb.trace(net, X1, 1, optimizer=fb.Adam(lr=0.1))
    g = tr.grad
    np.testing.assert_allclose(tr.state["m"], 0.1 * g, rtol=1e-12)
    np.testing.assert_allclose(tr.state["v"], 0.001 * g * g, rtol=1e-12)
    row = tr.parameter("w46")
    assert set(row) >= {"old", "gradient", "m", "v", "update", "new"}
    assert "| m " in str(tr) and "optimizer state after the step: m, v" in str(tr)


def test_a_small_batch_is_one_update_of_the_mean_loss(backend, dtype):
    rng = np.random.default_rng(6)
    net = make_net([3, 4, 3], "relu", "softmax", "cross_entropy", dtype=dtype, seed=1)
    X, labels = rng.normal(size=(4, 3)), rng.integers(0, 3, 4)
    tr = fb.trace(net, X, labels, optimizer="momentum")
    after = _fit_copy(net, X, labels, "momentum", 0.0, None)
    np.testing.assert_array_equal(tr.new, after.params)
    assert tr.err[-1].shape == (4, 3) and len(tr.units) == 4 * (3 + 4 + 3)
    # the bias gradient is minus the batch mean of the errors
    np.testing.assert_allclose(tr.grad[-3:], -tr.err[-1].mean(axis=0), rtol=1e-5, atol=1e-7)
    assert str(tr).splitlines()[4].split() == ["example", "|", "unit", "j", "|", "layer", "|", "f",
                                               "|", "I_j", "|", "O_j"]


def test_errors_agree_with_the_compiled_gradient(dtype):
    net = make_net([2, 3, 2, 1], ["sigmoid", "tanh"], "identity", "squared", dtype=dtype, seed=7)
    tr = fb.trace(net, [0.5, -1.0], [0.3])
    _, db = net.gradients(np.array([[0.5, -1.0]]), [[0.3]])
    for err, d in zip(tr.err, db):
        np.testing.assert_allclose(err[0], -d, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_another_loss_and_layer_names():
    net = fb.MLP([2, 3, 2], output="softmax", loss="squared", seed=0)
    tr = fb.trace(net, [1.0, 2.0], 1, loss="cross_entropy", names="layers")
    assert tr.net.loss_name == "cross_entropy" and net.loss_name == "squared"
    np.testing.assert_allclose(tr.err[-1][0], [0, 1] - tr.O[-1][0], rtol=1e-12)
    assert tr.names[:4] == ["W1[0,0]", "W1[0,1]", "W1[0,2]", "W1[1,0]"]
    assert tr.names[6:9] == ["b1[0]", "b1[1]", "b1[2]"] and tr.names[-1] == "b2[1]"


def test_one_example_s_targets_in_every_form():
    net = fb.MLP([2, 3, 3], output="softmax", loss="cross_entropy", seed=0)
    want = fb.trace(net, [[1.0, 2.0]], [[0, 0, 1]]).new
    for t in (2, [2], np.array([2]), [0, 0, 1], [[0, 0, 1]]):
        np.testing.assert_array_equal(fb.trace(net, [1.0, 2.0], t).new, want)


def test_two_digit_unit_numbers_are_separated():
    names = fb.tracing.parameter_names([8, 2, 1])
    assert names[0] == "w1,9" and names[-1] == "b11" and "w10,11" in names


def test_frames(capsys):
    pd = pytest.importorskip("pandas")
    tr = fb.trace(build_network(), X1, 1, optimizer=fb.Adam())
    frames = tr.frames()
    assert isinstance(frames["units"], pd.DataFrame)
    units = frames["units"].set_index("unit")
    assert units.loc[6, "target"] == 1 and units.loc[4, "activation"] == "sigmoid"
    params = frames["parameters"].set_index("name")
    assert list(params.columns) == ["layer", "kind", "from", "to", "old", "gradient", "m", "v",
                                    "update", "new"]
    assert params.loc["w46", "from"] == 4 and params.loc["b6", "kind"] == "bias"


def test_bad_input_is_refused_with_a_clear_message():
    net = build_network()
    with pytest.raises(ValueError, match="X has 2 features per sample, the network expects 3"):
        fb.trace(net, [1.0, 0.0], 1)
    with pytest.raises(ValueError, match="names must be one of"):
        fb.trace(net, X1, 1, names="slides")
    with pytest.raises(ValueError, match="alpha"):
        fb.trace(net, X1, 1, alpha=-1)
    with pytest.raises(ValueError, match="unknown loss"):
        fb.trace(net, X1, 1, loss="hinge")
