"""Compiled kernels (Cython).  Private: use the names exported by ``fastbp``."""
