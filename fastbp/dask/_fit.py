"""fastbp.dask.fit: the arguments of ``fit``, checked on the driver, then
the distributed runner of the chosen mode under fit's training loop."""
import numpy as np

from fastbp._regularization import Regularization
from fastbp._runner import train
from fastbp._validation import check_alpha, check_bool, check_int
from fastbp.callbacks import as_callbacks
from fastbp.dask._data import Blocks
from fastbp.dask._driver import DistributedRunner
from fastbp.dask._local import LocalRunner
from fastbp.optimizers import get_optimizer
from fastbp.training import _progress

MODES = ("sync", "local")
SYNC_FROM = 256  # mode=None: exact synchronous steps from this batch size on


def get_client(client):
    """``client``, or the current default client (distributed.Client())."""
    if client is not None:
        return client
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        raise ValueError("fastbp.dask.fit needs a dask client: pass client=Client(...) or "
                         "create one first (distributed.Client() or Client(LocalCluster()))"
                         ) from None


def choose_mode(mode, batch_size, n=None):
    """The mode that runs: "full" for batch_size None, else ``mode``
    ("sync" or "local"; None: "sync" from SYNC_FROM rows per batch, or
    when one batch holds all ``n`` rows)."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be 'sync', 'local' or None, got {mode!r}")
    if batch_size is None:
        if mode == "local":
            raise ValueError("mode='local' trains mini-batches on each block: give a batch_size "
                             "(batch_size=None trains full batch, exactly, on every block)")
        chosen = "full"
    else:
        big = batch_size >= SYNC_FROM or (n is not None and batch_size >= n)
        chosen = mode or ("sync" if big else "local")
    return chosen


def _validation(client, net, validation_data, alpha, l1):
    """(the validate() callable of fit, its Blocks) for validation_data,
    evaluated block-wise on the workers; (None, None) without it."""
    if validation_data is None:
        return None, None
    try:
        X_val, Y_val = validation_data
    except (TypeError, ValueError):
        raise TypeError("validation_data must be a pair (X_val, Y_val)") from None
    blocks = Blocks(client, net.copy(), X_val, Y_val, names=("X_val", "Y_val"))

    def validate():
        loss_sum, wsum = blocks.loss_sums(net.params.copy())
        loss = loss_sum / wsum
        return loss + 0.5 * alpha * net._weights_sq_norm() + l1 * float(
            sum(np.abs(w).sum(dtype=np.float64) for w in net.weights))
    return validate, blocks


def fit(net, X, Y, *, client=None, optimizer="sgd", epochs=1, batch_size=None, alpha=0.0,
        shuffle=False, seed=None, sample_weight=None, mode=None, sync_every=1,
        validation_data=None, callbacks=None, verbose=False, on_divergence="raise",
        dropout=0.0, input_dropout=0.0, l1=0.0, clip_norm=None, clip_value=None, persist=True):
    """Train ``net`` on data held by a dask cluster; returns a History.

    The keywords are those of :meth:`fastbp.MLP.fit`, plus ``client`` (default:
    the current dask client), ``mode`` and ``sync_every``; ``X``, ``Y`` and
    ``sample_weight`` are dask arrays or dataframes (or in-memory arrays),
    split into row blocks along X's row chunks.  See docs/dask.md.

    * ``batch_size=None``: full batch.  Each epoch, every block's loss and
      gradient sums at the current parameters are added in block order and
      the driver takes one step: training equals ``net.fit(X, Y,
      batch_size=None)`` to rounding.
    * ``mode="sync"``: exact synchronous mini-batches.  The driver draws each
      epoch's order as ``fit`` does with the same seed; each step, the blocks
      holding the batch's rows return their sums and the driver steps: equal
      to ``net.fit`` to rounding, one round trip per step (worth it only for
      large batches).
    * ``mode="local"``: local SGD.  Every block trains ``sync_every`` epochs
      of compiled ``fit`` on its own rows from the driver's parameters and
      optimizer state; the driver then averages parameters and state,
      weighted by rows.  Not equal to ``fit`` (except with one block).
    * ``mode=None``: "sync" for batches of 256 rows or more, else "local".

    ``persist=True`` reads and checks every block once and keeps it in a
    worker's memory; ``persist=False`` reads each block again for every task
    that needs it (out of core: from :func:`fastbp.dask.from_npy`, say).

    ``l1``, ``clip_norm``, ``clip_value``, ``dropout`` and ``input_dropout``
    apply in every mode, as in ``fit``: each row of a batch gets the dropout
    masks ``fit`` gives it, whichever block holds it (computed on the workers
    with NumPy's backpropagation then, slower than the compiled kernels).
    The network and optimizer are only changed by the driver, between
    rounds, so an error or a lost client leaves them at a whole step.
    """
    opt = get_optimizer(optimizer)
    epochs = check_int("epochs", epochs, 0)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1)
    alpha = check_alpha(alpha)
    shuffle = check_bool("shuffle", shuffle)
    sync_every = check_int("sync_every", sync_every, 1)
    reg = Regularization.for_fit(net, l1, clip_norm, clip_value, dropout, input_dropout)
    choose_mode(mode, batch_size)  # its errors before any work on the cluster
    if on_divergence not in ("raise", "stop"):
        raise ValueError(f"on_divergence must be 'raise' or 'stop', got {on_divergence!r}")
    persist = check_bool("persist", persist)
    callbacks = as_callbacks(callbacks) + _progress(verbose)
    client = get_client(client)
    blocks = Blocks(client, net.copy(), X, Y, sample_weight, persist=persist)
    val_blocks = None
    try:
        validate, val_blocks = _validation(client, net, validation_data, alpha, reg.l1)
        with net._exclusive("fastbp.dask.fit"):
            if choose_mode(mode, batch_size, blocks.n) == "local":
                settings = {"batch_size": batch_size, "alpha": alpha, "shuffle": shuffle,
                            "regularization": reg}
                runner = LocalRunner(net, opt, blocks, epochs, sync_every, seed, settings)
            else:
                runner = DistributedRunner(net, opt, blocks, batch_size, alpha, reg, shuffle,
                                           seed)
            return train(runner, epochs, callbacks, validate, on_divergence)
    finally:  # the blocks leave the workers' memory
        for b in (blocks, val_blocks):
            if b is not None:
                b.release()
