"""The lecture's worked example (Han & Kamber, Data Mining, fig. 9.5 and
tables 9.1-9.3): a 3-2-1 sigmoid network, input (1, 0, 1), target 1, one
per-example step with learning rate 0.9.

Forward (net input I_j = sum_i w_ij O_i + b_j, output O_j = 1 / (1 + e^-I_j)):
    I4 = 0.2 + 0 - 0.5 - 0.4 = -0.7        O4 = 0.332
    I5 = -0.3 + 0 + 0.2 + 0.2 = 0.1        O5 = 0.525
    I6 = (-0.3)(0.332) - (0.2)(0.525) + 0.1 = -0.105   O6 = 0.474
Errors (Err_j = O_j (1 - O_j) (T_j - O_j) at the output,
        Err_j = O_j (1 - O_j) sum_k Err_k w_jk below it):
    Err6 = (0.474)(1 - 0.474)(1 - 0.474) = 0.1311
    Err5 = (0.525)(1 - 0.525)(0.1311)(-0.2) = -0.0065
    Err4 = (0.332)(1 - 0.332)(0.1311)(-0.3) = -0.0087
Updates (w_ij += 0.9 Err_j O_i, b_j += 0.9 Err_j):
    w46 = -0.3 + (0.9)(0.1311)(0.332) = -0.261
    w56 = -0.2 + (0.9)(0.1311)(0.525) = -0.138
    w14 = 0.2 + (0.9)(-0.0087)(1) = 0.192
    w15 = -0.3 + (0.9)(-0.0065)(1) = -0.306
    w24 = 0.4,  w25 = 0.1 (x2 = 0: unchanged)
    w34 = -0.5 + (0.9)(-0.0087)(1) = -0.508
    w35 = 0.2 + (0.9)(-0.0065)(1) = 0.194
    b6 = 0.1 + (0.9)(0.1311) = 0.218
    b5 = 0.2 + (0.9)(-0.0065) = 0.194
    b4 = -0.4 + (0.9)(-0.0087) = -0.408
Gradient descent on 1/2 (o - t)^2 is the same update: dE/dw_ij = -Err_j O_i.
"""
import numpy as np

import fastbp as fb
from fastbp.examples import worked_example


def lecture_net(dtype="float64"):
    return worked_example.build_network(dtype)


def test_forward_pass_matches_the_slides(dtype):
    net = lecture_net(dtype)
    x = np.array([[1, 0, 1]])
    o6 = net.forward(x)[0, 0]
    assert round(float(o6), 3) == 0.474
    hidden = fb.MLP([3, 2], hidden=[], output="sigmoid", dtype=dtype)
    hidden.weights[0][...] = net.weights[0]
    hidden.biases[0][...] = net.biases[0]
    o4, o5 = hidden.forward(x)[0]
    assert (round(float(o4), 3), round(float(o5), 3)) == (0.332, 0.525)
    # Err6 = o6 (1 - o6) (t - o6) is minus the output delta of 1/2 (o - t)^2.
    # The slides compute it from o6 rounded to 0.474, which gives 0.1311; the
    # unrounded value is 0.13117.
    dW, db = net.gradients(x, [1.0])
    err6 = -float(db[1][0])
    np.testing.assert_allclose(err6, o6 * (1 - o6) * (1 - o6), rtol=1e-6)
    assert round(err6, 4) == 0.1312
    o6_slides = round(float(o6), 3)
    assert round(o6_slides * (1 - o6_slides) ** 2, 4) == 0.1311


def test_one_step_matches_the_slides(dtype):
    net = lecture_net(dtype)
    net.fit(np.array([[1, 0, 1]]), np.array([1]), optimizer=fb.SGD(lr=0.9), epochs=1,
            batch_size=1)
    (w14, w15), (w24, w25), (w34, w35) = np.round(net.weights[0].astype(float), 3)
    (w46,), (w56,) = np.round(net.weights[1].astype(float), 3)
    b4, b5 = np.round(net.biases[0].astype(float), 3)
    (b6,) = np.round(net.biases[1].astype(float), 3)
    assert (w46, w56) == (-0.261, -0.138)
    assert (w14, w15, w24, w25, w34, w35) == (0.192, -0.306, 0.4, 0.1, -0.508, 0.194)
    assert (b4, b5, b6) == (-0.408, 0.194, 0.218)


