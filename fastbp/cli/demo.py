"""The demo behind ``fastbp demo`` (also ``python -m fastbp.cli.demo``).

Trains a classifier on scikit-learn's handwritten digits when scikit-learn is
installed, else on fastbp's built-in three spirals; shows a progress bar and
the loss of every epoch, prints the train and test accuracy, and writes the
loss curve to a PNG when matplotlib is installed.
"""
import time

import numpy as np

import fastbp as fb
from fastbp._optional import available, missing, require
from fastbp.callbacks import ProgressBar
from fastbp.cli._plots import save_loss_curve
from fastbp.datasets import spirals

__all__ = ["main", "load"]

# Per data set: the network, the optimizer and the default number of epochs.
SETUPS = {
    "digits": dict(hidden_sizes=[64], lr=0.005, epochs=30),
    "spirals": dict(hidden_sizes=[64, 64], lr=0.01, epochs=60),
}


def load(dataset="auto", seed=0):
    """(name, X, y, description) for "digits", "spirals" or "auto" (digits if
    scikit-learn is installed)."""
    if dataset == "auto":
        dataset = "digits" if available("sklearn") else "spirals"
        if dataset == "spirals":
            print(f"using the built-in spirals: {missing('sklearn', 'the digits data set')}")
    if dataset == "digits":
        load_digits = require("sklearn", "the digits data set").datasets.load_digits
        X, y = load_digits(return_X_y=True)
        return "digits", X / 16.0, y, "scikit-learn's handwritten digits: 8x8 images, 10 classes"
    if dataset == "spirals":
        X, y = spirals(n_per_class=400, n_classes=3, turns=1.75, noise=0.04, seed=seed)
        return "spirals", X, y, "fastbp's three interleaved spirals: 2 features, 3 classes"
    raise ValueError(f"dataset must be 'auto', 'digits' or 'spirals', got {dataset!r}")


def main(epochs=None, dataset="auto", plot="fastbp-demo-loss.png", seed=0):
    """Run the demo; returns (net, history, {"train": accuracy, "test": accuracy})."""
    name, X, y, description = load(dataset, seed)
    setup = SETUPS[name]
    epochs = setup["epochs"] if epochs is None else epochs
    rng = np.random.default_rng(seed)
    test = np.sort(rng.permutation(len(y))[: len(y) // 5])
    train = np.setdiff1d(np.arange(len(y)), test)
    n_classes = int(y.max()) + 1
    sizes = [X.shape[1], *setup["hidden_sizes"], n_classes]
    net = fb.MLP(sizes, hidden="relu", output="softmax", loss="cross_entropy", init="he_uniform",
                 seed=seed)
    print(f"{description}; {len(train)} training and {len(test)} test examples")
    print(f"network {'-'.join(map(str, sizes))}, ReLU, softmax, cross-entropy; Adam (lr "
          f"{setup['lr']}), mini-batches of 32, {epochs} epochs")

    start = time.perf_counter()
    history = net.fit(X[train], y[train], optimizer=fb.Adam(lr=setup["lr"]), epochs=epochs,
                      batch_size=32, shuffle=True, seed=seed, validation_data=(X[test], y[test]),
                      callbacks=ProgressBar(log_every=1))
    seconds = time.perf_counter() - start
    accuracy = {part: float((net.forward(X[idx]).argmax(axis=1) == y[idx]).mean())
                for part, idx in (("train", train), ("test", test))}
    print(f"{history.epochs} epochs in {seconds:.2f} s; accuracy: train {accuracy['train']:.3f}, "
          f"test {accuracy['test']:.3f}")
    if plot:
        save_loss_curve(history, plot)
    return net, history, accuracy


if __name__ == "__main__":
    main()
