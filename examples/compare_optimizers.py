"""SGD, momentum, AdaGrad, RMSprop and Adam on the same network and data.

Every optimizer starts from the same weights and sees the same mini-batches;
the figure shows each one's training loss per epoch (fastbp.plot.compare_optimizers).

    python examples/compare_optimizers.py [--epochs N] [--out compare_optimizers.png]
"""
import argparse

from fastbp._optional import missing
from fastbp.datasets import spirals


def main(epochs=100, out="compare_optimizers.png", seed=0):
    problem = missing("matplotlib", "this example (it draws a figure)")
    if problem:
        print(problem)
        return None
    from fastbp.plot import compare_optimizers

    X, y = spirals(n_per_class=150, n_classes=3, turns=1.0, seed=seed)
    fig = compare_optimizers(X, y, [2, 32, 32, 3], epochs=epochs, batch_size=32, seed=seed,
                             hidden="tanh", output="softmax", loss="cross_entropy")
    for line in fig.axes[0].lines:
        print(f"{line.get_label():<26} final training loss {line.get_ydata()[-1]:.4f}")
    fig.savefig(out, dpi=100)
    print(f"figure written to {out}")
    return fig


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", default="compare_optimizers.png")
    args = parser.parse_args()
    main(args.epochs, args.out)
