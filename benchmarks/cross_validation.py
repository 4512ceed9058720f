"""Five-fold cross-validation of a zero-shot model against one fit, with ``memory``.

``python -m benchmarks.cross_validation [--n-simulations N] [--threads N]``

A zero-shot model (``real_data="ignore"``) with an integer ``random_state``
trains the same network in every fold; with ``memory`` it trains once and
the other folds load it. Prints one fit's time, ``cross_val_score``'s time
with and without ``memory``, their ratios (target: at most 1.5x one fit
with ``memory``), and whether the scores are identical.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import cross_val_score

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian

from ._common import SEED, machine, timed
from .training import warm_up


def run(n_simulations: int = 10_000, n_folds: int = 5) -> dict[str, Any]:
    warm_up()
    simulator = LinearGaussian()
    real = simulator.simulate(500, random_state=SEED + 1)
    est = SimulationGroundedRegressor(
        simulator, n_simulations, real_data="ignore", random_state=SEED
    )
    with timed() as one_fit:
        est.fit(real.X, real.y)
    with timed() as plain:
        plain_scores = cross_val_score(est, real.X, real.y, cv=n_folds)
    with tempfile.TemporaryDirectory() as cache:
        with timed() as cached:
            cached_scores = cross_val_score(
                est.set_params(memory=cache), real.X, real.y, cv=n_folds
            )
    return {
        "n_simulations": n_simulations,
        "n_folds": n_folds,
        "epochs": est.n_epochs_,
        "one_fit_wall_s": one_fit["wall_s"],
        "cv_without_memory_wall_s": plain["wall_s"],
        "cv_with_memory_wall_s": cached["wall_s"],
        "one_fit_cpu_s": one_fit["cpu_s"],
        "cv_without_memory_cpu_s": plain["cpu_s"],
        "cv_with_memory_cpu_s": cached["cpu_s"],
        "cv_with_memory / one fit": cached["wall_s"] / one_fit["wall_s"],
        "cv_with_memory / one fit (CPU)": cached["cpu_s"] / one_fit["cpu_s"],
        "cv_without_memory / one fit": plain["wall_s"] / one_fit["wall_s"],
        "target (<= 1.5x) met": cached["wall_s"] <= 1.5 * one_fit["wall_s"],
        "scores identical": bool(np.array_equal(plain_scores, cached_scores)),
        "scores": cached_scores.tolist(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-simulations", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = run(args.n_simulations)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
