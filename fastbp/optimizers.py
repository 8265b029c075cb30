"""Optimizers: hyperparameters and state, as the update kernels read them.

Each optimizer is a small object.  It keeps its state (update count, moment
estimates) between ``fit`` calls on the same network, so two calls of one epoch
each equal one call of two epochs; used with another network it starts afresh.
``reset()`` forgets the state.

The update rules (g is the gradient of the training loss, lr_t the schedule's
rate at step t, counted from 1 for Adam's bias correction) follow the published
formulas and torch.optim's conventions:

============  ==================================================================
SGD           p -= lr_t g
momentum      v = mu v + g;  p -= lr_t v               (Nesterov: p -= lr_t (g + mu v))
AdaGrad       s += g^2;  p -= lr_t g / (sqrt(s) + eps)
RMSprop       s = decay s + (1 - decay) g^2;  p -= lr_t g / (sqrt(s) + eps)
Adam          m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
              p -= lr_t (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
AdamW         W *= 1 - lr_t weight_decay (weights, not biases); then Adam
============  ==================================================================
"""
import weakref

import numpy as np

from fastbp import _kernels
from fastbp._fit_cache import empty_vector
from fastbp._kernels import Rule
from fastbp._validation import check_bool, check_real
from fastbp.schedules import as_schedule

__all__ = ["Optimizer", "SGD", "AdaGrad", "RMSprop", "Adam", "AdamW", "get_optimizer"]


