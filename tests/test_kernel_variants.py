"""The AVX2 and AVX-512 builds of the kernels give the same bits as the portable one
(and a batch split into parts, on any number of threads, too)."""
import json
import subprocess
import sys

import numpy as np
import pytest

import fastbp._kernels as kernels

SCRIPT = r"""
import json, sys
import numpy as np
import fastbp as fb
import fastbp._kernels as kernels
rng = np.random.default_rng(0)
out = {"variant": kernels.active().NAME}
for dtype in ("float64", "float32"):
    X = rng.normal(size=(300, 13)).astype(dtype)
    y = rng.integers(0, 5, 300)
    for hidden, opt, batch in (("sigmoid", "sgd", 1), ("relu", "adam", 1), ("tanh", "rmsprop", 16),
                               ("relu", "adam", 64), ("tanh", "adagrad", None),
                               ("leaky_relu", "momentum", 150)):
        net = fb.MLP([13, 37, 19, 5], hidden=hidden, output="softmax", loss="cross_entropy",
                     dtype=dtype, seed=1)
        h = net.fit(X, y, optimizer=opt, epochs=3, batch_size=batch, shuffle=True, seed=2,
                    alpha=1e-3, n_threads=2)
        key = f"{dtype}-{hidden}-{opt}-{batch}"
        out[key] = [net.params.astype(float).tolist(), h.loss]
json.dump(out, sys.stdout)
"""


def _run(variant):
    env = {"FASTBP_KERNELS": variant}
    import os
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("variant", ["avx2", "avx512"])
def test_wider_kernels_give_the_portable_kernels_bits(variant):
    try:
        kernels.get(variant)
    except ImportError as e:
        pytest.skip(f"{variant} kernels not usable here: {e}")
    portable, wide = _run("baseline"), _run(variant)
    assert portable.pop("variant") == "baseline" and wide.pop("variant") == variant
    assert portable.keys() == wide.keys()
    for key in portable:
        np.testing.assert_array_equal(np.array(wide[key][0]), np.array(portable[key][0]),
                                      err_msg=key)
        assert wide[key][1] == portable[key][1], key


def test_the_widest_kernels_the_cpu_runs_are_chosen():
    result = subprocess.run([sys.executable, "-c", "import fastbp._kernels as k; "
                             "print(k.active().NAME)"], capture_output=True, text=True,
                            env={k: v for k, v in __import__("os").environ.items()
                                 if k != "FASTBP_KERNELS"}, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = next((v for v in ("avx512", "avx2") if v in kernels.available()), "baseline")
    assert result.stdout.strip() == expected


def test_an_unknown_kernel_choice_is_refused():
    import os
    result = subprocess.run([sys.executable, "-c", "import fastbp"], capture_output=True, text=True,
                            env={**os.environ, "FASTBP_KERNELS": "sse9"}, timeout=60)
    assert result.returncode != 0
    assert ("FASTBP_KERNELS must be 'auto' or one of ['avx2', 'avx512', 'baseline', 'numpy']"
            in result.stderr)
