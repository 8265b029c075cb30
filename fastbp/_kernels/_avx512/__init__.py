"""The compiled kernels built with AVX-512 (x86-64); see fastbp._kernels."""
