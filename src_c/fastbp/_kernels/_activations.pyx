"""The activation codes (``Activation``, a cpdef enum declared in
_activations.pxd) as Python sees them.  The activation functions themselves
are inline in the .pxd, so each kernel compiles them into its own loops."""

# The units that take a parameter: its name (torch.nn.functional's), default
# and lower bound (exclusive when the flag is set).  Leaky ReLU's slope must
# be >= 0 so that the sign of the output tells the sign of z.
UNIT_PARAMS = {
    LEAKY_RELU: ("negative_slope", 0.01, 0.0, False),
    ELU: ("alpha", 1.0, 0.0, True),
    SOFTPLUS: ("beta", 1.0, 0.0, True),
}
