"""Build the compiled kernels.

Compiler directives live here and nowhere else. ``FASTBP_CYTHON_DEBUG=1`` turns
bounds checking, wraparound and initialization checks back on for a debug build
(-O0 -g); ``FASTBP_SANITIZE=1`` adds AddressSanitizer and
UndefinedBehaviorSanitizer (run Python with
``LD_PRELOAD=$(gcc -print-file-name=libasan.so)``; see README).
On x86-64 AVX2 and AVX-512 sets of the kernels are built too unless
``FASTBP_NO_AVX2=1``; fastbp._kernels picks one at import time.

Release builds compile without -g (Python's CFLAGS add it), on every core
(``FASTBP_BUILD_JOBS=N`` to choose), and keep each compiled extension in
``build/ext-cache/`` (``FASTBP_BUILD_CACHE=DIR`` to move it) under a hash of
its C source, flags and Python ABI, so a second install (pip's editable
install builds in a fresh temporary directory each time) copies instead of
recompiling.
"""
import hashlib
import os
import platform
import shutil
import sysconfig

import numpy  # noqa: F401  (build requirement; kernels need no NumPy headers)
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext as _build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
DEBUG = os.environ.get("FASTBP_CYTHON_DEBUG", "") not in ("", "0")
SANITIZE = os.environ.get("FASTBP_SANITIZE", "") not in ("", "0")
JOBS = int(os.environ.get("FASTBP_BUILD_JOBS", 0)) or os.cpu_count() or 1

KERNELS = ["_activations", "_network", "_optimizers", "_passes", "_train"]
# _train is control flow around the other modules' vectorized loops, and the
# per-example step's narrow layers (a few units: vector set-up would cost
# more than their arithmetic, which is latency-bound)
SCALAR_KERNELS = {"_train"}
# the parts of a split pass (_passes) and the updates (_train) run on OpenMP
# threads (n_threads)
OPENMP_KERNELS = {"_passes", "_train"}

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
compile_args = (["-O0", "-g"] if DEBUG else ["-O3", "-fno-math-errno"]) + ["-ffp-contract=off"]
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
            extra_compile_args=(compile_args + list(extra_args)
                                + (["-fno-tree-vectorize", "-DFASTBP_SCALAR_LOOPS"]
                                   if name in SCALAR_KERNELS else [])
                                + (["-fopenmp"] if name in OPENMP_KERNELS else [])),
            extra_link_args=link_args + (["-fopenmp"] if name in OPENMP_KERNELS else []),
            # link libm explicitly: unlinked, exp/log bind at run time to
            # glibc's oldest (compatibility-wrapper) symbol versions
            libraries=["m"],
        )
        for name in KERNELS
    ]


def same_file(a, b):
    if not os.path.exists(b):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def variant_sources(variant):
    """The kernel sources again, as the package fastbp._kernels._<variant>,
    for a build with that variant's instructions.  The kernels cimport each
    other relatively, so each build links to its own siblings.  Unchanged
    files keep their copies (and times), so Cython reuses the C it
    generated last time."""
    root = os.path.join("build", f"{variant}_src")
    target = os.path.join(root, "fastbp", "_kernels", f"_{variant}")
    os.makedirs(target, exist_ok=True)
    for package_dir in (os.path.join(root, "fastbp"), os.path.join(root, "fastbp", "_kernels")):
        open(os.path.join(package_dir, "__init__.pxd"), "a").close()
    source = os.path.join("src_c", "fastbp", "_kernels")
    names = {n for n in os.listdir(source) if n.endswith((".pyx", ".pxd", ".pxi"))}
    for name in os.listdir(target):
        if name.endswith((".pyx", ".pxd", ".pxi")) and name not in names:
            os.remove(os.path.join(target, name))
    for name in names:
        if not same_file(os.path.join(source, name), os.path.join(target, name)):
            shutil.copy2(os.path.join(source, name), target)
    return root, target


class build_ext(_build_ext):
    """Parallel, -g-free in release builds, and cached by content."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = JOBS

    def build_extensions(self):
        if not (DEBUG or SANITIZE):
            self.compiler.compiler_so = [a for a in self.compiler.compiler_so if a != "-g"]
        super().build_extensions()

    def cache_path(self, ext):
        h = hashlib.sha256()
        for source in ext.sources:
            with open(source, "rb") as f:
                h.update(f.read())
        h.update(repr((self.compiler.compiler_so, self.compiler.linker_so,
                       ext.extra_compile_args, ext.extra_link_args, ext.libraries,
                       sysconfig.get_config_var("EXT_SUFFIX"))).encode())
        root = os.environ.get("FASTBP_BUILD_CACHE") or os.path.join(HERE, "build", "ext-cache")
        return os.path.join(root, h.hexdigest()[:24], ext.name + ".so")

    def build_extension(self, ext):
        cached, target = self.cache_path(ext), self.get_ext_fullpath(ext.name)
        if os.path.exists(cached):
            print(f"fastbp: {ext.name}: reusing the extension compiled earlier ({cached})")
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            shutil.copyfile(cached, target)
            return
        print(f"fastbp: compiling {ext.name}")
        super().build_extension(ext)
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        shutil.copyfile(target, cached + ".tmp")
        os.replace(cached + ".tmp", cached)   # atomic: parallel builds never see half a file


# On x86-64 the kernels are built three times: for any x86-64 CPU, with AVX2
# (4 doubles per vector instead of 2) and with AVX-512 (8), and
# fastbp._kernels picks the widest the CPU has at import time.  No FMA:
# fused multiply-adds round differently, and every build must give the same
# bits (-ffp-contract=off keeps the AVX-512 build, whose instruction set has
# them, from contracting a * b + c).  FASTBP_NO_AVX2=1 builds the portable
# set only.
VARIANTS = {"avx2": ["-mavx2"],
            "avx512": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw"]}
WITH_VARIANTS = (platform.machine().lower() in ("x86_64", "amd64")
                 and os.environ.get("FASTBP_NO_AVX2", "") in ("", "0"))

# Cython's utility code (the memoryview type and its helpers, about a third of
# each generated module) lives in one shared extension that every kernel
# module of both sets imports, rather than in each of them: 40% less C to
# compile.  cythonize writes its source when it meets its Extension.
SHARED = "fastbp._kernels._cyutility"
shared = Extension(SHARED, ["src_c/fastbp/_kernels/_cyutility.c"],
                   extra_compile_args=compile_args, extra_link_args=link_args)
ext_modules = cythonize(kernels("fastbp._kernels", "src_c/fastbp/_kernels") + [shared],
                        include_path=["src_c"], compiler_directives=directives, nthreads=JOBS,
                        shared_utility_qualified_name=SHARED)
for variant, flags in VARIANTS.items() if WITH_VARIANTS else ():
    variant_root, variant_dir = variant_sources(variant)
    ext_modules += cythonize(kernels(f"fastbp._kernels._{variant}", variant_dir, flags),
                             include_path=[variant_root], compiler_directives=directives,
                             nthreads=JOBS, shared_utility_qualified_name=SHARED)

setup(ext_modules=ext_modules, cmdclass={"build_ext": build_ext})
