"""Print the table of fastbp's exp (src_c/fastbp/_kernels/_exp.pxd): 2^(j/128)
for j = 0..127 as the nearest double (hi) and what is left relative to it
(tail = (2^(j/128) - hi) / hi, nearest double), the two parts of ln(2)/128
the argument reduction uses, and 128/ln(2).

    python tools/exp_table.py

Computed with 80 decimal digits (``decimal``), so every entry is the correctly
rounded value; tests/test_exp.py checks that the .pxd holds this output.
"""
from decimal import Decimal, getcontext
from fractions import Fraction
from math import floor, log2

N = 128
PER_LINE = 3
HI_BITS = 34  # ln2/128 to 34 significant bits: k * hi is exact for |k| < 2^19


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
    lines = [f"static const double fastbp_ln2_128_hi = {step_hi.hex()};",
             f"static const double fastbp_ln2_128_lo = {step_lo.hex()};",
             f"static const double fastbp_128_ln2 = {inv.hex()};"]
    for name, part in (("hi", 0), ("tail", 1)):
        lines.append(f"static const double fastbp_exp2_{name}[{N}] = {{")
        for i in range(0, N, PER_LINE):
            lines.append("    " + ", ".join(p[part].hex() for p in powers[i:i + PER_LINE]) + ",")
        lines.append("};")
    return "\n".join(lines)


if __name__ == "__main__":
    print(c_source())
