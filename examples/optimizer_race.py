"""The optimizer race on an ill-conditioned ravine (the lecture's point).

The ravine f(x, y) = (x^2 + 100 y^2) / 2 curves 100 times more steeply across
than along.  Plain gradient descent must keep its rate below 2/100 or it
bounces off the walls, and with that rate it crawls along the floor; momentum
builds up speed along the floor, and adaptive rates (AdaGrad, Adam) rescale
each coordinate.  Each optimizer runs through ``Optimizer.step`` from the same
start; the script prints how many steps each needs to come within TOL of the
minimum, and draws the race (when matplotlib is installed).

    python examples/optimizer_race.py [--max-steps 1000] [--out optimizer_race.png]
"""
import argparse

import numpy as np

import fastbp as fb
from fastbp._optional import missing
from fastbp.descent import paths

TOL = 1e-3


def racers():
    """Each optimizer with a rate that suits the ravine (SGD's is the largest
    it stands: below 2 / 100)."""
    return {
        "SGD": fb.SGD(lr=0.019),
        "momentum": fb.SGD(lr=0.015, momentum=0.9),
        "Nesterov": fb.SGD(lr=0.01, momentum=0.9, nesterov=True),
        "AdaGrad": fb.AdaGrad(lr=1.0),
        "Adam": fb.Adam(lr=0.1),
    }


def steps_to_minimum(path, tol=TOL):
    """The first step after which the path stays within ``tol`` of (0, 0)
    (None if it never settles)."""
    far = np.flatnonzero(np.linalg.norm(path, axis=1) >= tol)
    if far.size == 0:
        return 0
    return None if far[-1] == len(path) - 1 else int(far[-1] + 1)


def main(max_steps=1000, out="optimizer_race.png"):
    """Race the optimizers; print and return {name: steps to the minimum}."""
    race = paths("ravine", optimizers=racers(), steps=max_steps)
    counts = {name: steps_to_minimum(path) for name, path in race.items()}
    print(f"steps to come within {TOL:g} of the ravine's minimum (of at most {max_steps}):")
    for name, n in counts.items():
        print(f"  {name:<9} {n if n is not None else 'not reached'}")
    if out:
        problem = missing("matplotlib", "the race's figure")
        if problem:
            print(f"no figure drawn: {problem}")
        else:
            from fastbp.plot import descent

            descent("ravine", optimizers=racers(), steps=min(max_steps, 150), path=out)
            print(f"figure written to {out}")
    return counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=1000)
    parser.add_argument("--out", default="optimizer_race.png",
                        help="the figure (needs matplotlib); '' for none")
    args = parser.parse_args()
    main(args.max_steps, args.out)
