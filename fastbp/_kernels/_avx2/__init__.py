"""The compiled kernels built with AVX2 (x86-64); see fastbp._kernels."""