class Optimizer:
    """Base class.  Subclasses set ``rule``, the kernel update rule."""

    rule = None
    weight_decay = 0.0  # decoupled: W *= 1 - lr_t weight_decay before each update

    def __init__(self, lr):
        self.lr = as_schedule(lr)
        self.reset()

    # --- state --------------------------------------------------------------
    @property
    def n_state(self):
        """How many state vectors of the parameters' size the rule keeps."""
        return _kernels.active().state_vectors(self.rule)

    def reset(self):
        """Forget the state: the next fit starts from step 0 with zero moments."""
        self.t = 0          # updates applied
        self.epochs = 0     # epochs completed
        self._state = ()
        self._owner = None

    def _bind(self, owner, n_params, dtype):
        """The state vectors for ``owner``'s parameters, created (zeros) when
        this optimizer last ran on another network, or never."""
        # unpickled from a buffer (dask, protocol 5), a vector may be read-only
        # or misaligned: the kernels update it in place through a pointer
        if not all(_updatable(s) for s in self._state):
            self._state = tuple(np.require(s, requirements=["C", "A", "W"]) for s in self._state)
        current = self._owner() if self._owner is not None else None
        n_state = self.n_state
        if (
            current is not owner
            or len(self._state) != n_state
            or any(s.shape != (n_params,) or s.dtype != dtype for s in self._state)
        ):
            self.reset()
            self._state = tuple(np.zeros(n_params, dtype=dtype) for _ in range(n_state))
            self._owner = weakref.ref(owner)
        empty = empty_vector(np.dtype(dtype))  # the unused slots
        return (self._state + (empty, empty))[:2]

    def _save(self, buffers):
        """Copy the state into ``buffers`` (arrays shaped like it, allocated
        once per fit); returns the counters to hand back to _restore."""
        for s, b in zip(self._state, buffers):
            np.copyto(b, s)
        return self.t, self.epochs

    def _restore(self, counters, buffers):
        self.t, self.epochs = counters
        for s, b in zip(self._state, buffers):
            np.copyto(s, b)

    def __getstate__(self):
        # A weak reference does not pickle: the owner itself goes into the
        # pickle (pickled with it, e.g. an estimator's network and optimizer,
        # it is one object again on load, so training resumes exactly; alone,
        # the copy is dropped on load and the next fit starts afresh).
        state = self.__dict__.copy()
        state["_owner"] = self._owner() if self._owner is not None else None
        return state

    def __setstate__(self, state):
        owner = state.pop("_owner", None)
        self.__dict__.update(state)
        self._owner = weakref.ref(owner) if owner is not None else None

    # --- the kernel's view --------------------------------------------------
    @property
    def hyper(self):
        """(eps, h1, h2, eps_hat) as the update kernel reads them."""
        return 0.0, 0.0, 0.0, False

    def rates(self, n_steps):
        """The schedule's learning rates for the next ``n_steps`` updates (one
        rate when it is the same for all of them)."""
        return self.lr.rates(self.t, n_steps, self.epochs)

    # --- one step on any vector -------------------------------------------
    def step(self, params, grad):
        """Apply one update to ``params`` in place, as ``fit`` would.

        The torch.optim habit for any flat vector: the same compiled update
        rule, state vectors and schedule that ``fit`` uses, so a sequence of
        ``step`` calls with a network's gradients follows the same trajectory
        as full-batch training of that network.

        Parameters
        ----------
        params : ndarray, shape (n,), float32 or float64
            The vector to update: 1-D, C-contiguous and writable.  The state
            (moments, update count) belongs to this array: stepping another
            array, or training a network, starts afresh.
        grad : ndarray, shape (n,), same dtype as ``params``
            The gradient at ``params``; every entry finite.

        Returns
        -------
        ndarray
            ``params``, updated.

        Notes
        -----
        The rate is the schedule's at update count ``self.t`` (then
        incremented) and epoch ``self.epochs``.  AdamW's decoupled weight
        decay applies to every entry of ``params`` here (``fit`` spares the
        biases).  ``step`` does not count
        epochs: a schedule built with ``per="epoch"`` sees epoch 0 unless you
        advance ``opt.epochs`` yourself (``opt.epochs += 1`` after each pass).

        Examples
        --------
        >>> import numpy as np, fastbp as fb
        >>> x = np.array([3.0, -2.0])
        >>> opt = fb.SGD(lr=0.1)
        >>> for _ in range(100):
        ...     _ = opt.step(x, 2 * x)          # gradient of ||x||^2
        >>> bool(np.abs(x).max() < 1e-8)
        True
        """
        _check_step(params, grad)
        return self._step(params, np.ascontiguousarray(grad), [params])

    def _step(self, params, grad, decayed, lr=None, owner=None):
        """Optimizer.step over checked arrays; weight decay shrinks the arrays
        ``decayed`` (views into ``params``: all of it, or a network's weights).
        ``lr``: this step's rate (default: the schedule's at ``t``); ``owner``:
        whose state this is (default ``params``; a network to continue, or
        hand on to, its ``fit``)."""
        s1, s2 = self._bind(params if owner is None else owner, params.shape[0], params.dtype)
        lr = float(np.atleast_1d(self.rates(1))[0]) if lr is None else float(lr)
        eps, h1, h2, eps_hat = self.hyper
        for part in decayed if self.weight_decay else ():
            part *= params.dtype.type(1.0 - lr * self.weight_decay)
        _kernels.active().update(self.rule, params, grad, s1, s2, lr, eps, h1, h2, eps_hat,
                                 t=self.t + 1)
        self.t += 1
        return params

    def _params(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in {"lr": self.lr, **self._params()}.items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
    momentum : float in [0, 1), default 0
    nesterov : bool, default False
        Nesterov's accelerated gradient (needs ``momentum > 0``).
    lr_in_velocity : bool, default False
        False (torch.optim): v = mu v + g, p -= lr v (Nesterov: p -= lr (g + mu v)).
        True (Sutskever et al. 2013, scikit-learn): v = mu v - lr g, p += v
        (Nesterov: p += mu v - lr g).  The two agree while the rate is
        constant and differ once a schedule changes it.
    """

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, lr_in_velocity=False):
        self.momentum = check_real("momentum", momentum, 0.0, 1.0, high_open=True)
        self.nesterov = check_bool("nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.lr_in_velocity = check_bool("lr_in_velocity", lr_in_velocity)
        if self.momentum == 0:
            self.rule = Rule.SGD
        elif self.lr_in_velocity:
            self.rule = Rule.VELOCITY_NESTEROV if self.nesterov else Rule.VELOCITY
        else:
            self.rule = Rule.NESTEROV if self.nesterov else Rule.MOMENTUM
        super().__init__(lr)

    @property
    def hyper(self):
        return 0.0, self.momentum, 0.0, False

    def _params(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov,
                "lr_in_velocity": self.lr_in_velocity}


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011): per-parameter rates from the sum of squared
    gradients."""

    rule = Rule.ADAGRAD

    def __init__(self, lr=0.01, eps=1e-10):
        self.eps = check_real("eps", eps, 0.0, low_open=True)
        super().__init__(lr)

    @property
    def hyper(self):
        return self.eps, 0.0, 0.0, False

    def _params(self):
        return {"eps": self.eps}


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012): per-parameter rates from a moving average of
    squared gradients with weight ``decay``."""

    rule = Rule.RMSPROP

    def __init__(self, lr=0.01, decay=0.99, eps=1e-8):
        self.decay = check_real("decay", decay, 0.0, 1.0, high_open=True)
        self.eps = check_real("eps", eps, 0.0, low_open=True)
        super().__init__(lr)

    @property
    def hyper(self):
        return self.eps, self.decay, 0.0, False

    def _params(self):
        return {"decay": self.decay, "eps": self.eps}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction.

    Parameters
    ----------
    lr : float or Schedule, default 0.001
    beta1, beta2 : float in [0, 1), defaults 0.9 and 0.999
    eps : float > 0, default 1e-8
    eps_hat : bool, default False
        False: ``eps`` is added to the bias-corrected sqrt(v_hat), as in
        torch.optim.Adam and the paper's Algorithm 1.  True: ``eps`` is the
        epsilon-hat of the paper's "efficient" form, added to sqrt(v) before
        the correction, as in scikit-learn's MLP.
    """

    rule = Rule.ADAM

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, eps_hat=False):
        self.beta1 = check_real("beta1", beta1, 0.0, 1.0, high_open=True)
        self.beta2 = check_real("beta2", beta2, 0.0, 1.0, high_open=True)
        self.eps = check_real("eps", eps, 0.0, low_open=True)
        self.eps_hat = check_bool("eps_hat", eps_hat)
        super().__init__(lr)

    @property
    def hyper(self):
        # the kernel folds both bias corrections into the step size and eps:
        # lr (m/c1) / (sqrt(v/c2) + eps) = (lr sqrt(c2)/c1) m / (sqrt(v) + eps sqrt(c2))
        return self.eps, self.beta1, self.beta2, self.eps_hat

    def _params(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps, "eps_hat": self.eps_hat}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as
    torch.optim.AdamW: before each Adam update the weights shrink by
    ``W *= 1 - lr_t weight_decay``, lr_t being the schedule's rate (without
    Adam's bias correction).  Biases are not decayed, as fastbp's L2 and L1
    spare them (torch decays whatever parameters it is given).

    Parameters
    ----------
    lr : float or Schedule, default 0.001
    beta1, beta2, eps, eps_hat : as :class:`Adam`
    weight_decay : float >= 0, default 0.01 (torch's default)
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, eps_hat=False,
                 weight_decay=0.01):
        self.weight_decay = check_real("weight_decay", weight_decay, 0.0)
        super().__init__(lr, beta1, beta2, eps, eps_hat)

    def _params(self):
        return {**super()._params(), "weight_decay": self.weight_decay}


