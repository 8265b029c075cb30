"""The AVX2 build of the kernels gives the same bits as the portable one."""
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
                               ("relu", "adam", 64), ("tanh", "adagrad", None)):
        net = fb.MLP([13, 37, 19, 5], hidden=hidden, output="softmax", loss="cross_entropy",
                     dtype=dtype, seed=1)
        h = net.fit(X, y, optimizer=opt, epochs=3, batch_size=batch, shuffle=True, seed=2,
                    alpha=1e-3)
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


@pytest.mark.skipif(not kernels._cpu_has_avx2(), reason="this CPU has no AVX2")
def test_avx2_and_portable_kernels_give_the_same_bits():
    try:
        kernels.get("avx2")
    except ImportError:
        pytest.skip("built without the AVX2 kernels (FASTBP_NO_AVX2 or not x86-64)")
    portable, avx2 = _run("baseline"), _run("avx2")
    assert portable.pop("variant") == "baseline" and avx2.pop("variant") == "avx2"
    assert portable.keys() == avx2.keys()
    for key in portable:
        np.testing.assert_array_equal(np.array(avx2[key][0]), np.array(portable[key][0]),
                                      err_msg=key)
        assert avx2[key][1] == portable[key][1], key


def test_an_unknown_kernel_choice_is_refused():
    import os
    result = subprocess.run([sys.executable, "-c", "import fastbp"], capture_output=True, text=True,
                            env={**os.environ, "FASTBP_KERNELS": "sse9"}, timeout=60)
    assert result.returncode != 0
    assert "FASTBP_KERNELS must be 'auto' or one of ['avx2', 'baseline', 'numpy']" in result.stderr
