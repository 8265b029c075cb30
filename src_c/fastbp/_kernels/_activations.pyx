"""The activation codes (``Activation``, a cpdef enum declared in
_activations.pxd) as Python sees them.  The activation functions themselves
are inline in the .pxd, so each kernel compiles them into its own loops."""
