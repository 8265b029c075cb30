"""What ``fit`` adds to plain backpropagation besides L2: L1, gradient
clipping and dropout, checked once and handed to the compiled loop."""
import numbers

import numpy as np

from fastbp._validation import check_real

__all__ = ["Regularization"]


class Regularization:
    """L1, clipping and dropout of one fit.

    Parameters
    ----------
    l1 : float >= 0
        ``l1 * sum_l |W_l|`` is added to each batch's mean loss (biases are not
        penalized); its subgradient ``l1 * sign(W)`` (0 at 0) to the gradient.
    clip_norm, clip_value : float > 0 or None
        Each batch's gradient (penalty terms included) is scaled to global
        L2 norm ``clip_norm`` when longer (as torch.nn.utils.clip_grad_norm_),
        then clamped to [-clip_value, clip_value] (clip_grad_value_).
    keep : float64 array or None
        Dropout: the keep probability (1 - rate) of each weight layer's input,
        the network's inputs first; None when nothing is dropped.
    """

    def __init__(self, l1=0.0, clip_norm=None, clip_value=None, keep=None):
        self.l1 = check_real("l1", l1, 0.0)
        self.clip_norm = 0.0 if clip_norm is None else check_real(
            "clip_norm", clip_norm, 0.0, low_open=True)
        self.clip_value = 0.0 if clip_value is None else check_real(
            "clip_value", clip_value, 0.0, low_open=True)
        self.keep = None if keep is None or (np.asarray(keep) == 1).all() else np.asarray(
            keep, dtype=np.float64)

    @classmethod
    def for_fit(cls, net, l1=0.0, clip_norm=None, clip_value=None, dropout=0.0,
                input_dropout=0.0):
        """From ``fit``'s arguments: ``dropout`` is one rate for every hidden
        layer or a sequence of one per hidden layer, ``input_dropout`` the
        rate on the inputs; every rate in [0, 1)."""
        n_hidden = len(net.layer_sizes) - 2
        if isinstance(dropout, numbers.Real) and not isinstance(dropout, bool):
            rates = [dropout] * n_hidden
        elif isinstance(dropout, (list, tuple, np.ndarray)):
            rates = list(dropout)
            if len(rates) != n_hidden:
                raise ValueError(f"dropout lists {len(rates)} rates for {n_hidden} hidden "
                                 f"layers; give one per hidden layer, or one number for all")
        else:
            raise TypeError(f"dropout must be a rate in [0, 1) or a sequence of one rate per "
                            f"hidden layer, got {type(dropout).__name__}")
        rates = [check_real("input_dropout", input_dropout, 0.0, 1.0, high_open=True)] + [
            check_real(f"dropout[{i}]" if n_hidden > 1 else "dropout", r, 0.0, 1.0,
                       high_open=True) for i, r in enumerate(rates)]
        # no rate at all: nothing dropped, decided without arrays (fit's common case)
        return cls(l1, clip_norm, clip_value, 1.0 - np.array(rates) if any(rates) else None)

    @property
    def dropout(self):
        """Whether any unit is dropped."""
        return self.keep is not None
