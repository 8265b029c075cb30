"""How many threads a training epoch uses, and BLAS's threads meanwhile.

A batch of at least 64 rows is split into parts (at most four, of at least
32 rows each) whose gradients are added in part order, and the parameter
updates run over fixed ranges: the threads compute parts and ranges, so the
result is the same bits for any number of threads.  The default is every
core this process may run on; :func:`set_num_threads` changes it for the
process (or, as a context manager, for a block), ``fit(n_threads=...)`` for
one fit.

While more than one thread trains, each part's matrix products call BLAS
from its own thread; BLAS's own threads would then compete with them for the
same cores, so fastbp limits BLAS to one thread for the epoch when
threadpoolctl is installed (set ``OPENBLAS_NUM_THREADS=1`` or use
threadpoolctl yourself otherwise).
"""
import contextlib
import os

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
    return available_cores() if _setting is None else _setting


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


def blas_limited(n_threads):
    """A context in which BLAS runs on one thread, when n_threads > 1 and
    threadpoolctl is installed; else one that changes nothing."""
    global _controller
    if n_threads <= 1:
        return contextlib.nullcontext()
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = False
        else:
            _controller = ThreadpoolController()
    if _controller is False:
        return contextlib.nullcontext()
    return _controller.limit(limits=1, user_api="blas")
