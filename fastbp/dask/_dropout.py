"""Dropout in full-batch and synchronous training: a worker's share of a
batch gets the masks that ``fit`` gives those rows.

fit's mask of a unit hashes (dropout seed, epoch, step, layer, the row's
position in its batch, unit) (:func:`fastbp._kernels._numpy_math.dropout_keep`).
The compiled kernels number a batch's rows 0, 1, ... from where they start,
but a worker's rows of a shuffled batch sit at scattered positions, so the
workers run the NumPy reference's backpropagation with the masks of their
rows' positions: the same gradient as ``fit`` to rounding, at NumPy's speed.
"""
import numpy as np

from fastbp._kernels._numpy_math import backprop, dropout_keep

CHUNK = 4096  # rows per pass: bounds the masks' and activations' memory


class StepMasks:
    """What a worker needs to draw one step's masks: ``keep`` (one keep
    probability per weight layer's input), the dropout ``seed``, the
    ``epoch`` (epochs completed before it) and the ``step`` in it."""

    def __init__(self, keep, seed, epoch, step):
        self.keep, self.seed, self.epoch, self.step = keep, seed, epoch, step

    def at(self, widths, positions):
        """The masks of the batch rows at ``positions``, as
        :func:`fastbp._kernels._numpy_math.forward` takes them: per weight
        layer (input ``widths``), None or (kept, keep probability)."""
        return [None if keep == 1 else
                (dropout_keep(self.seed, self.epoch, self.step, layer, positions, width, keep),
                 keep)
                for layer, (keep, width) in enumerate(zip(self.keep, widths))]


def gradient_sums(net, params, X, Y, w, step, positions):
    """(loss sum, weight sum, float64 gradient of the loss sum) of rows
    X, Y, w (weights or None) that sit at ``positions`` of their batch, with
    the dropout masks of ``step`` (a :class:`StepMasks`)."""
    top = net._topology
    weights, biases = net._layer_views(params)
    loss_sum = wsum = 0.0
    grad = np.zeros(params.shape[0])
    grad_w, grad_b = net._layer_views(grad)
    for start in range(0, X.shape[0], CHUNK):
        rows = slice(start, start + CHUNK)
        part_w = None if w is None else w[rows]
        part_sum = float(X[rows].shape[0] if part_w is None else np.sum(part_w, dtype=np.float64))
        if part_sum == 0:
            continue
        losses, dW, db = backprop(weights, biases, top.activations, top.loss, X[rows], Y[rows],
                                  0.0, part_w, unit_params=top.unit_params,
                                  masks=step.at(net.layer_sizes[:-1], positions[rows]))
        # backprop's gradient is the chunk's (weighted) mean: back to the sum
        for g, d in zip(grad_w + grad_b, dW + db):
            g += d * part_sum
        loss_sum += float(np.dot(losses, part_w) if part_w is not None else losses.sum())
        wsum += part_sum
    return loss_sum, wsum, grad
