"""How many threads torch uses inside an estimator's methods, and the caller's restored.

torch's intra-op thread count is a process-wide setting, by default one
thread per core. The networks trained here are small (two layers of 128 on
batches of 128 rows): a second thread barely speeds one Adam step on an idle
machine, and when another process competes for the cores OpenMP's threads
wait for each other, which made a default fit on 10^4 simulations 4.5 times
slower on a busy 2-core machine (139 s against 31 s with one thread). The
estimators therefore set the count for their own work, ``n_threads=1`` by
default, and put the caller's back when they return.

The count is part of what fixes the results: torch's CPU kernels split their
reductions (the matrix products of training, the loss) between threads, so
the same fit with 1 and with 2 threads rounds differently in the last bits.
An int ``n_threads`` gives the same fit whatever the caller's setting;
``None`` follows the caller's (``torch.set_num_threads``, which
``threadpoolctl.threadpool_limits``, ``OMP_NUM_THREADS`` and joblib's
``inner_max_num_threads`` in its workers lower).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Integral
from typing import Any, TypeVar

import torch

Method = TypeVar("Method", bound=Callable[..., Any])


def check_n_threads(n_threads: Any) -> int | None:
    """``n_threads`` if it is a positive int or None; a ValueError otherwise.

    Examples
    --------
    >>> check_n_threads(2), check_n_threads(None)
    (2, None)
    >>> check_n_threads(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n_threads must be a positive int or None ...; got 0.
    """
    if n_threads is None:
        return None
    if isinstance(n_threads, Integral) and not isinstance(n_threads, bool):
        if int(n_threads) >= 1:
            return int(n_threads)
    raise ValueError(
        "n_threads must be a positive int or None (the caller's torch setting); "
        f"got {n_threads!r}."
    )


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[int]:
    """Run the body with ``n_threads`` torch threads; restore the caller's after.

    Parameters
    ----------
    n_threads : int or None
        Threads for torch's intra-op parallelism inside the body; None leaves
        the caller's setting.

    Yields
    ------
    int
        The number of threads in effect inside the body.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1) as inside:
    ...     inside == torch.get_num_threads() == 1
    True
    >>> torch.get_num_threads() == before
    True
    """
    callers = torch.get_num_threads()
    checked = check_n_threads(n_threads)
    wanted = callers if checked is None else checked
    if wanted == callers:  # nothing to change (and no thread pool to resize)
        yield callers
        return
    torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        torch.set_num_threads(callers)


def uses_torch_threads(method: Method) -> Method:
    """Decorate an estimator method to run under ``torch_threads(self.n_threads)``.

    Examples
    --------
    >>> import torch
    >>> class Model:
    ...     n_threads = 1
    ...     @uses_torch_threads
    ...     def threads(self):
    ...         return torch.get_num_threads()
    >>> Model().threads()
    1
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with torch_threads(getattr(self, "n_threads", None)):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
