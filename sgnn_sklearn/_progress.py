"""Progress reports for long simulations: a tqdm bar, or plain counts without tqdm."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class _Counts:
    """What ``verbose >= 1`` shows when tqdm is not installed: one line per update."""

    def __init__(self, total: int, desc: str, file: TextIO) -> None:
        self.total = total
        self.desc = desc
        self.file = file
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n
        print(f"{self.desc}: {self.done}/{self.total}", file=self.file, flush=True)

    def close(self) -> None:
        pass


def _ignore(n: int) -> None:
    pass


@contextmanager
def progress(total: int, verbose: Any, desc: str) -> Iterator[Callable[[int], None]]:
    """Yield ``update(n)``, which reports ``n`` more items done out of ``total``.

    With ``verbose`` falsy nothing is printed. Otherwise a tqdm bar is drawn on
    stderr (tqdm comes with skorch), or, if tqdm cannot be imported, a line of
    counts per update.

    Parameters
    ----------
    total : int
        Number of items expected.
    verbose : int or bool
        The estimator's ``verbose``.
    desc : str
        What is counted, shown before the counts.

    Yields
    ------
    callable
        ``update(n)``.

    Examples
    --------
    >>> with progress(10, verbose=0, desc="Simulating") as update:
    ...     update(4)  # verbose=0: prints nothing
    """
    if not verbose:
        yield _ignore
        return
    try:
        from tqdm import tqdm
    except ImportError:
        bar: Any = _Counts(total, desc, sys.stderr)
    else:
        bar = tqdm(total=total, desc=desc, unit="sample", file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.close()
