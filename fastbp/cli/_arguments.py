"""The command line's usage error and the argparse types of its values."""
import argparse

import numpy as np


class CLIError(Exception):
    """A usage problem found after parsing (reported like argparse's errors)."""


def int_list(text):
    """Comma-separated layer sizes ("64,32"); "" or "none" is no layer."""
    text = text.strip()
    if text.lower() in ("", "none"):
        return []
    try:
        sizes = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 64,32, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return parse


positive_int, non_negative_int = _int_at_least(1), _int_at_least(0)


def fraction(text):
    """A number in [0, 1), such as the validation split."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def column_list(text):
    """Comma-separated column names."""
    return [c.strip() for c in text.split(",")]


def float_list(text):
    """Comma-separated numbers ("-1.2,1")."""
    try:
        values = [float(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers like -1.2,1, got {text!r}") from None
    if not all(np.isfinite(values)):
        raise argparse.ArgumentTypeError(f"expected finite numbers, got {text!r}")
    return values
