"""Print the table of fastbp's exp (src_c/fastbp/_kernels/_exp.pxd): 2^(j/N)
for j = 0..N-1 (N = 512) as the nearest double (hi) and what is left relative
to it (tail = (2^(j/N) - hi) / hi, nearest double), the two parts of ln(2)/N
the argument reduction uses, and N/ln(2).

    python tools/exp_table.py

Computed with 80 decimal digits (``decimal``), so every entry is the correctly
rounded value; tests/test_exp.py checks that the .pxd holds this output.
"""
from decimal import Decimal, getcontext
from fractions import Fraction
from math import floor, log2

N = 512
PER_LINE = 3
HI_BITS = 32  # ln2/N to 32 significant bits: k * hi is exact for |k| < 2^21


def nearest_double_and_tail(x):
    hi = float(x)  # Fraction -> float rounds to nearest
    return hi, float((x - Fraction(hi)) / Fraction(hi))


def table():
    getcontext().prec = 80
    powers = [nearest_double_and_tail(Fraction(Decimal(2) ** (Decimal(j) / N)))
              for j in range(N)]
    step = Fraction(Decimal(2).ln()) / N
    quantum = Fraction(2) ** (floor(log2(step)) - HI_BITS + 1)
    step_hi = round(step / quantum) * quantum
    return powers, float(step_hi), float(step - step_hi), float(1 / step)


def c_source():
    powers, step_hi, step_lo, inv = table()
    lines = [f"#define FASTBP_EXP_N {N}",
             f"static const double fastbp_exp_step_hi = {step_hi.hex()};  /* ln(2)/N */",
             f"static const double fastbp_exp_step_lo = {step_lo.hex()};",
             f"static const double fastbp_exp_per_step = {inv.hex()};  /* N/ln(2) */"]
    for name, part in (("hi", 0), ("tail", 1)):
        lines.append(f"static const double fastbp_exp2_{name}[FASTBP_EXP_N] = {{")
        for i in range(0, N, PER_LINE):
            lines.append("    " + ", ".join(p[part].hex() for p in powers[i:i + PER_LINE]) + ",")
        lines.append("};")
    return "\n".join(lines)


if __name__ == "__main__":
    print(c_source())
