"""Build the compiled kernels.

Compiler directives live here and nowhere else. ``FASTBP_CYTHON_DEBUG=1`` turns
bounds checking, wraparound and initialization checks back on for a debug build
(-O0 -g); ``FASTBP_SANITIZE=1`` adds AddressSanitizer and
UndefinedBehaviorSanitizer (run Python with
``LD_PRELOAD=$(gcc -print-file-name=libasan.so)``; see README).
On x86-64 a second, AVX2 set of the kernels is built unless
``FASTBP_NO_AVX2=1``; fastbp._kernels picks one at import time.
"""
import os
import platform
import shutil

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



def kernels(package, source_dir, extra_args=()):
    return [
        Extension(
            f"{package}.{name}",
            [os.path.join(source_dir, f"{name}.pyx")],
            extra_compile_args=compile_args + list(extra_args),
            extra_link_args=link_args,
            # link libm explicitly: unlinked, exp/log bind at run time to
            # glibc's oldest (compatibility-wrapper) symbol versions
            libraries=["m"],
        )
        for name in KERNELS
    ]


def avx2_sources():
    """The kernel sources again, as the package fastbp._kernels._avx2, for a
    second build with -mavx2.  The kernels cimport each other relatively, so
    each build links to its own siblings.  No -mfma: fused multiply-adds
    would round differently, and both builds must give the same bits."""
    root = os.path.join("build", "avx2_src")
    target = os.path.join(root, "fastbp", "_kernels", "_avx2")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(target)
    for package_dir in (os.path.join(root, "fastbp"), os.path.join(root, "fastbp", "_kernels")):
        open(os.path.join(package_dir, "__init__.pxd"), "w").close()
    source = os.path.join("src_c", "fastbp", "_kernels")
    for name in os.listdir(source):
        if name.endswith((".pyx", ".pxd")):
            shutil.copy(os.path.join(source, name), target)
    return root, target


# On x86-64 the kernels are built twice: for any x86-64 CPU, and with AVX2
# (4 doubles per vector instead of 2), which fastbp._kernels picks at import
# time when the CPU has it.  FASTBP_NO_AVX2=1 builds the portable set only.
WITH_AVX2 = (platform.machine().lower() in ("x86_64", "amd64")
             and os.environ.get("FASTBP_NO_AVX2", "") in ("", "0"))

ext_modules = cythonize(kernels("fastbp._kernels", "src_c/fastbp/_kernels"),
                        include_path=["src_c"], compiler_directives=directives)
if WITH_AVX2:
    avx2_root, avx2_dir = avx2_sources()
    ext_modules += cythonize(kernels("fastbp._kernels._avx2", avx2_dir, ["-mavx2"]),
                             include_path=[avx2_root], compiler_directives=directives)

setup(ext_modules=ext_modules)
