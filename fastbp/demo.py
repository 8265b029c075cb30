"""A short tour: the textbook worked example, then a network learning three
interleaved spirals.  Run ``python -m fastbp.demo``."""
import time

import numpy as np

import fastbp as fb
from fastbp.datasets import spirals
from fastbp.examples import worked_example


def main(epochs=60, seed=0):
    print("== The worked example (3-2-1 sigmoid network, eta = 0.9) ==")
    worked_example.main()

    print("\n== Three spirals: 2-64-64-3 network, ReLU, softmax, Adam, mini-batches of 32 ==")
    X, y = spirals(n_per_class=400, n_classes=3, turns=1.75, noise=0.04, seed=seed)
    rng = np.random.default_rng(seed)
    test = rng.permutation(len(y))[: len(y) // 5]
    train = np.setdiff1d(np.arange(len(y)), test)
    net = fb.MLP([2, 64, 64, 3], hidden="relu", output="softmax", loss="cross_entropy",
                 init="he_uniform", seed=seed)

    def report(epoch, logs):
        if epoch == 0 or (epoch + 1) % 10 == 0:
            print(f"  epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  val_loss {logs['val_loss']:.4f}")

    start = time.perf_counter()
    history = net.fit(X[train], y[train], optimizer=fb.Adam(lr=0.01), epochs=epochs, batch_size=32,
                      shuffle=True, seed=seed, validation_data=(X[test], y[test]), callbacks=report)
    seconds = time.perf_counter() - start
    accuracy = {name: float((net.forward(X[idx]).argmax(axis=1) == y[idx]).mean())
                for name, idx in (("train", train), ("test", test))}
    print(f"  {history.epochs} epochs in {seconds:.2f} s; accuracy: train {accuracy['train']:.3f}, "
          f"test {accuracy['test']:.3f}")
    return net, history, accuracy


if __name__ == "__main__":
    main()
