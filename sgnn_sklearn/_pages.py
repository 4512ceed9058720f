"""Arrays whose leading rows can be given back to the system once consumed.

An offline fit holds its float64 simulations (458 MB at 10^6 series of 60
days) while it writes their standardised float32 copy (229 MB) beside them.
The simulations are read once, front to back, by that copy: if the memory
of each block of rows is returned as soon as the block is copied, the two
never take more than the simulations alone. numpy cannot shrink an array
from the front, so the joined simulations live in an anonymous memory map
(:func:`releasable_empty`), whose pages :func:`release_rows` hands back with
``madvise(MADV_DONTNEED)``. Released rows then read as zeros: only the
array's sole user may release them, once it will not read them again.

An offline fit with fresh observation noise reads its latent trajectories
(float64, 458 MB at 10^6 series) once an epoch, block by block, and holds
them all through training. :func:`spill_to_file` moves them into a
temporary file mapped read-only, whose pages :func:`forget_rows` hands back
after each block is read: unlike released anonymous rows, they read the same
again, from the kernel's file cache or the disk.
"""

from __future__ import annotations

import math
import mmap
import os
import tempfile

import numpy as np

# Smaller arrays are plain numpy.empty: a memory map per small draw would
# cost more than the pages it could return.
MIN_RELEASABLE_BYTES = 1 << 20

# Only arrays of at least this size go to a temporary file (about 280,000
# series of 60 days in float64): smaller fits never touch the disk.
SPILL_MIN_BYTES = 128 * 2**20
# The temporary files' names start with this (see spill_to_file).
SPILL_PREFIX = "sgnn-spill-"
# Written to the file this many bytes at a time.
SPILL_WRITE_BYTES = 8 * 2**20
# File systems whose files are memory: spilling there would save nothing.
MEMORY_FILE_SYSTEMS = frozenset({"tmpfs", "ramfs"})


def releasable_empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """``numpy.empty(shape, dtype)``, in memory that :func:`release_rows` can return.

    Below 1 MiB, and where the platform cannot release pages (no
    ``mmap.madvise``), this is ``numpy.empty``. As with ``numpy.empty``, the
    memory is only taken as rows are written.

    Examples
    --------
    >>> X = releasable_empty((4096, 64), np.dtype(np.float64))
    >>> X.shape, X.dtype, X.flags.writeable
    ((4096, 64), dtype('float64'), True)
    """
    nbytes = math.prod(shape) * dtype.itemsize
    if (
        nbytes < MIN_RELEASABLE_BYTES
        or not hasattr(mmap, "MAP_ANONYMOUS")
        or not hasattr(mmap.mmap, "madvise")
    ):
        return np.empty(shape, dtype)
    # Private: released pages of a shared mapping would stay in memory.
    pages = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(pages, dtype=dtype).reshape(shape)


