"""Build the compiled kernels.

Compiler directives live here and nowhere else. ``FASTBP_CYTHON_DEBUG=1`` turns
bounds checking, wraparound and initialization checks back on for a debug build
(-O0 -g); ``FASTBP_SANITIZE=1`` adds AddressSanitizer and
UndefinedBehaviorSanitizer (run Python with
``LD_PRELOAD=$(gcc -print-file-name=libasan.so)``; see README).
"""
import os

import numpy  # noqa: F401  (build requirement; kernels need no NumPy headers)
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTBP_CYTHON_DEBUG", "") not in ("", "0")
SANITIZE = os.environ.get("FASTBP_SANITIZE", "") not in ("", "0")

KERNELS = ["_activations", "_network", "_optimizers", "_train"]

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "embedsignature": True,
}

# -fno-math-errno lets gcc vectorize sqrt in the optimizer loops; it does not
# change any result.  No -march=native (wheels run elsewhere), no -ffast-math
# (it may delete isfinite checks and alters IEEE semantics process-wide).
compile_args = ["-O0", "-g"] if DEBUG else ["-O3", "-fno-math-errno"]
link_args = []
if SANITIZE:
    sanitizers = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                  "-fno-omit-frame-pointer"]
    compile_args += sanitizers + ["-g"]
    link_args += sanitizers

extensions = [
    Extension(
        f"fastbp._kernels.{name}",
        [f"src_c/fastbp/_kernels/{name}.pyx"],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        # link libm explicitly: unlinked, exp/log bind at run time to glibc's
        # oldest (compatibility-wrapper) symbol versions, a third slower
        libraries=["m"],
    )
    for name in KERNELS
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["src_c"],
        compiler_directives=directives,
    ),
)
