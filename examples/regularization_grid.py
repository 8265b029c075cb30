"""Capacity against regularization: decision boundaries over hidden-layer
sizes (rows) and L2 penalties alpha (columns) on two noisy spirals.

Small networks underfit; large unregularized ones draw wiggly boundaries
around the noise; alpha smooths them (fastbp.plot.regularization_grid).

    python examples/regularization_grid.py [--epochs N] [--out regularization_grid.png]
"""
import argparse

from fastbp._optional import missing
from fastbp.datasets import spirals


def main(epochs=300, out="regularization_grid.png", hidden_sizes=(2, 8, 64),
         alphas=(0.0, 1e-4, 1e-3), seed=0):
    problem = missing("matplotlib", "this example (it draws a figure)")
    if problem:
        print(problem)
        return None
    from fastbp.plot import regularization_grid

    X, y = spirals(n_per_class=100, n_classes=2, turns=1.0, noise=0.08, seed=seed)
    fig = regularization_grid(X, y, hidden_sizes=hidden_sizes, alphas=alphas, epochs=epochs,
                              seed=seed)
    for ax in fig.axes:
        print(ax.get_title())
    fig.savefig(out, dpi=100)
    print(f"figure written to {out}")
    return fig


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", default="regularization_grid.png")
    args = parser.parse_args()
    main(args.epochs, args.out)
