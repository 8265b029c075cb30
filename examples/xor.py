"""XOR: the smallest problem a network without hidden units cannot learn.

A 2-2-1 sigmoid network trained by per-example gradient descent with
momentum learns it; a 2-1 network (no hidden layer) cannot, whatever it does.

    python examples/xor.py [--epochs N]
"""
import argparse

import fastbp as fb
from fastbp.datasets import xor


def main(epochs=2000, seed=0):
    X, y = xor()
    results = {}
    for sizes in ([2, 2, 1], [2, 1]):
        net = fb.MLP(sizes, hidden="sigmoid", output="sigmoid", init="uniform", init_scale=1.0,
                     seed=seed)
        # one example at a time in a fixed order: the lecture's incremental mode
        history = net.fit(X, y, optimizer=fb.SGD(lr=0.5, momentum=0.9), epochs=epochs,
                          batch_size=1, shuffle=False)
        out = net.forward(X)[:, 0]
        results[tuple(sizes)] = (net, out, history)
        print(f"network {'-'.join(map(str, sizes))}: "
              f"loss {history.loss[0]:.4f} -> {history.loss[-1]:.4f}")
        for x, o, t in zip(X, out, y):
            print(f"  {int(x[0])} xor {int(x[1])} = {int(t)}   output {o:.3f}"
                  f"  {'right' if (o > 0.5) == t else 'WRONG'}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    main(parser.parse_args().epochs)
