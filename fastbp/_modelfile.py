"""Writing model files (the format is described in fastbp.saving and
docs/file_format.md).  Separate from the reader so that ``MLP.save`` can write
without importing the module that builds networks from files."""
import json
import os
import tempfile

import numpy as np

from fastbp import schedules
from fastbp._version import __version__
from fastbp.history import History
from fastbp.optimizers import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSprop

FORMAT = "fastbp-model"
FORMAT_VERSION = 1

# The only classes a file can name.  Each is rebuilt from its keyword arguments.
OPTIMIZERS = {cls.__name__: cls for cls in (SGD, AdaGrad, RMSprop, Adam, AdamW)}
SCHEDULES = {cls.__name__: cls for cls in (
    schedules.Constant, schedules.StepDecay, schedules.ExponentialDecay,
    schedules.InverseTimeDecay, schedules.InverseScaling, schedules.Scaled,
    schedules.Warmup, schedules.CosineAnnealing, schedules.OneCycle, schedules.Polynomial)}
# The schedules that wrap another: their "schedule" parameter is a schedule entry.
WRAPPERS = ("Scaled", "Warmup")


def _check_saveable(obj, table, what):
    cls = type(obj)
    if table.get(cls.__name__) is not cls:  # exact classes: a subclass may hold more state
        raise TypeError(
            f"cannot save {what} of class {cls.__qualname__}: the file format stores only "
            f"fastbp's own {what}s ({', '.join(table)})"
        )
    return cls.__name__


def _schedule_to_json(schedule):
    name = _check_saveable(schedule, SCHEDULES, "schedule")
    params = {k: _schedule_to_json(v) if isinstance(v, schedules.Schedule) else v
              for k, v in schedule._params().items()}
    return {"class": name, "params": params}


def _optimizer_to_json(opt):
    name = _check_saveable(opt, OPTIMIZERS, "optimizer")
    return {"class": name, "params": opt._params(), "lr": _schedule_to_json(opt.lr),
            "t": int(opt.t), "epochs": int(opt.epochs), "n_state": len(opt._state)}


def _optimizer_entry(optimizer, net):
    """The header's optimizer entry and its state arrays, refusing an
    optimizer whose state belongs to another network."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a fastbp optimizer, got {type(optimizer).__name__}")
    entry = _optimizer_to_json(optimizer)
    if optimizer._state:
        owner = optimizer._owner() if optimizer._owner is not None else None
        if owner is not net:
            # its state belongs to another network: the loaded copy would resume wrongly
            raise ValueError("optimizer holds the state of a different network than net; "
                             "save it with the network it trained")
    return entry, {f"optimizer_state_{i}": s for i, s in enumerate(optimizer._state)}


def _header(net, optimizer, history, metadata):
    """(the JSON header's text, the arrays to store): checked, nothing written."""
    arrays = {"params": net.params}
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fastbp_version": __version__,
        "model": {"layer_sizes": net.layer_sizes, "hidden": net.hidden, "output": net.output,
                  "loss": net.loss_name, "init": net.init, "init_scale": net.init_scale,
                  "dtype": net.dtype.name},
    }
    if optimizer is not None:
        header["optimizer"], state = _optimizer_entry(optimizer, net)
        arrays.update(state)
    if history is not None:
        if not isinstance(history, History):
            raise TypeError(f"history must be a fastbp.History, got {type(history).__name__}")
        header["history"] = {"loss": list(history.loss), "val_loss": list(history.val_loss),
                             "lr": list(history.lr)}
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        header["metadata"] = metadata
    header["arrays"] = {k: {"shape": list(a.shape), "dtype": a.dtype.name}
                        for k, a in arrays.items()}
    try:
        return json.dumps(header, allow_nan=False), arrays
    except (TypeError, ValueError) as e:
        raise ValueError(f"metadata (and history) must be JSON-serializable with finite numbers: "
                         f"{e}") from None


def _write_atomically(path, text, arrays):
    """An .npz of ``text`` (as the "header" member) and ``arrays``, written to
    a temporary name in the same directory and renamed to ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fastbp-", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); a model file gets the
        # permissions any new file of the user's would (0666 less the umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, header=np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write(path, net, optimizer=None, history=None, metadata=None):
    """Write ``net`` (a fastbp.MLP; see fastbp.saving.save) and optionally the
    optimizer with its state, the training history and JSON-serializable
    ``metadata`` to ``path``.

    The file is written to a temporary name and then renamed, so an
    interrupted save never leaves a truncated file under ``path``.  The name is
    used as given (no suffix is added); ``.npz`` is the convention.
    """
    text, arrays = _header(net, optimizer, history, metadata)
    path = os.fspath(path)
    _write_atomically(path, text, arrays)
    return path
