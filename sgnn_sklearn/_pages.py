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
"""

from __future__ import annotations

import math
import mmap

import numpy as np

# Smaller arrays are plain numpy.empty: a memory map per small draw would
# cost more than the pages it could return.
MIN_RELEASABLE_BYTES = 1 << 20


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
    buffer = X.base
    while isinstance(buffer, np.ndarray):
        buffer = buffer.base
    if isinstance(buffer, memoryview):  # numpy.frombuffer's base
        buffer = buffer.obj
    if not isinstance(buffer, mmap.mmap) or not X.flags.c_contiguous or stop <= 0:
        return
    origin = np.frombuffer(buffer, dtype=np.uint8).ctypes.data
    first = X.ctypes.data - origin
    last = first + min(stop, len(X)) * X.strides[0]
    # Whole pages only: round the start up and the end down.
    first = -(-first // mmap.PAGESIZE) * mmap.PAGESIZE
    last = last // mmap.PAGESIZE * mmap.PAGESIZE
    if last > first:
        buffer.madvise(mmap.MADV_DONTNEED, first, last - first)
