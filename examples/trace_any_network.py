"""Backpropagation at work on any small network: the slides' tables for a
network of your choosing, here the lecture's 3-2-1 example changed three ways
(tanh hidden units, a third hidden unit, the log loss, Adam), then a check of
its gradient against finite differences.

    python examples/trace_any_network.py
"""
import numpy as np

import fastbp as fb


def main():
    net = fb.MLP([3, 3, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=0)
    net.weights[0][...] = [[0.2, -0.3, 0.1], [0.4, 0.1, -0.2], [-0.5, 0.2, 0.3]]
    net.biases[0][...] = [-0.4, 0.2, 0.0]
    net.weights[1][...] = [[-0.3], [-0.2], [0.4]]
    net.biases[1][...] = [0.1]
    x, t = np.array([1.0, 0.0, 1.0]), 1.0
    tr = fb.trace(net, x, t, optimizer=fb.Adam(lr=0.1))
    print(tr)
    # the trace did what fit does, bit for bit
    fitted = net.copy()
    fitted.fit(x.reshape(1, -1), [t], optimizer=fb.Adam(lr=0.1))
    assert np.array_equal(tr.new, fitted.params)
    print()
    check = fb.gradient_check(net, x.reshape(1, -1), [t])
    print(check)
    return tr, check


if __name__ == "__main__":
    main()
