"""How many threads a training epoch uses, and BLAS's threads meanwhile.

A batch of at least 128 rows is computed in two halves of rows (forward,
loss, errors, and for networks with fewer weights than the batch has
activations each half's own gradient, the two added afterwards; else the
gradients in blocks of each dW over all rows), and the parameter updates run
over fixed ranges: the threads share out this work, fixed by the batch
alone, so the result is the same bits for any number of threads (one
thread takes the halves' products at once where BLAS gives the same bits
that way: docs/architecture.md).  The
default is every core this process may run on, or ``FASTBP_NUM_THREADS``
when set; :func:`set_num_threads` changes it for the process (or, as a
context manager, for a block), ``fit(n_threads=...)`` for one fit.  On a machine
whose cores are busy with other jobs, one thread can be faster: a thread
that waits for a core holds up the others at the end of every batch.

While batches are split, each part's matrix products call BLAS from the
thread that computes the part, and fastbp limits BLAS to one thread for the
epoch when threadpoolctl is installed (set ``OPENBLAS_NUM_THREADS=1`` or use
threadpoolctl yourself otherwise), whatever ``n_threads`` is: BLAS's own
threads would compete with fastbp's for the same cores, and OpenBLAS's
threaded products do not always give the bits of its one-thread products
(a [400, 400, 3] network's float64 weights differed by 1e-17 after an epoch
of n_threads=1 with BLAS on two threads).
"""
import contextlib
import os

from fastbp._kernels._passes import splits
from fastbp._validation import check_int

__all__ = ["get_num_threads", "set_num_threads"]

_setting = None   # None: every core available
_controller = None


def available_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def get_num_threads():
    """The threads a fit uses when not told otherwise."""
    if _setting is not None:
        return _setting
    value = os.environ.get("FASTBP_NUM_THREADS", "").strip()
    if not value:
        return available_cores()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"FASTBP_NUM_THREADS must be a whole number >= 1, got {value!r}")
    return int(value)


@contextlib.contextmanager
def _restoring(previous):
    global _setting
    try:
        yield
    finally:
        _setting = previous


def set_num_threads(n):
    """Train on ``n`` threads (None: every core available) from now on; used
    as a context manager (``with fb.set_num_threads(1): ...``), only inside
    the block."""
    global _setting
    previous = _setting
    _setting = None if n is None else check_int("n_threads", n, 1)
    return _restoring(previous)


def resolve(n_threads):
    """``fit``'s n_threads: checked, None meaning get_num_threads()."""
    return get_num_threads() if n_threads is None else check_int("n_threads", n_threads, 1)


def blas_limited(batch_size):
    """A context in which BLAS runs on one thread, when batches of
    ``batch_size`` rows are split (for any ``n_threads``: see above) and
    threadpoolctl is installed (its view of the process's libraries is taken
    once); else one that changes nothing."""
    global _controller
    if not splits(batch_size):
        return contextlib.nullcontext()
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = False
        else:
            _controller = ThreadpoolController().select(user_api="blas").lib_controllers
    if _controller is False:
        return contextlib.nullcontext()
    return _one_thread(_controller)


@contextlib.contextmanager
def _one_thread(libraries):
    """Each of threadpoolctl's BLAS ``libraries`` on one thread inside the
    block, setting only those not on one already (2-5 us a fit call, where
    threadpoolctl's own ``limit`` took 14)."""
    changed = [(lib, n) for lib in libraries if (n := lib.num_threads) != 1]
    for lib, _ in changed:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in changed:
            lib.set_num_threads(n)