def test_one_step_matches_the_unrounded_hand_computation():
    # the same step written out in float64, without the slides' rounding
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    o4, o5 = sig(-0.7), sig(0.1)
    o6 = sig(-0.3 * o4 - 0.2 * o5 + 0.1)
    err6 = o6 * (1 - o6) * (1 - o6)
    err4, err5 = o4 * (1 - o4) * err6 * -0.3, o5 * (1 - o5) * err6 * -0.2
    net = lecture_net()
    net.fit(np.array([[1, 0, 1]]), np.array([1]), optimizer=fb.SGD(lr=0.9))
    np.testing.assert_allclose(net.weights[1].ravel(), [-0.3 + 0.9 * err6 * o4,
                                                        -0.2 + 0.9 * err6 * o5], rtol=1e-14)
    np.testing.assert_allclose(net.weights[0], [[0.2 + 0.9 * err4, -0.3 + 0.9 * err5],
                                                [0.4, 0.1],
                                                [-0.5 + 0.9 * err4, 0.2 + 0.9 * err5]], rtol=1e-14)
    np.testing.assert_allclose(net.biases[0], [-0.4 + 0.9 * err4, 0.2 + 0.9 * err5], rtol=1e-14)
    np.testing.assert_allclose(net.biases[1], [0.1 + 0.9 * err6], rtol=1e-14)


def test_the_example_script_prints_the_slides_numbers(capsys):
    worked_example.main()
    out = capsys.readouterr().out
    for text in ["O4 = 0.332", "O5 = 0.525", "O6 = 0.474", "Err6 = 0.1311",
                 "w46 = -0.261", "w14 = 0.192", "w35 = 0.194", "b4 = -0.408", "b5 = 0.194"]:
        assert text in out, text


def test_the_tables_show_every_number_of_the_slides(capsys):
    worked_example.main()
    out = capsys.readouterr().out

    def table(title):  # {first cell: other cells} of the table under ``title``
        section = next(sec for sec in out.split("\n\n") if sec.startswith(title))
        return {line.split("|")[0].strip(): [c.strip() for c in line.split("|")[1:]]
                for line in section.splitlines()[3:]}

    forward = table("Net input and output")
    assert forward["4"] == ["I4 = 0.2 + 0 - 0.5 - 0.4 = -0.7", "1/(1 + e^0.7)", "O4 = 0.332"]
    assert forward["5"] == ["I5 = -0.3 + 0 + 0.2 + 0.2 = 0.1", "1/(1 + e^-0.1)", "O5 = 0.525"]
    assert forward["6"] == ["I6 = (-0.3)(0.332) - (0.2)(0.525) + 0.1 = -0.105", "1/(1 + e^0.105)",
                            "O6 = 0.474"]
    errors = table("Error of each unit")
    assert errors["6"] == ["(0.474)(1 - 0.474)(1 - 0.474)", "Err6 = 0.1311",
                           "0.13117 from the unrounded O6 = 0.47389"]
    assert errors["5"][:2] == ["(0.525)(1 - 0.525)(0.1311)(-0.2)", "Err5 = -0.0065"]
    assert errors["4"][:2] == ["(0.332)(1 - 0.332)(0.1311)(-0.3)", "Err4 = -0.0087"]
    updates = table("Weight and bias updates")
    expected = {"w46": "-0.261", "w56": "-0.138", "w14": "0.192", "w15": "-0.306", "w24": "0.4",
                "w25": "0.1", "w34": "-0.508", "w35": "0.194", "b6": "0.218", "b5": "0.194",
                "b4": "-0.408"}
    assert list(updates) == list(expected)  # the slides' order
    for name, value in expected.items():
        assert updates[name][1] == f"{name} = {value}", updates[name]
    assert updates["w46"][0] == "-0.3 + (0.9)(0.1311)(0.332)"
    assert updates["w14"][0] == "0.2 + (0.9)(-0.0087)(1)"
    assert updates["b6"][0] == "0.1 + (0.9)(0.1311)"


def test_compute_agrees_with_the_unrounded_hand_computation(dtype):
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    o4, o5 = sig(-0.7), sig(0.1)
    i6 = -0.3 * o4 - 0.2 * o5 + 0.1
    o6 = sig(i6)
    err6 = o6 * (1 - o6) ** 2
    v = worked_example.compute(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose([v["I"][4], v["I"][5], v["I"][6]], [-0.7, 0.1, i6], rtol=tol,
                               atol=tol)
    np.testing.assert_allclose([v["O"][4], v["O"][5], v["O"][6]], [o4, o5, o6], rtol=tol)
    np.testing.assert_allclose([v["Err"][6], v["Err"][5], v["Err"][4]],
                               [err6, o5 * (1 - o5) * err6 * -0.2, o4 * (1 - o4) * err6 * -0.3],
                               rtol=10 * tol)
    np.testing.assert_allclose(v["new"]["w46"], -0.3 + 0.9 * err6 * o4, rtol=10 * tol)
