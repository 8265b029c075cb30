"""The training data on the cluster: X, Y and the sample weights as row
blocks, checked and persisted on the workers once per fit (or read again
by every task, out of core).

Every later task takes a block's future as an argument, so the scheduler
runs it on the worker holding that block (data locality) and only the
parameters and the results travel.  A lost block is recomputed by dask
from its graph.
"""
import warnings

import dask
import dask.array as da
import numpy as np
from distributed.client import ClosedClientError
from distributed.comm.core import CommClosedError

import fastbp.dask._tasks as _tasks


def frame_rows(frame):
    """A dask dataframe or series as a dask array of known row chunks, one
    per partition.  (``to_dask_array(lengths=True)`` may count the rows of
    other partitions than it converts: dask fuses the small partitions of a
    column selection from ``read_parquet``.)  Strings become object arrays,
    as class labels should, without dask's warning about it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Dask currently has limited support for converting "
                                "pandas extension dtypes", UserWarning)
        return frame.to_dask_array().compute_chunk_sizes()


def as_rows(A, name, chunks=None):
    """``A`` (a dask array or dataframe/series, or an in-memory array) as a
    dask array split along rows only; ``chunks``: the row chunks to match."""
    if hasattr(A, "to_dask_array"):  # dask dataframe or series
        A = frame_rows(A)
    elif not isinstance(A, da.Array):
        A = np.asarray(A)
        if A.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D or 2-D, got {A.ndim}-D")
        A = da.from_array(A, chunks=A.shape[0] if chunks is None else chunks)
    if A.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got {A.ndim}-D")
    if any(np.isnan(c) for c in A.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() "
                         "(or give dataframes, whose lengths are computed)")
    if chunks is not None and A.shape[0] != sum(chunks):
        raise ValueError(f"{name} has {A.shape[0]} rows but X has {sum(chunks)}")
    layout = {0: A.chunks[0] if chunks is None else chunks}
    if A.ndim == 2:
        layout[1] = -1
    return A.rechunk(layout)


class Blocks:
    """The row blocks of one data set on the cluster, in row order.

    ``persist=True``: each block is read, checked and converted once and
    kept in the memory of a worker.  ``persist=False`` (out of core): each
    task reads its block again from its source (.npy or Parquet files, say)
    and frees it afterwards, so memory holds a few blocks, not the data;
    without sample weights the first round is the first read (and check).

    Attributes
    ----------
    template : MLP
        The network the blocks were checked for; tasks read its shape (from
        ``shared``, its copy on every worker).
    rows, wsums : ndarray
        Each block's row count and weight sum (empty blocks are left out).
    starts : ndarray of intp
        Each kept block's first row in the whole data.
    """

    def __init__(self, client, net, X, Y, sample_weight=None, names=("X", "Y"), persist=True):
        X = as_rows(X, names[0])
        if X.ndim != 2:
            raise ValueError(f"{names[0]} must be 2-D (n_samples, n_features), got {X.ndim}-D")
        chunks = X.chunks[0]
        Y = as_rows(Y, names[1], chunks)
        parts = [X.to_delayed().ravel(), Y.to_delayed().ravel()]
        if sample_weight is not None:
            parts.append(as_rows(sample_weight, "sample_weight", chunks).to_delayed().ravel())
        else:
            parts.append([None] * len(chunks))
        prepare = dask.delayed(_tasks.prepare, pure=False)
        keep = [i for i, rows in enumerate(chunks) if rows > 0]  # (check_X refuses no rows)
        self._blocks = [prepare(net, *(p[i] for p in parts)) for i in keep]
        self.client, self.template, self.persist = client, net, persist
        # the network travels once per worker, not with every task (a task's
        # result, not scattered data, so that losing a worker cannot lose it)
        self.shared = client.submit(_tasks.network, net, pure=False)
        # persisted blocks are dealt out to the workers in turn (left to
        # itself, the scheduler may put them all on one worker); their
        # tasks follow them
        workers = sorted(client.nthreads())
        self._homes = [[workers[i % len(workers)]] if workers and persist else None
                       for i in range(len(keep))]
        if persist:
            self._blocks = [client.compute(block, workers=home, allow_other_workers=True)
                            for block, home in zip(self._blocks, self._homes)]
        if persist or sample_weight is not None:
            sizes = self.run(_tasks.block_size, [(b, ()) for b in range(len(keep))])
        else:  # known without reading the data once more (each block is checked when read)
            sizes = [(chunks[i], float(chunks[i])) for i in keep]
        if persist:
            # each block's worker: its tasks are pinned there (a lost worker's
            # blocks are recomputed elsewhere, and their tasks follow them)
            where = client.who_has(self._blocks)
            self._homes = [list(where.get(f.key, ())) or None for f in self._blocks]
        starts = np.concatenate([[0], np.cumsum(chunks)[:-1]]).astype(np.intp)
        self.rows = np.array([rows for rows, _ in sizes], dtype=np.intp)
        self.wsums = np.array([wsum for _, wsum in sizes])
        self.starts = starts[keep]
        self.n = int(sum(chunks))

    def __len__(self):
        return len(self._blocks)

    def run(self, func, calls):
        """``[func(block b, *args) for b, args in calls]``, run on the workers
        (where each persisted block lives), gathered in the order of
        ``calls`` whichever finishes first."""
        try:
            return self._run(func, calls)
        except (ClosedClientError, CommClosedError) as err:
            raise ConnectionError(
                f"fastbp.dask lost its connection to the dask scheduler ({err}); the network "
                f"and optimizer are left where they were before the epoch in progress") from err

    def _run(self, func, calls):
        client = self.client
        if self.persist:
            futures = [client.submit(func, self._blocks[b], *args, pure=False,
                                     workers=self._homes[b],
                                     allow_other_workers=self._homes[b] is not None)
                       for b, args in calls]
        else:  # one graph, which dask orders to read a block just before its task
            task = dask.delayed(func, pure=False)
            futures = client.compute([task(self._blocks[b], *args) for b, args in calls])
        return client.gather(futures)

    def split(self, rows):
        """[(block index, its local row indices, their positions in ``rows``)]
        of the global ``rows``, in block order, the rows keeping their order
        within each block."""
        block = np.searchsorted(self.starts, rows, side="right") - 1
        parts = []
        for b in np.unique(block):
            positions = np.flatnonzero(block == b)
            parts.append((b, rows[positions] - self.starts[b], positions))
        return parts

    def gradient_sums(self, params, rows=None, dropout=None):
        """(loss sum, weight sum, float64 gradient of the loss sum) of the
        template network at ``params`` over the global ``rows`` (all: None), without
        penalties; the blocks' sums are added in block order, so the result
        never depends on which worker answers first.  ``dropout``: None, or
        the step's :class:`fastbp.dask._dropout.StepMasks` (``rows`` given:
        the batch, in order)."""
        if rows is None:
            calls = [(b, (self.shared, params)) for b in range(len(self))]
        else:
            calls = [(b, (self.shared, params, local,
                          None if dropout is None else (dropout, positions)))
                     for b, local, positions in self.split(rows)]
        results = self.run(_tasks.gradient_sums, calls)
        grad = np.zeros(params.shape[0])
        loss_sum = wsum = 0.0
        for part_loss, part_w, part_grad in results:
            loss_sum, wsum = loss_sum + part_loss, wsum + part_w
            grad += part_grad
        return loss_sum, wsum, grad

    def loss_sums(self, params):
        """(loss sum, weight sum) of the template network at ``params`` over
        every block."""
        sums = self.run(_tasks.loss_sums, [(b, (self.shared, params)) for b in range(len(self))])
        return sum(s for s, _ in sums), sum(w for _, w in sums)

    def release(self):
        for f in self._blocks if self.persist else ():
            f.release()
        self.shared.release()


def from_npy(paths, chunks=None):
    """A dask array over .npy files, read lazily through memory maps.

    ``paths``: one file (split into row blocks of ``chunks`` rows; default
    one block) or a list of files of the same dtype and row width (one block
    each, stacked).  A task reads only its block's rows, so with
    ``fastbp.dask.fit(..., persist=False)`` training never holds the data.
    """
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]
    blocks = []
    for path in paths:
        with open(path, "rb") as f:
            header = _tasks.npy_header(f)
        if header is None:
            head = np.load(path, mmap_mode="r")
            header = head.shape, None, head.dtype
        shape, _, dtype = header
        step = shape[0] if chunks is None or len(paths) > 1 else int(chunks)
        for start in range(0, shape[0], max(step, 1)):
            stop = min(start + step, shape[0])
            blocks.append(da.from_delayed(
                dask.delayed(_tasks.read_rows, pure=True)(str(path), start, stop),
                shape=(stop - start, *shape[1:]), dtype=dtype))
    return da.concatenate(blocks, axis=0)
