"""The multilayer perceptron: layer sizes, activations, loss, initialization,
and one flat parameter vector with per-layer views."""
import threading

import numpy as np

from fastbp import _kernels
from fastbp._buffers import rows_per_pass
from fastbp._kernels import Activation, Loss
from fastbp._units import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, parse_unit
from fastbp._validation import (
    check_alpha,
    check_dtype,
    check_layer_sizes,
    check_network_size,
    check_real,
    check_sample_weight,
    check_seed,
    check_X,
    check_Y,
)

__all__ = ["MLP", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LOSSES", "INITS"]

LOSSES = {"squared": Loss.SQUARED, "cross_entropy": Loss.CROSS_ENTROPY,
          "poisson": Loss.POISSON}
INITS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "uniform", "zeros")


class _Exclusive:
    """MLP._exclusive's context manager (a class: cheaper than a generator's,
    and entered once per fit)."""

    __slots__ = ("net", "what")

    def __init__(self, net, what):
        self.net, self.what = net, what

    def __enter__(self):
        net = self.net
        if not net._lock.acquire(blocking=False):
            raise RuntimeError(
                f"{self.what}: this network is already being trained in another thread; "
                "train a copy (net.copy()) to train in parallel")
        net._trainer = threading.get_ident()
        return self

    def __exit__(self, kind, err, traceback):
        self.net._trainer = None
        self.net._lock.release()
        return False


