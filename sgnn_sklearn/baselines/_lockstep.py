"""Run many independent optimisers in lockstep, answering their requests together.

The simulators' likelihoods are vectorised over rows: an ODE integrated for
one parameter vector costs about as much as for a thousand, because the time
goes into Python's per-call overhead. One scipy optimiser per series, run one
after the other, would pay that overhead on every evaluation of every series.
Here each optimiser runs in its own thread; whenever every live thread is
waiting for function values, their points are evaluated in one vectorised
call. Each optimiser still sees exactly the values of its own objective, so
its path does not depend on which others share a batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# A task runs one optimisation; it calls ``request(points)`` for values.
Task = Callable[[Callable[[np.ndarray], np.ndarray]], Any]
# Evaluates a batch: ``[(task_index, points), ...] -> [values or exception]``.
BatchEvaluator = Callable[[list[tuple[int, np.ndarray]]], list[Any]]


def run_in_lockstep(tasks: Sequence[Task], evaluate: BatchEvaluator) -> list[Any]:
    """Run ``tasks`` concurrently and evaluate their requests in batches.

    Parameters
    ----------
    tasks : sequence of callables
        ``task(request)`` runs to completion and returns its result; inside,
        ``request(points)`` blocks until ``evaluate`` has computed the values
        of ``points`` (an exception from ``evaluate`` is raised there).
    evaluate : callable
        ``evaluate([(task_index, points), ...])`` returns one entry per
        request, in order: the values, or an exception for that task. The
        requests of a round are sorted by task index, so batches do not
        depend on thread scheduling.

    Returns
    -------
    list
        Each task's return value, or the exception it raised.

    Examples
    --------
    >>> import numpy as np
    >>> def task(request):
    ...     return float(request(np.array([1.0, 2.0])).sum())
    >>> calls = []
    >>> def evaluate(batch):
    ...     calls.append(len(batch))
    ...     return [points**2 for _, points in batch]
    >>> run_in_lockstep([task, task, task], evaluate), calls
    ([5.0, 5.0, 5.0], [3])
    """
    lock = threading.Lock()
    ready = threading.Event()  # set when every live task waits for values
    answered = [threading.Event() for _ in tasks]
    pending: dict[int, np.ndarray] = {}
    answers: dict[int, Any] = {}
    outcomes: list[Any] = [None] * len(tasks)
    alive = len(tasks)

    def request(index: int, points: np.ndarray) -> np.ndarray:
        with lock:
            pending[index] = points
            if len(pending) == alive:
                ready.set()
        answered[index].wait()
        answered[index].clear()
        answer = answers.pop(index)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def run(index: int) -> None:
        nonlocal alive
        try:
            outcomes[index] = tasks[index](lambda points: request(index, points))
        except Exception as exc:
            outcomes[index] = exc
        finally:
            with lock:
                alive -= 1
                if len(pending) == alive:
                    ready.set()

    threads = [
        threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(tasks))
    ]
    for thread in threads:
        thread.start()
    while threads:
        ready.wait()
        with lock:
            ready.clear()
            if alive == 0 and not pending:
                break
            if len(pending) < alive:
                continue
            batch = sorted(pending.items())
            pending.clear()
        try:
            results = evaluate(batch)
        except Exception as exc:
            results = [exc] * len(batch)
        for (index, _), result in zip(batch, results, strict=True):
            answers[index] = result
            answered[index].set()
    for thread in threads:
        thread.join()
    return outcomes
