"""Time fit() of fastbp's drop-in estimators against scikit-learn's MLP.

    PYTHONPATH=. python benchmarks/sklearn_dropin.py [--repeats 5]

Both get identical parameters (and the same random_state, hence the same
initial weights and sample order); the script checks that they end with the
same loss before it reports the median fit time of each and the ratio.
"""
import argparse
import time
import warnings
from functools import partial

import numpy as np
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import fastbp as fb


def median_fit_time(make, X, y, repeats):
    times, est = [], None
    for _ in range(repeats):
        est = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            est.fit(X, y)
            times.append(time.perf_counter() - start)
    return float(np.median(times)), est


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    X_d, y_d = load_digits(return_X_y=True)
    X_d = StandardScaler().fit_transform(X_d)
    X_s, y_s = make_classification(n_samples=20000, n_features=50, n_informative=30,
                                   n_classes=5, random_state=0)
    cases = [
        ("digits 1797x64, (100,), adam, batch 200, 50 ep", X_d, y_d,
         dict(hidden_layer_sizes=(100,), max_iter=50)),
        ("digits 1797x64, (100,), sgd+nesterov, batch 32, 20 ep", X_d, y_d,
         dict(hidden_layer_sizes=(100,), solver="sgd", batch_size=32, max_iter=20,
              learning_rate_init=0.01)),
        ("digits 1797x64, (100,), lbfgs, 100 it", X_d, y_d,
         dict(hidden_layer_sizes=(100,), solver="lbfgs", max_iter=100)),
        ("synthetic 20000x50, (128, 64), adam, batch 200, 10 ep", X_s, y_s,
         dict(hidden_layer_sizes=(128, 64), max_iter=10)),
        # one epoch: per-example momentum SGD is chaotic here (scikit-learn run
        # twice with X perturbed by 1e-15 ends a second epoch 50% apart)
        ("synthetic 20000x50, (128, 64), sgd, batch 1, 1 ep", X_s, y_s,
         dict(hidden_layer_sizes=(128, 64), solver="sgd", batch_size=1, max_iter=1,
              learning_rate_init=0.001)),
    ]
    print(f"median of {args.repeats} fits (seconds)\n")
    print("| case | scikit-learn | fastbp | speed-up |")
    print("|---|---:|---:|---:|")
    for name, X, y, params in cases:
        params = dict(params, random_state=0, n_iter_no_change=10**6)
        t_sk, e_sk = median_fit_time(partial(sk.MLPClassifier, **params), X, y, args.repeats)
        t_fb, e_fb = median_fit_time(partial(fb.MLPClassifier, **params), X, y, args.repeats)
        # same computation, or the timing means nothing (the weights: the
        # reported log loss differs once a probability saturates, see README)
        for a, b in zip(e_fb.coefs_, e_sk.coefs_):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6 * np.abs(b).max())
        print(f"| {name} | {t_sk:.3f} | {t_fb:.3f} | {t_sk / t_fb:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