class MLP:
    """A fully connected feed-forward network trained by backpropagation.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from input to output, e.g. ``[3, 2, 1]``: 3 inputs, one hidden
        layer of 2 units, 1 output.
    hidden : str or sequence of str, default "sigmoid"
        Activation of the hidden layers: "sigmoid", "tanh", "relu",
        "identity", "leaky_relu", "elu", "gelu" (exact, with erf), "softplus"
        or "silu"; one for all, or one per hidden layer.  Leaky ReLU, ELU and
        softplus take PyTorch's default parameter (negative_slope 0.01, alpha
        1, beta 1), or the one in parentheses: ``"leaky_relu(0.2)"``.
    output : str, default "sigmoid"
        Output activation: "sigmoid", "softmax", "identity", "tanh", "relu"
        or "exp".
    loss : {"squared", "cross_entropy", "poisson"}, default "squared"
        Per example: squared 1/2 sum_k (o_k - t_k)^2; cross-entropy
        -sum_k t_k log o_k with a softmax output, or the binary log loss
        -sum_k [t_k log o_k + (1 - t_k) log(1 - o_k)] with a sigmoid output;
        Poisson sum_k (o_k - t_k log o_k + t_k log t_k - t_k) (half the
        Poisson deviance; targets >= 0) with an exp output.
    init : str, default "glorot_uniform"
        Weight initialization: "glorot_uniform", "glorot_normal",
        "he_uniform", "he_normal", "uniform" (U(-init_scale, init_scale)), or
        "zeros" (only for a network without hidden layers: zero weights keep
        hidden units identical forever).  Biases start at zero.
    init_scale : float, default 0.5
        Half-width of the "uniform" initialization.
    dtype : {"float64", "float32"}, default "float64"
        The type of every parameter, buffer and kernel.
    seed : int or None
        Seed of the initialization (None: fresh entropy).

    Attributes
    ----------
    params : ndarray (n_params,)
        Every weight and bias, layer by layer (W_1, b_1, W_2, b_2, ...).
    weights : list of ndarray (n_in, n_out)
        Writable views into ``params``: layer l computes ``f(X @ W + b)``.
    biases : list of ndarray (n_out,)
        Writable views into ``params``.
    """

    def __init__(self, layer_sizes, hidden="sigmoid", output="sigmoid", loss="squared",
                 init="glorot_uniform", init_scale=0.5, dtype="float64", seed=None):
        sizes = check_layer_sizes("layer_sizes", layer_sizes, 2)
        n_hidden = len(sizes) - 2
        if not isinstance(hidden, (str, list, tuple)):
            raise TypeError(f"hidden must be an activation name or a list of them, got {hidden!r}")
        hidden_list = [hidden] * n_hidden if isinstance(hidden, str) else list(hidden)
        if len(hidden_list) != n_hidden:
            raise ValueError(
                f"hidden lists {len(hidden_list)} activations for {n_hidden} hidden layers"
            )
        units = [parse_unit(h, HIDDEN_ACTIVATIONS, "hidden") for h in hidden_list]
        units.append(parse_unit(output, OUTPUT_ACTIVATIONS, "output"))
        hidden_list = [name for name, _, _ in units[:-1]]
        if not isinstance(loss, str) or loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; expected one of {list(LOSSES)}")
        if loss == "cross_entropy" and output not in ("softmax", "sigmoid"):
            raise ValueError(
                f"loss='cross_entropy' needs output='softmax' (or 'sigmoid' for binary/multilabel "
                f"targets), got output={output!r}"
            )
        if loss == "poisson" and output != "exp":
            raise ValueError(f"loss='poisson' needs output='exp', got output={output!r}")
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError("a softmax output needs at least 2 units")
        if not isinstance(init, str) or init not in INITS:
            raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")
        if init == "zeros" and n_hidden > 0:
            raise ValueError(
                "init='zeros' is refused for networks with hidden layers: every hidden unit "
                "would compute the same thing and receive the same update forever"
            )
        init_scale = check_real("init_scale", init_scale, 0.0, low_open=True)

        self.layer_sizes = sizes
        self.hidden = hidden_list
        self.output = output
        self.loss_name = loss
        self.init = init
        self.init_scale = float(init_scale)
        self.dtype = check_dtype(dtype)
        check_network_size("layer_sizes", sizes, self.dtype)
        self._codes = [code for _, code, _ in units]
        self._unit_params = [param for _, _, param in units]
        self._topologies = {}
        self._lock = threading.Lock()
        self._set_params(np.zeros(self._topology.n_params, dtype=self.dtype))
        self.initialize(check_seed("seed", seed))

    @property
    def _topology(self):
        """The network's shape as the active kernel backend reads it (made
        once per backend: see fastbp._kernels)."""
        kernels = _kernels.active()
        top = self._topologies.get(kernels)
        if top is None:
            top = self._topologies[kernels] = kernels.Topology(
                self.layer_sizes, self._codes, LOSSES[self.loss_name], self._unit_params)
        return top

    # --- parameters -----------------------------------------------------------
    def _layer_views(self, flat):
        """(weight matrices, bias vectors) viewing a vector laid out like params."""
        off = self._topology.param_offsets
        weights, biases = [], []
        for l, (n_in, n_out) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:])):
            weights.append(flat[off[l]: off[l] + n_in * n_out].reshape(n_in, n_out))
            biases.append(flat[off[l] + n_in * n_out: off[l + 1]])
        return weights, biases

    def _set_params(self, flat):
        """Adopt ``flat`` as the parameter vector and rebuild the views."""
        self._params = flat
        self.weights, self.biases = self._layer_views(flat)

    @property
    def params(self):
        """Every weight and bias, back to back (a writable 1-D array)."""
        return self._params

    @params.setter
    def params(self, values):
        values = np.asarray(values)
        if values.shape != self._params.shape:
            raise ValueError(f"params must have shape {self._params.shape}, got {values.shape}")
        values = values.astype(self.dtype, copy=False)
        if not np.isfinite(values).all():
            raise ValueError("params contains NaN or infinity")
        self._params[...] = values  # in place: the views stay valid

    @property
    def n_params(self):
        return self._topology.n_params

    @property
    def n_inputs(self):
        return self.layer_sizes[0]

    @property
    def n_outputs(self):
        return self.layer_sizes[-1]

    def initialize(self, seed=None):
        """Draw fresh weights with the network's ``init`` scheme; zero biases.

        Weights are drawn in float64 and rounded to the network's dtype, so a
        float32 and a float64 network with the same seed start from the same
        numbers.
        """
        rng = np.random.default_rng(seed)
        for w, b in zip(self.weights, self.biases):
            fan_in, fan_out = w.shape
            if self.init == "glorot_uniform":
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                draw = rng.uniform(-limit, limit, w.shape)
            elif self.init == "glorot_normal":
                draw = rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), w.shape)
            elif self.init == "he_uniform":
                limit = np.sqrt(6.0 / fan_in)
                draw = rng.uniform(-limit, limit, w.shape)
            elif self.init == "he_normal":
                draw = rng.normal(0.0, np.sqrt(2.0 / fan_in), w.shape)
            elif self.init == "uniform":
                draw = rng.uniform(-self.init_scale, self.init_scale, w.shape)
            else:
                draw = np.zeros(w.shape)
            w[...] = draw
            b[...] = 0
        return self

    def copy(self):
        """An independent copy (parameters included)."""
        other = object.__new__(MLP)
        other.__setstate__(self.__getstate__())
        return other

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["weights"], state["biases"]  # views: rebuilt from params
        del state["_lock"], state["_topologies"]  # rebuilt for the backend in use
        state.pop("_trainer", None)  # a copy is not being trained
        state.pop("_fit_cache", None)  # scratch space (fastbp._fit_cache)
        state["_params"] = self._params.copy()
        return state

    def __setstate__(self, state):
        params = state.pop("_params")
        state.pop("_topology", None)  # pickled by fastbp 0.1.0: one backend's class
        if "_codes" not in state:
            state["_codes"] = [int(Activation[a.upper()])
                               for a in [*state["hidden"], state["output"]]]
        state.setdefault("_unit_params", [None] * len(state["_codes"]))
        self.__dict__.update(state)
        self._topologies = {}
        self._lock = threading.Lock()
        # aligned and writable: unpickled from a buffer it may be neither
        self._set_params(np.require(params, dtype=self.dtype, requirements=["C", "A", "W"]))

    def _exclusive(self, what):
        """A context manager that holds the network for one training call; a
        second concurrent one is refused (two threads updating one parameter
        vector would race)."""
        return _Exclusive(self, what)

    def _check_not_training(self, what):
        """Refuse to read the parameters from another thread while a fit
        updates them (it would see a mix of two steps); the training thread
        itself (callbacks between epochs) reads a consistent state."""
        trainer = getattr(self, "_trainer", None)
        if trainer is not None and trainer != threading.get_ident():
            raise RuntimeError(
                f"{what}: this network is being trained in another thread, its parameters "
                "change mid-call; evaluate a copy (net.copy()) or wait for fit to return")

    def __repr__(self):
        return (
            f"MLP({self.layer_sizes}, hidden={self.hidden!r}, output={self.output!r}, "
            f"loss={self.loss_name!r}, dtype={self.dtype.name!r})"
        )

    # --- evaluation ------------------------------------------------------------
    def _check_X(self, X, name="X"):
        return check_X(X, self.n_inputs, self.dtype, name)

    def _check_Y(self, Y, n_samples, name="Y", out=None):
        return check_Y(Y, n_samples, self.n_outputs, self.dtype, self.output, self.loss_name, name,
                       out)

    def _check_weights(self, sample_weight, n_samples, name="sample_weight"):
        return check_sample_weight(sample_weight, n_samples, self.dtype, name)

    def _buffer(self, rows, width=None):
        """Scratch for ``rows`` rows of ``width`` values (by default a
        training pass's: the units and the derivatives GELU and SiLU keep)."""
        width = self._topology.row_width if width is None else width
        return np.empty(rows * width, dtype=self.dtype)

    def forward(self, X):
        """Output activations, shape (n_samples, n_outputs)."""
        self._check_not_training("forward")
        X = self._check_X(X)
        out = np.empty((X.shape[0], self.n_outputs), dtype=self.dtype)
        acts = self._buffer(rows_per_pass(X.shape[0], self._topology.n_units))
        _kernels.active().forward_dataset(self._topology, self._params, X, out, acts)
        return out

    def loss(self, X, Y, alpha=0.0, sample_weight=None, l1=0.0):
        """Mean over the examples of the per-example loss (weighted:
        sum_i w_i loss_i / sum_i w_i), plus alpha/2 * sum_l ||W_l||^2 and
        l1 * sum_l |W_l| (biases are not penalized).  Never drops units."""
        self._check_not_training("loss")
        alpha = check_alpha(alpha)
        l1 = check_real("l1", l1, 0.0)
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[0])
        return self._loss(X, Y, alpha, self._check_weights(sample_weight, X.shape[0]), l1)

    def _loss(self, X, Y, alpha, sample_weight=None, l1=0.0):
        acts = self._buffer(rows_per_pass(X.shape[0], self._topology.n_units))
        total = _kernels.active().loss_dataset(self._topology, self._params, X, Y, sample_weight,
                                               acts)
        weight = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        penalty = 0.5 * alpha * self._weights_sq_norm() if alpha else 0.0
        if l1:
            penalty += l1 * float(sum(np.abs(w).sum(dtype=np.float64) for w in self.weights))
        return total / weight + penalty

    def _weights_sq_norm(self):
        return float(sum(np.dot(w.ravel(), w.ravel()) for w in self.weights))

    def gradients(self, X, Y, alpha=0.0, sample_weight=None):
        """The gradient of ``loss(X, Y, alpha, sample_weight)``: (list of dW,
        list of db), with the shapes of ``weights`` and ``biases``."""
        self._check_not_training("gradients")
        alpha = check_alpha(alpha)
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[0])
        sample_weight = self._check_weights(sample_weight, X.shape[0])
        grads = np.empty_like(self._params)
        rows = rows_per_pass(X.shape[0], self._topology.n_units)
        _kernels.active().gradient_dataset(self._topology, self._params, X, Y, sample_weight, grads,
                            self._buffer(rows), self._buffer(rows), alpha)
        return self._layer_views(grads)

    def _objective(self, X, Y, alpha, sample_weight=None):
        """For checked arrays: (weighted mean loss, sum ||W||^2, flat gradient
        of the weighted mean loss + alpha/2 sum ||W||^2).  One compiled pass;
        used by full-batch optimizers such as L-BFGS."""
        grads = np.empty_like(self._params)
        rows = rows_per_pass(X.shape[0], self._topology.n_units)
        loss_sum, weight, _ = _kernels.active().gradient_dataset(
            self._topology, self._params, X, Y, sample_weight, grads,
            self._buffer(rows), self._buffer(rows), alpha)
        return loss_sum / weight, self._weights_sq_norm(), grads

    def save(self, path, optimizer=None, history=None, metadata=None):
        """Write the network (and optionally the optimizer with its state, the
        history and JSON metadata) to ``path``; see :func:`fastbp.saving.save`.
        Read it back with :func:`fastbp.load` or :func:`fastbp.load_checkpoint`."""
        from fastbp._modelfile import write

        return write(path, self, optimizer=optimizer, history=history, metadata=metadata)

    def fit(self, X, Y, optimizer="sgd", epochs=1, batch_size=32, alpha=0.0, shuffle=True,
            seed=None, validation_data=None, callbacks=None, verbose=False, sample_weight=None,
            on_divergence="raise", dropout=0.0, input_dropout=0.0, l1=0.0, clip_norm=None,
            clip_value=None, n_threads=None):
        """Train by backpropagation; returns a :class:`fastbp.History`.

        See :func:`fastbp.training.fit` for the parameters.
        """
        from fastbp.training import fit

        return fit(self, X, Y, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                   alpha=alpha, shuffle=shuffle, seed=seed, validation_data=validation_data,
                   callbacks=callbacks, verbose=verbose, sample_weight=sample_weight,
                   on_divergence=on_divergence, dropout=dropout, input_dropout=input_dropout,
                   l1=l1, clip_norm=clip_norm, clip_value=clip_value, n_threads=n_threads)
