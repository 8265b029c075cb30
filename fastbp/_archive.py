"""Reading the members of a model archive within bounds.

A hostile file can declare anything: thousands of members, a member that
inflates to gigabytes, a header nested thousands deep, arrays far larger than
the model it describes.  This reader opens only the members asked for, reads
each ``.npy`` member's own header first and compares its shape and dtype with
what the caller expects, and then reads exactly that many bytes: nothing large
is inflated or allocated before it has been checked.  Every problem raises
:class:`ArchiveError`, which the model reader turns into a ModelFileError.
"""
import zipfile

import numpy as np

__all__ = ["ArchiveError", "Archive", "MAX_MEMBERS", "MAX_HEADER_BYTES"]

MAX_MEMBERS = 64              # a model file has 2 to 4
MAX_HEADER_BYTES = 64 << 20   # the JSON header (metadata included)


class ArchiveError(ValueError):
    """The archive or one of its members is malformed (the message says how)."""


class Archive:
    """An open zip archive of ``.npy`` members; use as a context manager."""

    def __init__(self, path):
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, ValueError) as e:
            raise ArchiveError(f"not a readable zip archive: {e}") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            self._zip.close()
            raise ArchiveError(f"the archive has {len(infos)} members; a model file has at "
                               f"most {MAX_MEMBERS}")
        self.names = {i.filename[:-4] for i in infos if i.filename.endswith(".npy")}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._zip.close()

    def declared(self, name):
        """(shape, dtype) that member ``name``'s .npy header declares; reads
        nothing else."""
        if name not in self.names:
            raise ArchiveError(f"the file has no {name!r} array")
        with self._zip.open(name + ".npy") as f:
            shape, _, dtype = _npy_header(f, name)
        return shape, dtype

    def header_bytes(self, name):
        """The bytes of the 1-D uint8 member ``name`` (the JSON header),
        refused beyond MAX_HEADER_BYTES."""
        return self.read(name, None, np.uint8, MAX_HEADER_BYTES).tobytes()

    def read(self, name, shape, dtype, max_size=None):
        """Member ``name`` as an array of ``shape`` (None: any 1-D length up
        to ``max_size``) and ``dtype``, checked against its .npy header
        before its data is read."""
        if name not in self.names:
            raise ArchiveError(f"the file has no {name!r} array")
        with self._zip.open(name + ".npy") as f:
            found, fortran, found_dtype = _npy_header(f, name)
            if shape is None:
                if len(found) != 1 or found[0] > max_size or found_dtype != dtype:
                    raise ArchiveError(
                        f"array {name!r} must be 1-D {np.dtype(dtype)} of at most {max_size} "
                        f"entries, got shape {found} and dtype {found_dtype}")
                shape = found
            elif found != tuple(shape) or found_dtype != dtype:
                raise ArchiveError(f"array {name!r} has shape {found} and dtype {found_dtype}, "
                                   f"expected {tuple(shape)} and {np.dtype(dtype)}")
            nbytes = int(np.prod(shape, dtype=np.int64)) * found_dtype.itemsize
            data = f.read(nbytes)
            if len(data) != nbytes:
                raise ArchiveError(f"array {name!r} is truncated")
            if f.read(1):  # also makes zipfile check the member's CRC at its end
                raise ArchiveError(f"array {name!r} holds more data than its header declares")
        a = np.frombuffer(data, dtype=found_dtype).reshape(shape, order="F" if fortran else "C")
        return np.array(a, order="C")  # writable, C-ordered


def _npy_header(f, name):
    """(shape, fortran_order, dtype) from the .npy header at the start of
    ``f``; object dtypes (pickles) are refused."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ArchiveError(f"array {name!r} is not a readable .npy member: {e}") from None
    if dtype.hasobject or dtype.kind not in "fiub":
        raise ArchiveError(f"array {name!r} has dtype {dtype}; a model file holds only numbers")
    return tuple(int(s) for s in shape), fortran, dtype
