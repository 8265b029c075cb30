"""What runs on the workers: reading and checking a block, the loss and
gradient sums of a block's rows at given parameters, and local epochs on a
block.  Every task over a block takes the block first.

Every function reads the network it is given and never changes it (with
in-process workers the same object serves several threads at once).
"""
import copy
import math
import os
import weakref

import numpy as np

import fastbp.dask._dropout as _dropout
from fastbp import _kernels
from fastbp._buffers import rows_per_pass
from fastbp._runner import Runner, train


def network(net):
    """The network every task of a fit reads, as a task's result: a worker lost
    with the only copy has it computed again from the graph (scattered data
    would be lost for good, and the fit with it)."""
    return net


def npy_header(f):
    """(shape, Fortran order, dtype) from the header of the open .npy file
    ``f``, which is left at the data; None for a header of version 3
    (unicode field names)."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    return None


def read_rows(path, start, stop):
    """Rows start:stop of the .npy file ``path``, and only those: read from
    where they lie in the file (a memory map of a file larger than memory
    would count against the process's address-space limit), or through a
    memory map for a Fortran-ordered or object array."""
    with open(path, "rb") as f:
        header = npy_header(f)
        if header is not None and not header[1] and not header[2].hasobject and header[0]:
            shape, _, dtype = header
            width = math.prod(shape[1:])
            f.seek(start * width * dtype.itemsize, os.SEEK_CUR)
            rows = np.fromfile(f, dtype=dtype, count=(stop - start) * width)
            return rows.reshape(stop - start, *shape[1:])
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def prepare(net, X, Y, w):
    """A block as (X, Y, w) checked and converted as ``fit`` does (labels
    one-hot encoded, the network's dtype): the errors name the argument."""
    X = net._check_X(np.asarray(X))
    Y = net._check_Y(np.asarray(Y), X.shape[0])
    return X, Y, net._check_weights(None if w is None else np.asarray(w), X.shape[0])


def block_size(block):
    """(rows, weight sum) of a prepared block."""
    X, _, w = block
    return X.shape[0], float(X.shape[0] if w is None else np.sum(w, dtype=np.float64))


def _rows(block, rows):
    X, Y, w = block
    if rows is None:
        return X, Y, w
    return X[rows], Y[rows], None if w is None else w[rows]


def _aligned(params, net):
    """The broadcast parameters as the kernels read them: a buffer sent to a
    worker may arrive misaligned (UBSan caught it)."""
    return np.require(params, dtype=net.dtype, requirements=["C", "A"])


def gradient_sums(block, net, params, rows=None, dropout=None):
    """(loss sum, weight sum, gradient of the loss sum as float64) of the
    block's ``rows`` (all of them: None) at ``params``, without penalties;
    (0, 0, zeros) when the rows weigh nothing.  ``dropout``: None, or (a
    :class:`fastbp.dask._dropout.StepMasks`, the rows' positions in their
    batch)."""
    X, Y, w = _rows(block, rows)
    wsum = float(X.shape[0] if w is None else np.sum(w, dtype=np.float64))
    if X.shape[0] == 0 or wsum == 0:
        return 0.0, 0.0, np.zeros(params.shape[0])
    params = _aligned(params, net)
    if dropout is not None:
        return _dropout.gradient_sums(net, params, X, Y, w, *dropout)
    top = net._topology
    grads = np.empty_like(params)
    passes = rows_per_pass(X.shape[0], top.n_units)
    loss_sum, wsum, _ = _kernels.active().gradient_dataset(
        top, params, X, Y, w, grads, net._buffer(passes), net._buffer(passes), 0.0)
    # the kernel returns the weighted mean's gradient: back to the sum
    return float(loss_sum), float(wsum), grads.astype(np.float64) * wsum


def loss_sums(block, net, params):
    """(loss sum, weight sum) of the block at ``params`` (no penalties)."""
    X, Y, w = block
    wsum = float(X.shape[0] if w is None else np.sum(w, dtype=np.float64))
    if X.shape[0] == 0:
        return 0.0, 0.0
    top = net._topology
    params = _aligned(params, net)
    acts = net._buffer(rows_per_pass(X.shape[0], top.n_units))
    return float(_kernels.active().loss_dataset(top, params, X, Y, w, acts)), wsum


def local_epochs(block, net, params, opt, epochs, seed, settings):
    """``epochs`` epochs of fit's training loop on the block from ``params``
    and ``opt`` (copies); returns (params, optimizer state, optimizer t,
    losses, rates).  ``settings``: Runner's keywords (batch_size, alpha,
    shuffle, l2_per_weight, loss_scale, regularization); a diverged epoch
    ends the block's training early (the losses are then fewer)."""
    net = net.copy()
    net.params = params
    opt = copy.deepcopy(opt)
    if opt._state:
        # the state travelled without its owner (a weak reference does not
        # pickle): it belongs to this copy of the network
        opt._owner = weakref.ref(net)
    X, Y, w = block
    settings = dict(settings)
    batch = min(settings.pop("batch_size"), X.shape[0])
    runner = Runner(net, X, Y, opt, batch, seed=seed, sample_weight=w, **settings)
    history = train(runner, epochs, on_divergence="stop")
    return net.params, tuple(s.copy() for s in opt._state), opt.t, history.loss, history.lr
