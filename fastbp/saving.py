"""Saving and loading models: a versioned .npz format that runs no code on load.

A model file is an uncompressed NumPy ``.npz`` archive (a zip file, every
member protected by its CRC-32) holding:

``header``
    UTF-8 JSON as a uint8 array (the layout is in docs/file_format.md):
    ``format`` ("fastbp-model"), ``format_version``, ``fastbp_version``,
    ``model`` (the MLP's constructor arguments), ``arrays`` (name, shape and
    dtype of every other member), and optionally ``optimizer`` (class name,
    hyperparameters, schedule, update and epoch counters), ``history`` and
    ``metadata`` (any JSON the caller adds, e.g. the command line's column
    names and scaling).
``params``
    The flat parameter vector in the network's dtype.
``optimizer_state_0``, ...
    The optimizer's state vectors (momentum, moment estimates), if saved.

Loading reads arrays with ``allow_pickle=False`` and rebuilds optimizers and
schedules only from a fixed table of fastbp classes, by keyword arguments, so a
file can describe a model but never run code.  Any file that is not a complete,
consistent model of a format version this fastbp reads raises
:class:`ModelFileError` (a ``ValueError``) naming what was wrong.
"""
import json
import os
import zipfile
from typing import NamedTuple

import numpy as np

from fastbp._modelfile import FORMAT, FORMAT_VERSION, OPTIMIZERS, SCHEDULES, write
from fastbp._version import __version__
from fastbp.history import History
from fastbp.network import MLP
from fastbp.optimizers import Optimizer

__all__ = ["save", "load", "load_checkpoint", "Checkpoint", "ModelFileError",
           "UnsupportedFormatError", "FORMAT_VERSION"]

class ModelFileError(ValueError):
    """A file is not a readable fastbp model: truncated, corrupted, not a model
    file at all, or inconsistent (the message says which)."""


class UnsupportedFormatError(ModelFileError):
    """The file was written in a format version newer than this fastbp reads."""


class Checkpoint(NamedTuple):
    """Everything :func:`load_checkpoint` restores.

    ``optimizer`` is bound to ``model``: pass it to ``model.fit`` to resume
    training exactly where it stopped.  ``optimizer``, ``history`` and
    ``metadata`` are None when the file does not hold them.
    """

    model: MLP
    optimizer: Optimizer | None
    history: History | None
    metadata: dict | None


