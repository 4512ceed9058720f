"""Progress reports for long simulations: a tqdm bar, or plain counts without tqdm."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO


class _Counts:
    """What ``verbose >= 1`` shows when tqdm is not installed: one line per update."""

    def __init__(self, total: int, desc: str, file: TextIO) -> None:
        self.total = total
        self.desc = desc
        self.file = file
        self.done = 0

        self.printed = 0

    def update(self, n: int) -> None:
        self.done += n
        # Draw by draw, a line per update would flood: print every 1%.
        if self.done < self.total and self.done - self.printed < self.total / 100:
            return
        self.printed = self.done
        print(f"{self.desc}: {self.done}/{self.total}", file=self.file, flush=True)

    def close(self) -> None:
        pass


def _ignore(n: int) -> None:
    pass


_draw_progress: ContextVar[Callable[[int], None] | None] = ContextVar(
    "sgnn_sklearn_draw_progress", default=None
)


def report_draws(n_draws: int) -> None:
    """Report ``n_draws`` more finished draws to the progress bar, if one listens.

    Called by simulators that run one draw at a time (``FunctionSimulator``),
    so that a slow simulator's progress shows before its chunk of 8,192
    samples is done. Nothing listens when the chunk runs in another process
    or thread; its progress then shows when it comes back.

    Parameters
    ----------
    n_draws : int
        Number of draws just finished.

    Examples
    --------
    >>> counts = []
    >>> with reporting_draws(counts.append):
    ...     report_draws(1)
    ...     report_draws(2)
    >>> report_draws(5)  # nobody listens: nothing happens
    >>> counts
    [1, 2]
    """
    listener = _draw_progress.get()
    if listener is not None:
        listener(n_draws)


@contextmanager
def reporting_draws(listener: Callable[[int], None] | None) -> Iterator[None]:
    """Send :func:`report_draws` to ``listener`` within the block (this thread).

    Examples
    --------
    >>> with reporting_draws(print):
    ...     report_draws(3)
    3
    """
    token = _draw_progress.set(listener)
    try:
        yield
    finally:
        _draw_progress.reset(token)


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
