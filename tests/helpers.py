"""Helpers shared by the tests: tolerances, reference inputs, valid targets,
networks with non-trivial biases, the output/loss pairs, and a subprocess
runner.  Fixtures live in conftest.py."""
import numpy as np

import fastbp as fb


def tolerance(dtype):
    """Relative tolerance for comparing a kernel with the float64 reference."""
    return 1e-12 if np.dtype(dtype) == np.float64 else 2e-5


def ref_params(net):
    """The network's parameters as float64 copies, for the reference."""
    return ([w.astype(np.float64) for w in net.weights],
            [b.astype(np.float64) for b in net.biases])


def ref_activations(net):
    return list(net.hidden) + [net.output]


def targets(net, n, rng):
    """Valid targets for ``net``'s output and loss."""
    k = net.n_outputs
    if net.output == "softmax":
        return np.eye(k)[rng.integers(0, k, n)]
    if net.loss_name == "poisson":
        return rng.poisson(1.5, (n, k)).astype(float)
    if net.loss_name == "cross_entropy" or net.output == "sigmoid":
        return rng.uniform(0.05, 0.95, (n, k))
    return rng.normal(size=(n, k))


def make_net(sizes, hidden, output, loss, dtype="float64", seed=0, scale=None):
    init = "uniform" if scale else "glorot_uniform"
    net = fb.MLP(sizes, hidden=hidden, output=output, loss=loss, dtype=dtype,
                 seed=seed, init=init, init_scale=scale or 0.5)
    rng = np.random.default_rng(seed + 1)
    for b in net.biases:
        b[...] = rng.uniform(-0.3, 0.3, b.shape)
    return net


# every output/loss pair the API accepts
OUTPUT_LOSS = [
    ("sigmoid", "squared"), ("identity", "squared"), ("tanh", "squared"),
    ("relu", "squared"), ("softmax", "squared"),
    ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
    ("exp", "poisson"), ("exp", "squared"),
]
HIDDEN = ["sigmoid", "tanh", "relu", "identity", "leaky_relu", "elu", "gelu", "softplus", "silu"]


def run_python(args, cwd, env_drop=(), timeout=120):
    """Run ``python ARGS`` in a subprocess that imports the same fastbp as the
    tests (a checkout's in-place build or an installed wheel)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    root = os.path.dirname(os.path.dirname(os.path.abspath(fb.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
