"""fastbp's own exp (src_c/fastbp/_kernels/_exp.pxd): within 0.512 ulp of the
true value, IEEE special cases right, and the same bits in every compiled
variant and in both of its shapes (the vectorized one of _network's loops,
the scalar one of _train's per-example step)."""
import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import fastbp._kernels as kernels

ROOT = Path(__file__).resolve().parents[1]
PXD = ROOT / "src_c" / "fastbp" / "_kernels" / "_exp.pxd"
TABLE_SCRIPT = ROOT / "tools" / "exp_table.py"
PACKAGES = {"baseline": "fastbp._kernels", "avx2": "fastbp._kernels._avx2",
            "avx512": "fastbp._kernels._avx512"}
LN_MAX = 709.782712893384  # the largest x with a finite exp(x)


def usable_variants():
    names = []
    for name in PACKAGES:
        try:
            kernels.get(name)
        except ImportError:
            continue
        names.append(name)
    return names


VARIANTS = usable_variants()


def shapes(variant):
    """{shape: exp over an array} of one compiled variant."""
    out = {}
    for shape, module in (("lanes", "_network"), ("scalar", "_train")):
        mod = importlib.import_module(f"{PACKAGES[variant]}.{module}")

        def run(x, dtype=np.float64, mod=mod):
            x = np.ascontiguousarray(x, dtype=dtype)
            y = np.empty_like(x)
            mod.exp_values(x, y)
            return y
        out[shape] = run
    return out


def samples(n=40_000, seed=0):
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(-745.0, LN_MAX, n), rng.uniform(-30, 30, n), rng.uniform(-1, 1, n),
             rng.uniform(-1e-3, 1e-3, n), rng.standard_normal(n) * 1e-12]
    # both sides of every edge of the code: where the scaling changes (|x| ~ 698.6),
    # where results turn subnormal, overflow and underflow to zero
    for edge in (-745.13, -708.4, -698.6, 698.6, LN_MAX):
        parts.append(edge + rng.uniform(-0.05, 0.05, n // 10))
    return np.concatenate(parts)


def ulp_errors(x, y):
    """|y - exp(x)| in units of the last place of exp(x) (normal results only)."""
    ref = np.exp(x.astype(np.longdouble))
    normal = (ref >= np.finfo(np.float64).tiny) & (ref <= np.finfo(np.float64).max)
    _, e = np.frexp(ref[normal])
    ulp = np.ldexp(np.longdouble(1), e - 53)
    return np.abs(y[normal].astype(np.longdouble) - ref[normal]) / ulp, ref, normal


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63,
                    reason="needs an 80-bit long double for the reference")
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", ["lanes", "scalar"])
def test_exp_is_within_half_an_ulp_and_a_hair_of_the_true_value(variant, shape):
    x = samples()
    y = shapes(variant)[shape](x)
    err, ref, normal = ulp_errors(x, y)
    assert err.max() <= 0.512
    # correctly rounded but where the true value is within ~0.012 ulp of a tie
    assert np.mean(y[normal] == ref[normal].astype(np.float64)) > 0.995
    # subnormal results: one rounding of a rounded value, within one of their ulps
    tiny = ~normal & (ref > 0) & (ref < np.finfo(np.float64).tiny)
    assert tiny.sum() > 100
    assert np.all(np.abs(y[tiny] - ref[tiny].astype(np.float64)) <= 2.0 ** -1074)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", ["lanes", "scalar"])
def test_exp_of_special_values(variant, shape):
    exp = shapes(variant)[shape]
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, LN_MAX, np.nextafter(LN_MAX, np.inf),
                  710.0, 1e300, -1e300, -746.0, -745.14, -745.13, 5e-324, -5e-324])
    y = exp(x)
    assert y[0] == 1 and y[1] == 1
    assert y[2] == np.inf and y[3] == 0 and np.isnan(y[4])
    assert np.isfinite(y[5]) and y[5] > 1.7976931348622e308
    assert y[6] == np.inf and y[7] == np.inf and y[8] == np.inf
    assert y[9] == 0 and y[10] == 0 and y[11] == 0
    assert y[12] == 5e-324  # exp(-745.13) = 4.9e-324 rounds to the smallest subnormal
    assert y[13] == 1 and y[14] == 1


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63,
                    reason="needs an 80-bit long double for the reference")
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", ["lanes", "scalar"])
def test_float_exp_is_within_half_a_float_ulp_and_a_hair(variant, shape):
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-103.9, 88.7, 200_000), rng.uniform(-10, 10, 200_000),
                        rng.uniform(-1e-3, 1e-3, 50_000)]).astype(np.float32)
    y = shapes(variant)[shape](x, np.float32)
    ref = np.exp(x.astype(np.longdouble))
    tiny = np.finfo(np.float32).tiny
    normal = ref >= tiny
    _, e = np.frexp(ref[normal])
    err = np.abs(y[normal].astype(np.longdouble) - ref[normal]) / np.ldexp(np.longdouble(1), e - 24)
    assert err.max() <= 0.501
    assert np.mean(y[normal] == ref[normal].astype(np.float32)) > 0.999  # 0.99981 measured
    assert np.all(np.abs(y[~normal] - ref[~normal].astype(np.float32)) <= 2.0 ** -149)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", ["lanes", "scalar"])
def test_float_exp_of_special_values(variant, shape):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 88.72, 88.73, 89.5, 3e38, -3e38, -103.3,
                  -104.5], np.float32)
    y = shapes(variant)[shape](x, np.float32)
    assert y[0] == 1 and y[1] == 1 and y[2] == np.inf and y[3] == 0 and np.isnan(y[4])
    assert np.isfinite(y[5]) and np.all(y[6:9] == np.inf) and y[9] == 0
    assert y[10] == np.float32(1.4e-45) and y[11] == 0  # the smallest subnormal, then 0


@pytest.mark.parametrize("variant", VARIANTS)
def test_both_shapes_and_every_variant_give_the_same_bits(variant):
    x = np.concatenate([samples(seed=1), np.random.default_rng(2).uniform(-800, 800, 100_000)])
    xf = np.concatenate([x[np.abs(x) < 120], np.linspace(-110, 95, 100_001)]).astype(np.float32)
    reference = shapes("baseline")["lanes"](x)
    reference_f = shapes("baseline")["lanes"](xf, np.float32)
    for shape, exp in shapes(variant).items():
        np.testing.assert_array_equal(exp(x).view(np.uint64), reference.view(np.uint64),
                                      err_msg=f"{variant} {shape}")
        np.testing.assert_array_equal(exp(xf, np.float32).view(np.uint32),
                                      reference_f.view(np.uint32), err_msg=f"{variant} {shape}")


def test_exp_values_refuses_arrays_of_different_lengths():
    mod = importlib.import_module("fastbp._kernels._network")
    with pytest.raises(ValueError, match="out has 2 values, x 3"):
        mod.exp_values(np.zeros(3), np.zeros(2))


@pytest.mark.skipif(not (PXD.exists() and TABLE_SCRIPT.exists()), reason="needs the sources")
def test_the_table_in_the_kernels_is_the_one_the_script_computes():
    spec = importlib.util.spec_from_file_location("exp_table", TABLE_SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    text = PXD.read_text()
    for line in script.c_source().splitlines():
        assert "    " + line in text, line
    powers, hi, lo, _ = script.table()
    assert powers[script.N // 2][0] == np.sqrt(2.0)  # 2^(1/2), correctly rounded
    assert hi + lo == np.log(2.0) / script.N
