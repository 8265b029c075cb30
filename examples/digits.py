"""Handwritten digits (scikit-learn's 8x8 images, 10 classes): a 64-32-10
ReLU/softmax network with Adam, early stopping on a validation split, and the
test accuracy and confusion matrix.  Needs scikit-learn for the data; without
it the example says so and stops.

    python examples/digits.py [--epochs N]
"""
import argparse

import numpy as np

import fastbp as fb
from fastbp._optional import missing
from fastbp.callbacks import EarlyStopping


def main(epochs=100, seed=0):
    problem = missing("sklearn", "this example (scikit-learn's digits data set)")
    if problem:
        print(f"skipped: {problem}")
        return None
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities 0..16 -> 0..1
    idx = np.random.default_rng(seed).permutation(len(y))
    test, val, train = idx[:360], idx[360:630], idx[630:]
    net = fb.MLP([64, 32, 10], hidden="relu", output="softmax", loss="cross_entropy",
                 init="he_uniform", seed=seed)
    stop = EarlyStopping(patience=5, restore_best_weights=True)
    history = net.fit(X[train], y[train], optimizer=fb.Adam(lr=0.005), epochs=epochs, batch_size=32,
                      alpha=1e-4, shuffle=True, seed=seed, validation_data=(X[val], y[val]),
                      callbacks=stop)
    pred = net.forward(X[test]).argmax(axis=1)
    accuracy = float((pred == y[test]).mean())
    print(f"{history.epochs} epochs (best validation loss {stop.best:.4f} after epoch "
          f"{stop.best_epoch + 1}); test accuracy {accuracy:.3f} on {len(test)} images")
    confusion = np.bincount(y[test] * 10 + pred, minlength=100).reshape(10, 10)
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("     " + " ".join(f"{d:3d}" for d in range(10)))
    for d, row in enumerate(confusion):
        print(f"  {d}  " + " ".join(f"{v:3d}" for v in row))
    return net, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    main(parser.parse_args().epochs)
