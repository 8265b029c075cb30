"""The textbook worked example of backpropagation, computed by fastbp.

Han & Kamber, *Data Mining: Concepts and Techniques*, section 9.2.3 (fig. 9.5,
tables 9.1-9.3): a 3-2-1 network of sigmoid units, one training example
x = (1, 0, 1) with target 1, one per-example update with learning rate 0.9.

Run it with ``python -m fastbp.examples.worked_example``.  Units are numbered as
on the slides: inputs 1-3, hidden 4-5, output 6.
"""
import numpy as np

import fastbp as fb

X = np.array([[1.0, 0.0, 1.0]])
TARGET = np.array([1.0])
LEARNING_RATE = 0.9


def build_network(dtype="float64"):
    """The 3-2-1 sigmoid network with the slides' initial weights and biases."""
    net = fb.MLP([3, 2, 1], hidden="sigmoid", output="sigmoid", loss="squared", dtype=dtype)
    #                      unit 4  unit 5
    net.weights[0][...] = [[0.2, -0.3],    # from x1
                           [0.4, 0.1],     # from x2
                           [-0.5, 0.2]]    # from x3
    net.biases[0][...] = [-0.4, 0.2]
    net.weights[1][...] = [[-0.3],         # w46
                           [-0.2]]         # w56
    net.biases[1][...] = [0.1]
    return net


def main():
    net = build_network()
    W1, b1, W2, b2 = net.weights[0].copy(), net.biases[0].copy(), net.weights[1].copy(), net.biases[1].copy()

    print("Forward pass: net input I_j = sum_i w_ij O_i + b_j, output O_j = 1/(1 + e^-I_j)")
    I_hidden = X[0] @ W1 + b1
    O_hidden = 1 / (1 + np.exp(-I_hidden))
    for j, (i_j, o_j) in enumerate(zip(I_hidden, O_hidden), start=4):
        print(f"  unit {j}: I{j} = {i_j:.3f}   O{j} = {o_j:.3f}")
    O6 = float(net.forward(X)[0, 0])
    I6 = float(O_hidden @ W2[:, 0] + b2[0])
    print(f"  unit 6: I6 = {I6:.3f}   O6 = {O6:.3f}")

    # fastbp's output delta for 1/2 (o - t)^2 is o(1-o)(o-t) = -Err6
    dW, db = net.gradients(X, TARGET)
    err6 = -float(db[1][0])
    err4, err5 = -db[0]
    print("\nErrors: Err6 = O6(1 - O6)(T - O6); Err_j = O_j(1 - O_j) sum_k Err_k w_jk")
    # The slides round every intermediate value to 3 decimals; from O6 = 0.474
    # their Err6 is 0.1311, while the unrounded value is 0.13117.
    o6_slides = round(O6, 3)
    print(f"  Err6 = {o6_slides * (1 - o6_slides) * (1 - o6_slides):.4f} on the slides "
          f"(from O6 rounded to {o6_slides:.3f}); unrounded: {err6:.5f}")
    print(f"  Err5 = {err5:.4f}")
    print(f"  Err4 = {err4:.4f}")

    net.fit(X, TARGET, optimizer=fb.SGD(lr=LEARNING_RATE), epochs=1, batch_size=1)
    print(f"\nUpdated weights and biases (w_ij += {LEARNING_RATE} Err_j O_i, b_j += {LEARNING_RATE} Err_j):")
    names = {"w46": net.weights[1][0, 0], "w56": net.weights[1][1, 0],
             "w14": net.weights[0][0, 0], "w15": net.weights[0][0, 1],
             "w24": net.weights[0][1, 0], "w25": net.weights[0][1, 1],
             "w34": net.weights[0][2, 0], "w35": net.weights[0][2, 1],
             "b6": net.biases[1][0], "b5": net.biases[0][1], "b4": net.biases[0][0]}
    for name, value in names.items():
        print(f"  {name} = {value:.3f}")
    return net


if __name__ == "__main__":
    main()
