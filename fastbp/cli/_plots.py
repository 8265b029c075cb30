"""The loss-curve PNG that ``fastbp train --plot`` and ``fastbp demo`` write."""
from fastbp._optional import missing
from fastbp.plot import loss_curve


def save_loss_curve(history, path):
    """Draw ``history``'s loss per epoch and save it as a PNG at ``path``.

    Without matplotlib, print why no curve was drawn instead of failing: the
    plot is an extra, the training it reports on has already succeeded.

    Parameters
    ----------
    history : fastbp.History
        The training history (at least one epoch).
    path : str or os.PathLike
        Where to write the PNG.

    Returns
    -------
    path or None
        ``path``, or None when matplotlib is missing.
    """
    problem = missing("matplotlib", "the loss curve")
    if problem:
        print(f"no loss curve drawn: {problem}")
        return None
    fig = loss_curve(history)
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"loss curve written to {path}")
    return path
