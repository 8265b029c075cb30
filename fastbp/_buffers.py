"""How many rows the kernels' activation and delta buffers hold."""

# Buffers for one pass hold at most this many values per buffer: large data
# sets run through the network in chunks, so memory stays bounded.
_BUFFER_VALUES = 1 << 22


def rows_per_pass(n_rows, n_units, minimum=1024):
    """How many rows the activation buffers hold: the whole batch when it fits
    in _BUFFER_VALUES values (or has at most ``minimum`` rows), else chunks."""
    return int(max(1, min(n_rows, max(minimum, _BUFFER_VALUES // n_units))))
