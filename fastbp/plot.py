"""Plots of training (needs matplotlib: fastbp's ``plot`` extra).

Every function returns the matplotlib Figure it drew on (or the figure of the
``ax`` it was given), so a script can ``fig.savefig(...)`` and a notebook shows
it.  Without a display (no DISPLAY or WAYLAND_DISPLAY on Linux, no MPLBACKEND
set, pyplot not yet imported) the Agg backend is selected, so plotting works
on servers and in CI.
"""
import numpy as np

from fastbp._descent_plot import descent
from fastbp._figures import pyplot

__all__ = ["activations", "loss_curve", "decision_boundary", "compare_optimizers",
           "regularization_grid", "default_optimizers", "descent"]


def _axes(ax, **subplots):
    if ax is not None:
        return ax.figure, ax
    return pyplot().subplots(**subplots)


def loss_curve(history, ax=None, log_scale=False, title="Loss per epoch"):
    """The training loss (and validation loss, if recorded) against the epoch.

    ``history`` is a :class:`fastbp.History` (or anything with ``loss`` and
    ``val_loss`` lists).  Epochs are numbered from 1.
    """
    loss = list(getattr(history, "loss", None) or [])
    if not loss:
        raise ValueError("history has no epochs to plot (history.loss is empty)")
    fig, ax = _axes(ax, figsize=(6, 4))
    epochs = np.arange(1, len(loss) + 1)
    ax.plot(epochs, loss, label="training loss")
    val = list(getattr(history, "val_loss", None) or [])
    if val:
        ax.plot(epochs[: len(val)], val, label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    return fig


def _classes(net, outputs):
    """Predicted class of each row of outputs: argmax, or one output against
    its midpoint (0 for tanh, 0.5 otherwise)."""
    if outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return (outputs[:, 0] >= (0.0 if net.output == "tanh" else 0.5)).astype(int)


def decision_boundary(net, X, y, ax=None, resolution=200, padding=0.25, title=None):
    """Regions of the plane by the class ``net`` predicts, with the points X
    coloured by their labels y.  Needs a network with 2 inputs.

    The region image is ``ax.images[0]``: its array holds the predicted class
    at each of ``resolution`` x ``resolution`` grid points (row 0 at the
    bottom), its extent the plotted window.
    """
    if net.n_inputs != 2:
        raise ValueError(
            f"decision_boundary needs a network with 2 inputs, this one has {net.n_inputs}")
    X = net._check_X(X)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must hold one label per row of X ({X.shape[0]}), got shape {y.shape}")
    fig, ax = _axes(ax, figsize=(5, 5))
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = padding * (hi - lo + (hi == lo))
    (x0, y0), (x1, y1) = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.c_[gx.ravel(), gy.ravel()]
    regions = _classes(net, net.forward(grid)).reshape(resolution, resolution)
    n_classes = max(int(regions.max()), int(y.max()) if y.size else 0) + 1
    cmap = pyplot().get_cmap("tab10" if n_classes <= 10 else "tab20")
    ax.imshow(regions, origin="lower", extent=(x0, x1, y0, y1), cmap=cmap, vmin=0,
              vmax=cmap.N - 1, alpha=0.35, aspect="auto", interpolation="nearest")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=0, vmax=cmap.N - 1, s=12, edgecolors="k",
               linewidths=0.3)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if title:
        ax.set_title(title)
    return fig


def default_optimizers():
    """The five optimizers compare_optimizers uses by default, with rates that
    suit small problems: {label: Optimizer}."""
    import fastbp as fb

    return {
        "SGD (lr 0.1)": fb.SGD(lr=0.1),
        "momentum (lr 0.05, 0.9)": fb.SGD(lr=0.05, momentum=0.9),
        "AdaGrad (lr 0.1)": fb.AdaGrad(lr=0.1),
        "RMSprop (lr 0.01)": fb.RMSprop(lr=0.01),
        "Adam (lr 0.01)": fb.Adam(lr=0.01),
    }