def save(path, net, optimizer=None, history=None, metadata=None):
    """Write ``net`` (and optionally the optimizer with its state, the training
    history and JSON-serializable ``metadata``) to ``path``.

    The file is written to a temporary name and then renamed, so an
    interrupted save never leaves a truncated file under ``path``.  The name is
    used as given (no suffix is added); ``.npz`` is the convention.
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a fastbp.MLP, got {type(net).__name__}")
    return write(path, net, optimizer=optimizer, history=history, metadata=metadata)


# --- reading -----------------------------------------------------------------------
def _read_arrays(path):
    """Every member of the archive, or ModelFileError if it cannot be read."""
    # a missing file raises FileNotFoundError as usual; the file is opened here, not by
    # np.load, which leaves its own handle open when the archive is corrupted
    with open(path, "rb") as f:
        magic = f.read(4)
        if magic != b"PK\x03\x04":  # np.load would try other formats, even a pickle
            raise ModelFileError(f"{path} is not a fastbp model file: not a .npz (zip) archive"
                                 + (" (it is empty)" if not magic else ""))
        f.seek(0)
        return _read_members(path, f)


def _read_members(path, f):
    try:
        with np.load(f, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, KeyError) as e:
        if (isinstance(e, OSError) and not isinstance(e, zipfile.BadZipFile)
                and not os.path.isfile(path)):
            raise  # a missing or unreadable file is an OSError as usual
        raise ModelFileError(
            f"{path} is not a readable fastbp model file (truncated, corrupted or another "
            f"format): {type(e).__name__}: {e}"
        ) from e
    except Exception as e:  # zlib and struct errors from a mangled archive
        raise ModelFileError(f"{path} is corrupted: {type(e).__name__}: {e}") from e


def _field(mapping, key, kind, where):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ModelFileError(f"the header has no {where}{key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ModelFileError(f"header field {where}{key!r} must be {names}, got {value!r}")
    return value


def _build(table, entry, what, **extra):
    """An instance of the class ``entry`` names in ``table``, from its keyword
    arguments; any failure is a ModelFileError naming ``what``."""
    name = _field(entry, "class", str, f"{what} ")
    if name not in table:
        raise ModelFileError(f"unknown {what} class {name!r}; this fastbp knows {sorted(table)}")
    params = _field(entry, "params", dict, f"{what} ")
    try:
        return table[name](**params, **extra)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"invalid {what} {name}{params}: {e}") from None


def _schedule_from_json(entry):
    if isinstance(entry, dict) and entry.get("class") == "Scaled":
        inner = _schedule_from_json(_field(entry.get("params"), "schedule", dict, "Scaled "))
        scale = {k: v for k, v in entry["params"].items() if k != "schedule"}
        return _build(SCHEDULES, {"class": "Scaled", "params": scale}, "schedule", schedule=inner)
    return _build(SCHEDULES, entry, "schedule")


def _check_array(arrays, name, shape, dtype):
    if name not in arrays:
        raise ModelFileError(f"the file has no {name!r} array")
    a = arrays[name]
    if a.shape != tuple(shape) or a.dtype != dtype:
        raise ModelFileError(
            f"array {name!r} has shape {a.shape} and dtype {a.dtype}, "
            f"expected {tuple(shape)} and {dtype}"
        )
    if not np.isfinite(a).all():
        raise ModelFileError(f"array {name!r} contains NaN or infinity")
    return a


def load_checkpoint(path):
    """Read a model file written by :func:`save`; returns a :class:`Checkpoint`.

    Raises
    ------
    ModelFileError
        The file is truncated, corrupted, not a fastbp model, or inconsistent.
    UnsupportedFormatError
        The file's format version is newer than this fastbp reads.
    """
    path = os.fspath(path)
    try:
        return _load(path)
    except ModelFileError as e:
        if path in str(e):
            raise
        raise type(e)(f"{path}: {e}") from e.__cause__


def _optimizer_from_json(entry, arrays, net):
    """The optimizer the header's entry describes, with its state from
    ``arrays``, bound to ``net`` so its next fit continues instead of resetting."""
    lr = _schedule_from_json(_field(entry, "lr", dict, "optimizer "))
    optimizer = _build(OPTIMIZERS, entry, "optimizer", lr=lr)
    t = _field(entry, "t", int, "optimizer ")
    epochs = _field(entry, "epochs", int, "optimizer ")
    n_state = _field(entry, "n_state", int, "optimizer ")
    # state vectors exist once the optimizer has run (then t > 0), or not at all
    fresh = n_state == 0 and t == 0 and epochs == 0
    if t < 0 or epochs < 0 or not (fresh or n_state == optimizer.n_state):
        raise ModelFileError(f"inconsistent optimizer counters t={t}, epochs={epochs} "
                             f"with {n_state} state vectors ({optimizer.n_state} expected)")
    optimizer._bind(net, net.n_params, net.dtype)
    for i, s in enumerate(optimizer._state[:n_state]):
        np.copyto(s, _check_array(arrays, f"optimizer_state_{i}", (net.n_params,), net.dtype))
    optimizer.t, optimizer.epochs = t, epochs
    return optimizer


def _history_from_json(entry):
    history = History()
    for key in ("loss", "val_loss", "lr"):
        values = _field(entry, key, list, "history ")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise ModelFileError(f"history {key!r} must be a list of numbers")
        setattr(history, key, [float(v) for v in values])
    return history


def _load(path):
    arrays = _read_arrays(path)
    if "header" not in arrays or arrays["header"].dtype != np.uint8 or arrays["header"].ndim != 1:
        raise ModelFileError(f"{path} is a .npz archive but not a fastbp model file (no header)")
    try:
        header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"the header is not valid JSON ({e})") from None
    found = header.get("format") if isinstance(header, dict) else None
    if found != FORMAT:
        raise ModelFileError(f"not a fastbp model file: its header names format {found!r}, "
                             f"expected {FORMAT!r}")
    version = _field(header, "format_version", int, "")
    if version > FORMAT_VERSION:
        raise UnsupportedFormatError(
            f"{path} has format version {version} (written by fastbp "
            f"{header.get('fastbp_version', '?')}); this fastbp ({__version__}) reads format "
            f"versions up to {FORMAT_VERSION}: upgrade fastbp to load it"
        )
    if version < 1:
        raise ModelFileError(f"invalid format version {version}")

    model = _field(header, "model", dict, "")
    try:
        net = MLP(**model, seed=0)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"invalid model description {model}: {e}") from None
    net.params = _check_array(arrays, "params", (net.n_params,), net.dtype)

    optimizer = None
    if header.get("optimizer") is not None:
        optimizer = _optimizer_from_json(header["optimizer"], arrays, net)
    history = None
    if header.get("history") is not None:
        history = _history_from_json(header["history"])
    metadata = header.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ModelFileError(f"metadata must be a JSON object, got {type(metadata).__name__}")
    return Checkpoint(net, optimizer, history, metadata)


def load(path):
    """The :class:`~fastbp.MLP` saved in ``path`` (see :func:`load_checkpoint`
    for the optimizer, history and metadata)."""
    return load_checkpoint(path).model
