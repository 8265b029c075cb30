"""The textbook worked example of backpropagation, computed by fastbp.

Han & Kamber, *Data Mining: Concepts and Techniques*, section 9.2.3 (fig. 9.5,
tables 9.1-9.3): a 3-2-1 network of sigmoid units, one training example
x = (1, 0, 1) with target 1, one per-example update with learning rate 0.9.
The lecture's incremental mode is ``fit(..., batch_size=1, shuffle=False)``:
one example at a time, in the order given (``fit`` defaults to shuffled
mini-batches of 32).

Run it with ``python -m fastbp.examples.worked_example`` (or ``fastbp
worked-example``).  The numbers come from :func:`fastbp.trace`, which traces
a step of any network; this module prints them as the slides do, with the
slides' rounding.  Units are numbered as
on the slides: inputs 1-3, hidden 4-5, output 6.
"""
import numpy as np

import fastbp as fb
from fastbp._trace_tables import table as _table

__all__ = ["build_network", "compute", "tables", "main", "X", "TARGET", "LEARNING_RATE"]

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


def compute(dtype="float64"):
    """Every number of the example, from :func:`fastbp.trace`: a dict with the
    net inputs I and outputs O of units 4-6, the errors Err of units 4-6, and
    the weights and biases before ("old") and after ("new") the update, keyed
    by the slides' names (w14 ... w56, b4 ... b6); "net" is the updated network
    and "trace" the :class:`fastbp.Trace` itself."""
    tr = fb.trace(build_network(dtype), X, TARGET, optimizer=fb.SGD(lr=LEARNING_RATE))
    (I4, I5), (I6,) = tr.I[0][0], tr.I[1][0]
    (O4, O5), (O6,) = tr.O[1][0], tr.O[2][0]
    (err4, err5), (err6,) = tr.err[0][0], tr.err[1][0]
    return {"I": {4: float(I4), 5: float(I5), 6: float(I6)},
            "O": {1: X[0, 0], 2: X[0, 1], 3: X[0, 2], 4: float(O4), 5: float(O5), 6: float(O6)},
            "Err": {6: float(err6), 4: float(err4), 5: float(err5)},
            "old": {n: float(v) for n, v in zip(tr.names, tr.old)},
            "new": {n: float(v) for n, v in zip(tr.names, tr.new)},
            "net": tr.net, "trace": tr}


def _num(v, digits):
    """A number as the slides print it: rounded, trailing zeros dropped."""
    text = f"{round(v, digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _sum(terms):
    """'a + b - c' from signed terms (strings that may start with '-')."""
    out = terms[0]
    for t in terms[1:]:
        out += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return out


def tables(v):
    """The three tables of the slides from :func:`compute`'s values: the
    forward pass, the errors, and the updated weights and biases.  The
    'computed as' columns use the values rounded as the slides print them;
    the results are fastbp's, rounded the same way."""
    O, I, Err, old, new = v["O"], v["I"], v["Err"], v["old"], v["new"]
    o = {j: round(O[j], 3) for j in O}                # the slides' rounded outputs
    o6_err = o[6] * (1 - o[6]) * (1 - o[6])            # Err6 from the rounded O6: 0.1311
    e = {6: round(o6_err, 4), 5: round(Err[5], 4), 4: round(Err[4], 4)}

    forward = []
    for j, inputs in ((4, (1, 2, 3)), (5, (1, 2, 3)), (6, (4, 5))):
        if j < 6:  # the inputs are 0/1: the slides write the products out
            terms = [_num(old[f"w{i}{j}"] * O[i], 3) for i in inputs]
        else:
            terms = [f"({_num(old[f'w{i}{j}'], 3)})({_num(o[i], 3)})" for i in inputs]
            # "(-0.3)(0.332) - (0.2)(0.525)": a later negative product is subtracted
            terms = terms[:1] + [t.replace("(-", "-(", 1) for t in terms[1:]]
        expr = _sum(terms + [_num(old[f"b{j}"], 3)])
        forward.append([j, f"I{j} = {expr} = {_num(I[j], 3)}",
                        f"1/(1 + e^{_num(-I[j], 3)})", f"O{j} = {O[j]:.3f}"])

    errors = [
        [6, f"({o[6]:.3f})(1 - {o[6]:.3f})(1 - {o[6]:.3f})", f"Err6 = {o6_err:.4f}",
         f"{Err[6]:.5f} from the unrounded O6 = {O[6]:.5f}"],
    ]
    for j in (5, 4):
        errors.append([j, f"({o[j]:.3f})(1 - {o[j]:.3f})({e[6]:.4f})({_num(old[f'w{j}6'], 3)})",
                       f"Err{j} = {Err[j]:.4f}", f"{Err[j]:.6f}"])

    updates = []
    for name in ("w46", "w56", "w14", "w15", "w24", "w25", "w34", "w35", "b6", "b5", "b4"):
        j = int(name[-1])
        source = "" if name[0] == "b" else f"({_num(o[int(name[1])], 3)})"
        step = f"({LEARNING_RATE})({e[j]:.4f}){source}"
        updates.append([name, f"{_num(old[name], 3)} + {step}", f"{name} = {_num(new[name], 3)}",
                        f"{new[name]:.6f}"])

    return "\n\n".join([
        _table("Net input and output (forward pass): I_j = sum_i w_ij O_i + b_j, "
               "O_j = 1/(1 + e^-I_j)",
               ["unit j", "net input I_j", "O_j computed as", "output O_j"], forward),
        _table("Error of each unit (backward pass): Err_j = O_j(1 - O_j)(T_j - O_j) at the output, "
               "Err_j = O_j(1 - O_j) sum_k Err_k w_jk below it",
               ["unit j", "computed as (slides' rounded values)", "Err_j", "fastbp, unrounded"],
               errors),
        "  The slides compute Err6 from O6 rounded to 0.474, which gives 0.1311; the unrounded\n"
        f"  value is {Err[6]:.5f}.",
        _table(f"Weight and bias updates (eta = {LEARNING_RATE}): w_ij += eta Err_j O_i, "
               "b_j += eta Err_j",
               ["weight or bias", "computed as", "new value", "fastbp, unrounded"], updates),
        "  Gradient descent on E = 1/2 (o - t)^2 is the same update: dE/dw_ij = -Err_j O_i.",
    ])


def main(dtype="float64"):
    """Print the worked example's three tables; returns the updated network."""
    values = compute(dtype)
    print(f"Worked example (Han & Kamber, fig. 9.5): 3-2-1 sigmoid network, x = (1, 0, 1), "
          f"target 1, eta = {LEARNING_RATE}, {np.dtype(dtype).name}\n")
    print(tables(values))
    return values["net"]


if __name__ == "__main__":
    main()
