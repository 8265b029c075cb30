"""fb.gradient_check: passes correct gradients, flags a wrong one per layer."""
import numpy as np
import pytest
from helpers import OUTPUT_LOSS, make_net, targets

import fastbp as fb
from fastbp.network import HIDDEN_ACTIVATIONS


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
def test_backprop_passes_for_every_activation_and_loss(hidden, output, loss):
    rng = np.random.default_rng(0)
    net = make_net([3, 4, 3], hidden, output, loss, seed=1)
    X = rng.normal(size=(5, 3))
    check = fb.gradient_check(net, X, targets(net, 5, rng), alpha=0.01)
    assert check.ok, str(check)
    assert [(r["layer"], r["part"]) for r in check.rows] == [
        (1, "weights"), (1, "biases"), (2, "weights"), (2, "biases")]
    assert max(r["rel_error"] for r in check.rows) < 1e-6


def test_float32_passes_with_its_defaults():
    rng = np.random.default_rng(1)
    net = make_net([3, 5, 2], "tanh", "sigmoid", "cross_entropy", dtype="float32", seed=2)
    check = fb.gradient_check(net, rng.normal(size=(4, 3)), targets(net, 4, rng))
    assert check.ok and check.eps == 1e-2 and check.tol == 2e-2, str(check)


def test_a_deliberately_wrong_gradient_is_caught_in_its_layer(monkeypatch):
    rng = np.random.default_rng(2)
    net = make_net([3, 4, 2, 1], "sigmoid", "identity", "squared", seed=3)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    right = net.gradients

    def wrong(*args):  # layer 2's bias gradient off by a factor of 2
        dW, db = right(*args)
        db[1] = db[1] * 2
        return dW, db

    monkeypatch.setattr(net, "gradients", wrong)
    check = fb.gradient_check(net, X, Y)
    assert not check and [(r["layer"], r["part"]) for r in check.failed] == [(2, "biases")]
    assert "FAILED" in str(check) and "1 part(s) disagree" in str(check)
    # the numbers: the backprop column is twice the numeric one there
    np.testing.assert_allclose(check.backprop[24:26], 2 * check.numeric[24:26], rtol=1e-6)


def test_the_network_is_left_alone_and_bad_arguments_are_refused():
    net = fb.MLP([2, 2, 1], seed=0)
    before = net.params.copy()
    fb.gradient_check(net, [[0.1, 0.2]], [0.5])
    np.testing.assert_array_equal(net.params, before)
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        fb.gradient_check(net, [[0.1, 0.2]], [0.5], eps=0)
    with pytest.raises(ValueError, match="X has 3 features"):
        fb.gradient_check(net, [[0.1, 0.2, 0.3]], [0.5])