def compare_optimizers(X, y, layer_sizes, optimizers=None, epochs=50, batch_size=32, seed=0,
                       validation_data=None, log_scale=True, ax=None, **mlp_kwargs):
    """Train the same network (same initial weights, same batches) once per
    optimizer and draw every training loss curve on one axes.

    Parameters
    ----------
    X, y : the training data (as for ``MLP.fit``)
    layer_sizes : list of int
    optimizers : dict {label: Optimizer}, default :func:`default_optimizers`
        (SGD, momentum, AdaGrad, RMSprop, Adam)
    epochs, batch_size, seed, validation_data : as for ``MLP.fit``; ``seed``
        also seeds the initial weights.  With validation data the validation
        losses are drawn dashed.
    **mlp_kwargs : passed to :class:`fastbp.MLP` (hidden, output, loss, ...)

    Returns the Figure; line i (``ax.lines``) is optimizer i's loss per epoch.
    """
    import fastbp as fb

    optimizers = default_optimizers() if optimizers is None else dict(optimizers)
    if not optimizers:
        raise ValueError("optimizers is empty: give at least one {label: optimizer}")
    start = fb.MLP(layer_sizes, seed=seed, **mlp_kwargs)
    histories = {}
    for label, opt in optimizers.items():
        histories[label] = start.copy().fit(X, y, optimizer=opt, epochs=epochs,
                                            batch_size=batch_size, shuffle=True, seed=seed,
                                            validation_data=validation_data)
    fig, ax = _axes(ax, figsize=(7, 4.5))
    x = np.arange(1, epochs + 1)
    for label, h in histories.items():
        (line,) = ax.plot(x[: h.epochs], h.loss, label=label)
        if h.val_loss:
            ax.plot(x[: h.epochs], h.val_loss, linestyle="--", color=line.get_color(),
                    label=f"{label}, validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(f"Optimizers on the same {'-'.join(map(str, layer_sizes))} network")
    ax.legend(fontsize="small")
    return fig


def regularization_grid(X, y, hidden_sizes=(2, 8, 32), alphas=(0.0, 1e-4, 1e-3), epochs=300,
                        batch_size=32, seed=0, optimizer=None, hidden="tanh", resolution=100):
    """Decision boundaries of 2-input classifiers over hidden-layer sizes
    (rows) and L2 penalties alpha (columns), each trained from the same seed.

    ``y`` holds integer class labels; each network is [2, h, n_classes] with
    a softmax output and cross-entropy loss.  ``optimizer`` is a function
    returning a fresh optimizer for each cell (default Adam with lr 0.01).
    Each panel's title gives h, alpha and the training accuracy.
    """
    import fastbp as fb

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"regularization_grid needs 2-D inputs with 2 features, got shape {X.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1 or y.min() < 0:
        raise ValueError("y must be a 1-D array of integer class labels 0, 1, ...")
    if not hidden_sizes or not alphas:
        raise ValueError("hidden_sizes and alphas must each hold at least one value")
    n_classes = max(int(y.max()) + 1, 2)
    make_opt = optimizer or (lambda: fb.Adam(lr=0.01))
    plt = pyplot()
    fig, axes = plt.subplots(len(hidden_sizes), len(alphas), squeeze=False,
                             figsize=(3 * len(alphas), 3 * len(hidden_sizes)))
    for row, h in enumerate(hidden_sizes):
        for col, alpha in enumerate(alphas):
            net = fb.MLP([2, h, n_classes], hidden=hidden, output="softmax", loss="cross_entropy",
                         seed=seed)
            net.fit(X, y, optimizer=make_opt(), epochs=epochs, batch_size=batch_size, alpha=alpha,
                    shuffle=True, seed=seed)
            accuracy = float((net.forward(X).argmax(axis=1) == y).mean())
            decision_boundary(net, X, y, ax=axes[row, col], resolution=resolution,
                              title=f"hidden {h}, alpha {alpha:g}: acc {accuracy:.2f}")
            axes[row, col].set_xticks([])
            axes[row, col].set_yticks([])
    fig.suptitle("Decision boundaries: hidden units (rows) x L2 penalty alpha (columns)")
    fig.tight_layout()
    return fig


def activations(net, X, Y=None, bins=40, title=None):
    """Histograms of every layer's activations on ``X`` (and, given targets
    ``Y``, of its backpropagated errors dE/dI), one column per layer: the
    picture of saturation and vanishing gradients that shows why the weight
    initialization (``init``, ``init_scale``) matters in deep networks.

    Returns the Figure: row 0 the activations O of layers 1..L, row 1 (with
    Y) the errors -Err = dE/dI of each example's loss; each panel's title
    gives the layer, its mean and its standard deviation.
    """
    from fastbp.tracing import layer_values

    X = net._check_X(X)
    T = None if Y is None else net._check_Y(Y, X.shape[0])
    _, O, err = layer_values(net, X, T)
    rows = [("activations", O[1:])] + ([] if err is None else [("dE/dI", [-e for e in err])])
    n = len(net.layer_sizes) - 1
    fig, axes = pyplot().subplots(len(rows), n, squeeze=False,
                                   figsize=(max(2.0 * n, 4), 2.2 * len(rows) + 0.6))
    for r, (what, values) in enumerate(rows):
        for l, v in enumerate(values):
            ax, v = axes[r, l], np.asarray(v, dtype=np.float64).ravel()
            ax.hist(v, bins=bins, color="C0" if r == 0 else "C3")
            ax.set_title(f"layer {l + 1}: mean {v.mean():.2g}\nstd {v.std():.2g}",
                         fontsize="small")
            ax.tick_params(labelsize="x-small")
            ax.set_yticks([])
        axes[r, 0].set_ylabel(what)
    fig.suptitle(title or f"{net.init} init, {', '.join(dict.fromkeys(net.hidden))} units: "
                 "activations" + ("" if err is None else " and errors") + " per layer")
    fig.tight_layout()
    return fig
