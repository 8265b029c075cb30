"""Regression with the squared loss: fit y = sin(3x) + noise with a 1-32-1
tanh network and an identity output, then compare it with the true curve.

    python examples/regression.py [--epochs N] [--out regression.png]
"""
import argparse

import numpy as np

import fastbp as fb
from fastbp._optional import available


def main(epochs=300, out="regression.png", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(200, 1))
    y = np.sin(3 * x) + rng.normal(scale=0.1, size=x.shape)
    net = fb.MLP([1, 32, 1], hidden="tanh", output="identity", loss="squared", seed=seed)
    history = net.fit(x, y, optimizer=fb.Adam(lr=0.01), epochs=epochs, batch_size=16,
                      shuffle=True, seed=seed)
    grid = np.linspace(-1, 1, 101).reshape(-1, 1)
    rmse = float(np.sqrt(np.mean((net.forward(grid) - np.sin(3 * grid)) ** 2)))
    print(f"training loss (1/2 mean squared error) {history.loss[0]:.4f} -> {history.loss[-1]:.4f}")
    print(f"distance from the true curve sin(3x): RMSE {rmse:.4f} (the noise has sd 0.1)")
    if out and available("matplotlib"):
        from fastbp.plot import _pyplot

        fig, ax = _pyplot().subplots(figsize=(6, 4))
        ax.scatter(x[:, 0], y[:, 0], s=8, alpha=0.5, label="training data")
        ax.plot(grid[:, 0], np.sin(3 * grid[:, 0]), "k--", label="sin(3x)")
        ax.plot(grid[:, 0], net.forward(grid)[:, 0], label="network")
        ax.legend()
        fig.savefig(out, dpi=100)
        print(f"figure written to {out}")
    return net, rmse


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", default="regression.png")
    args = parser.parse_args()
    main(args.epochs, args.out)
