"""Which experiments exist, and running one by name."""

from __future__ import annotations

import importlib

from ._result import ExperimentResult

# Command-line name -> module that defines ``run(*, quick, seed)``. Modules are
# imported on demand, so listing the experiments costs nothing.
EXPERIMENTS = {
    "model-selection": "sgnn_sklearn.experiments._model_selection",
    "parameter-recovery": "sgnn_sklearn.experiments._parameter_recovery",
    "misspecification": "sgnn_sklearn.experiments._misspecification",
    "unobservable": "sgnn_sklearn.experiments._unobservable",
    "few-labels": "sgnn_sklearn.experiments._few_labels",
}


def run_experiment(
    name: str, *, quick: bool = False, seed: int = 0
) -> ExperimentResult:
    """Run one experiment and return its result.

    Parameters
    ----------
    name : str
        One of ``"model-selection"``, ``"parameter-recovery"``,
        ``"misspecification"``, ``"unobservable"``, ``"few-labels"``.
    quick : bool, default=False
        Small budgets: under two minutes on 2 CPU cores. The full mode uses
        the budgets that the results in the documentation come from.
    seed : int, default=0
        Seeds every simulation, split and network in the run.

    Returns
    -------
    ExperimentResult
        The experiment's table, settings and notes.

    Raises
    ------
    ValueError
        If ``name`` is not an experiment.

    Examples
    --------
    >>> run_experiment("no-such-experiment")
    Traceback (most recent call last):
    ...
    ValueError: Unknown experiment 'no-such-experiment'; expected one of ...
    """
    if name not in EXPERIMENTS:
        raise ValueError(
            f"Unknown experiment {name!r}; expected one of {sorted(EXPERIMENTS)}."
        )
    module = importlib.import_module(EXPERIMENTS[name])
    result: ExperimentResult = module.run(quick=quick, seed=seed)
    return result