def release_rows(X: np.ndarray, stop: int) -> None:
    """Return to the system the memory of rows ``[0, stop)`` of ``X``.

    Only whole pages are returned; a row that shares a page with a row at or
    after ``stop`` keeps its values. Anything but a C-contiguous array from
    :func:`releasable_empty` (or a view of its leading rows) is left as it is.

    Examples
    --------
    >>> X = releasable_empty((4096, 2), np.dtype(np.float64))
    >>> X[...] = 1.0
    >>> release_rows(X, 4096)
    >>> float(X.sum()) in (0.0, 8192.0)  # 0.0 where pages can be released
    True
    """
    found = _rows_in_map(X, 0, stop)
    if found is None or isinstance(found[0], _SpillMap):
        return
    pages, first, last = found
    # Whole pages only: round the start up and the end down.
    first = -(-first // mmap.PAGESIZE) * mmap.PAGESIZE
    last = last // mmap.PAGESIZE * mmap.PAGESIZE
    if last > first:
        pages.madvise(mmap.MADV_DONTNEED, first, last - first)


def spill_to_file(X: np.ndarray) -> np.ndarray:
    """A read-only copy of ``X`` in a temporary file, when that saves memory.

    The file is created in :func:`tempfile.gettempdir` (``TMPDIR``), named
    ``sgnn-spill-*``, written block by block, mapped read-only and unlinked
    at once: it has no name left in the folder, and its disk space returns
    when the last view of the copy goes, whether the fit ends, fails, or the
    process dies. Its pages count in the process's memory only while they
    are mapped in; :func:`forget_rows` lets them go once read, and they stay
    in the kernel's file cache (which the system reclaims, writing them to
    the disk first, when it needs the memory) until read again.

    ``X`` itself is returned, and nothing is written, when it takes less than
    ``SPILL_MIN_BYTES`` (128 MiB), holds objects, the platform cannot let
    mapped pages go, the temporary folder is itself memory (tmpfs), or the
    file cannot be written (a full disk, say).

    Parameters
    ----------
    X : ndarray
        The array to copy.

    Returns
    -------
    ndarray
        The copy, read-only, or ``X``.

    Examples
    --------
    >>> X = np.ones((4, 3))
    >>> spill_to_file(X) is X  # far below SPILL_MIN_BYTES
    True
    """
    if (
        not isinstance(X, np.ndarray)
        or X.nbytes < SPILL_MIN_BYTES
        or X.dtype.hasobject
        or not hasattr(mmap.mmap, "madvise")
    ):
        return X
    folder = tempfile.gettempdir()
    if not _is_on_disk(folder):
        return X
    step = max(SPILL_WRITE_BYTES * len(X) // X.nbytes, 1)  # rows at a time
    try:
        with tempfile.NamedTemporaryFile(prefix=SPILL_PREFIX, dir=folder) as file:
            for start in range(0, len(X), step):
                file.write(np.ascontiguousarray(X[start : start + step]).data)
            file.flush()
            pages = _SpillMap(file.fileno(), X.nbytes, access=mmap.ACCESS_READ)
    except OSError:
        return X
    return np.frombuffer(pages, dtype=X.dtype).reshape(X.shape)


def forget_rows(X: np.ndarray, rows: slice) -> None:
    """Let the system take back the pages of ``X[rows]``, if ``X`` is spilled.

    For a copy from :func:`spill_to_file` (or a view of its rows) the pages
    that hold those rows leave the process's memory and are read again from
    the file when next needed: the values do not change. Anything else is
    left as it is.

    Examples
    --------
    >>> X = np.ones((4, 3))
    >>> forget_rows(X, slice(0, 2))
    >>> float(X.sum())
    12.0
    """
    start, stop, _ = rows.indices(len(X))
    found = _rows_in_map(X, start, stop)
    if found is None or not isinstance(found[0], _SpillMap):
        return
    pages, first, last = found
    # Every page that holds one of the rows: they read the same afterwards.
    first = first // mmap.PAGESIZE * mmap.PAGESIZE
    last = min(-(-last // mmap.PAGESIZE) * mmap.PAGESIZE, len(pages))
    if last > first:
        pages.madvise(mmap.MADV_DONTNEED, first, last - first)


class _SpillMap(mmap.mmap):
    """The read-only map of a file from :func:`spill_to_file`."""


def _rows_in_map(
    X: np.ndarray, start: int, stop: int
) -> tuple[mmap.mmap, int, int] | None:
    """The memory map under ``X`` and the byte range of its rows ``[start, stop)``.

    None when ``X`` is not a C-contiguous view of a memory map's array, or
    the range is empty.
    """
    buffer = X.base
    while isinstance(buffer, np.ndarray):
        buffer = buffer.base
    if isinstance(buffer, memoryview):  # numpy.frombuffer's base
        buffer = buffer.obj
    stop = min(stop, len(X))
    if not isinstance(buffer, mmap.mmap) or not X.flags.c_contiguous or stop <= start:
        return None
    origin = np.frombuffer(buffer, dtype=np.uint8).ctypes.data
    offset = X.ctypes.data - origin
    return buffer, offset + start * X.strides[0], offset + stop * X.strides[0]


def _is_on_disk(folder: str) -> bool:
    """False when ``folder`` is on a file system held in memory (Linux's tmpfs).

    True when the mounts cannot be read (not Linux): a temporary folder is
    then taken to be on a disk.
    """
    try:
        with open("/proc/mounts") as mounts:
            table = [line.split()[1:3] for line in mounts if len(line.split()) > 2]
    except OSError:
        return True
    path = os.path.realpath(folder)
    kind, longest = "", -1
    for point, system in table:
        point = point.replace("\\040", " ")
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) > longest:
            kind, longest = system, len(point)
    return kind not in MEMORY_FILE_SYSTEMS