def _updatable(a):
    """Whether the kernels can update ``a`` in place as it is."""
    flags = a.flags
    return flags.c_contiguous and flags.aligned and flags.writeable


def _check_step(params, grad):
    """The errors of Optimizer.step's arguments, raised before any update."""
    for name, a in (("params", params), ("grad", grad)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
        if a.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array, got {a.ndim} dimensions")
    if params.dtype not in (np.float32, np.float64):
        raise TypeError(f"params must have dtype float32 or float64, got {params.dtype}")
    if grad.dtype != params.dtype:
        raise TypeError(f"grad must have the dtype of params ({params.dtype}), got {grad.dtype}")
    if grad.shape != params.shape:
        raise ValueError(f"grad must have the shape of params {params.shape}, got {grad.shape}")
    if not params.flags.writeable:
        raise ValueError("params must be writable (it is updated in place), got a read-only array")
    if not params.flags.c_contiguous:
        raise ValueError("params must be C-contiguous (it is updated in place); "
                         "use np.ascontiguousarray and step that copy")
    if not np.isfinite(grad).all():
        raise ValueError("grad contains NaN or infinity")


# Optimizers by name: the class and the arguments that differ from its
# defaults.  get_optimizer and the command line's --optimizer both read it.
NAMED = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (AdaGrad, {}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}


def get_optimizer(optimizer):
    """An Optimizer from an instance or a name ('sgd', 'momentum', 'nesterov',
    'adagrad', 'rmsprop', 'adam', 'adamw': default hyperparameters)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        try:
            cls, preset = NAMED[optimizer.lower()]
        except KeyError:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; expected one of {sorted(NAMED)} "
                "or an instance of fastbp.SGD, AdaGrad, RMSprop, Adam or AdamW"
            ) from None
        return cls(**preset)
    raise TypeError(
        f"optimizer must be a name or a fastbp optimizer instance, got {type(optimizer).__name__}"
    )
