"""Weight initialization matters: a 10-layer tanh network and a 10-layer ReLU
network, initialized with uniform(0.01), uniform(1.0), Glorot and He, and the
distribution of every layer's activations and backpropagated errors.

Too small (uniform 0.01): the activations shrink to 0 layer after layer and
so do the errors: nothing learns.  Too large (uniform 1.0): tanh units
saturate at -1 and 1, where their derivative is 0, and ReLU activations
explode.  Glorot (for tanh) and He (for ReLU) keep the spread about constant
through the depth.  Writes one PNG per network and initialization.

    python examples/initialization_matters.py [--width 100] [--examples 300]
"""
import argparse

import numpy as np

import fastbp as fb
from fastbp._optional import missing

INITS = {"uniform(0.01)": ("uniform", 0.01), "uniform(1.0)": ("uniform", 1.0),
         "glorot": ("glorot_uniform", 0.5), "he": ("he_uniform", 0.5)}


def spreads(width=100, depth=10, examples=300, seed=0):
    """{(activation, init label): (std of each layer's activations, std of
    each layer's errors)} on standard normal inputs and targets."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(examples, width)), rng.normal(size=(examples, 1))
    out = {}
    for act in ("tanh", "relu"):
        for label, (init, scale) in INITS.items():
            net = fb.MLP([width] * (depth + 1) + [1], hidden=act, output="identity",
                         init=init, init_scale=scale, seed=seed)
            _, O, err = fb.tracing.layer_values(net, X, Y)
            out[act, label] = ([float(o.std()) for o in O[1:-1]],
                               [float(e.std()) for e in err[:-1]])
    return out, X, Y


def main(width=100, depth=10, examples=300, seed=0, out="init-{act}-{init}.png"):
    found, X, Y = spreads(width, depth, examples, seed)
    print("std of the activations of hidden layers 1, 5 and 10 (and of the errors dE/dI):")
    for (act, label), (o, e) in found.items():
        print(f"  {act:<4} {label:<13} activations {o[0]:9.3g} {o[4]:9.3g} {o[-1]:9.3g}   "
              f"errors {e[0]:9.3g} {e[4]:9.3g} {e[-1]:9.3g}")
    message = missing("matplotlib", "the figures")
    if message or out is None:
        print(f"figures skipped: {message}" if message else "")
        return found
    from fastbp import plot

    for act in ("tanh", "relu"):
        for label, (init, scale) in INITS.items():
            net = fb.MLP([width] * (depth + 1) + [1], hidden=act, output="identity",
                         init=init, init_scale=scale, seed=seed)
            fig = plot.activations(net, X, Y, title=f"{depth} {act} layers, {label}")
            path = out.format(act=act, init=label.replace("(", "").replace(")", ""))
            fig.savefig(path, dpi=80)
            plot.pyplot().close(fig)
            print(f"figure written to {path}")
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    main(args.width, args.depth, args.examples)
