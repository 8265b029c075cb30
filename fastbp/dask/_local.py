"""Local SGD (model averaging): every block trains whole epochs of compiled
``fit`` on its own rows, and the driver averages the parameters and the
optimizer state, weighted by the blocks' rows, every ``sync_every`` epochs."""
import numbers

import numpy as np

import fastbp.dask._tasks as _tasks
from fastbp._runner import EpochResult
from fastbp.history import TrainingDiverged


def block_seeds(seed, n_blocks):
    """Each block's shuffling seed: block 0 uses ``seed`` itself (so one
    block trains as ``fit`` with that seed), the others integers drawn from
    (seed, block); None stays None (fresh entropy).  A Generator or
    RandomState gives one integer seed first."""
    if seed is None:
        return [None] * n_blocks
    if isinstance(seed, np.random.RandomState):
        seed = int(seed.randint(0, 2**31 - 1))
    elif isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    elif not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, a numpy Generator or RandomState, or None, "
                        f"got {type(seed).__name__}")
    return [int(seed)] + [int(np.random.SeedSequence([int(seed), b]).generate_state(
        1, np.uint64)[0] >> 1) for b in range(1, n_blocks)]


class LocalRunner:
    """Runner's interface (see fastbp.dask._driver) for local SGD: a round of
    up to ``sync_every`` epochs runs at the first of its epochs; each epoch
    then reports the blocks' row-weighted mean loss of that epoch."""

    def __init__(self, net, opt, blocks, epochs, sync_every, seed, settings):
        self.net, self.opt, self.blocks = net, opt, blocks
        self.client = blocks.client
        self.n, self.batch = blocks.n, settings["batch_size"]
        self.n_steps = -(-int(blocks.rows.max()) // self.batch)
        self.epochs, self.sync_every = epochs, sync_every
        self.seeds = block_seeds(seed, len(blocks))
        self.settings = settings  # Runner's keywords, for tasks.local_epochs
        self.share = blocks.rows / blocks.rows.sum()
        opt._bind(net, net.n_params, net.dtype)
        self.pending = []

    def run_epoch(self, epoch):
        if not self.pending:
            self._round(epoch, min(self.sync_every, self.epochs - epoch + 1))
        loss, lr = self.pending.pop(0)
        return EpochResult(loss, loss, 0.0, lr)

    def _round(self, epoch, k):
        """Train ``k`` epochs on every block, then average into the driver's
        network and optimizer (changed only once every block succeeded)."""
        params = self.net.params.copy()
        results = self.blocks.run(_tasks.local_epochs, [
            (b, (self.blocks.shared, params, self.opt, k, seed, self.settings))
            for b, seed in enumerate(self.seeds)])
        for b, (_, _, _, losses, _) in enumerate(results):
            if len(losses) < k:
                raise TrainingDiverged(
                    f"training diverged in epoch {epoch + len(losses)} on block {b}: its loss "
                    f"or parameters became NaN or infinite. The network and optimizer hold "
                    f"the last synchronization.", epoch + len(losses), None, None)
        averaged = self._average([r[0] for r in results])
        states = [self._average([r[1][i] for r in results]) for i in range(len(self.opt._state))]
        self.net.params[...] = averaged
        for s, avg in zip(self.opt._state, states):
            s[...] = avg
        self.opt.t = max(r[2] for r in results)
        self.opt.epochs += k
        self.pending = [(float(np.dot(self.share, [r[3][e] for r in results])), results[0][4][e])
                        for e in range(k)]

    def _average(self, vectors):
        total = np.zeros(vectors[0].shape[0])
        for share, v in zip(self.share, vectors):  # block order: the same sum every run
            total += share * v
        return total

    def recover(self):
        """Nothing to roll back: the driver's state changes only at the end
        of a round, all at once."""
