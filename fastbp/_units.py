"""Unit (activation) names as users write them, and their kernel codes.

A hidden unit is named by a string: ``"relu"``, or for a unit with a
parameter, ``"leaky_relu"`` (PyTorch's default parameter) or
``"leaky_relu(0.2)"``.  The parameters and their defaults are
torch.nn.functional's: leaky ReLU's ``negative_slope`` (0.01), ELU's
``alpha`` (1.0) and softplus' ``beta`` (1.0, with torch's threshold: z itself
where beta z > 20).
"""
import re

from fastbp._kernels import UNIT_PARAMS, Activation

__all__ = ["HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "parse_unit"]

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "leaky_relu", "elu", "gelu",
                      "softplus", "silu")
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "identity", "tanh", "relu", "exp")

_SPEC = re.compile(r"^\s*([a-z_]+)\s*(?:\(\s*([^()]*?)\s*\))?\s*$")


def parse_unit(spec, allowed, what):
    """(normalized name, kernel code, parameter or None) of a unit spec such as
    ``"elu"`` or ``"elu(0.5)"``; ``what`` ("hidden", "output") names it in errors."""
    match = _SPEC.match(spec) if isinstance(spec, str) else None
    name = match.group(1) if match else None
    if name not in allowed:
        raise ValueError(f"unknown {what} activation {spec!r}; expected one of {list(allowed)}"
                         + (" (leaky_relu, elu and softplus take a parameter, e.g. "
                            "'leaky_relu(0.2)')" if what == "hidden" else ""))
    code = int(Activation[name.upper()])
    text = match.group(2)
    if text is None:
        return name, code, None
    if code not in UNIT_PARAMS:
        raise ValueError(f"activation {name!r} takes no parameter, got {spec!r}")
    param_name, _, low, low_open = UNIT_PARAMS[code]
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value == value and abs(value) != float("inf")
            and (value > low if low_open else value >= low)):
        raise ValueError(f"{name}'s {param_name} must be a finite number "
                         f"{'>' if low_open else '>='} {low}, got {spec!r}")
    return f"{name}({value!r})", code, value
