"""How much to hold out for early stopping: ``validation_fraction`` by budget.

The default regressor with a tenth, a fifth and three tenths of the
simulations held out for early stopping, on the comparison's six problems,
at 1,000 and 3,000 simulations (seeds 0-4) and at 10,000 (a tenth and a
fifth, seeds 0-2), scored against each test observation's reference
posterior as in ``benchmarks.defaults_sweep`` (the same 200 test
observations as the comparison). ``validation_fraction="auto"`` (the
default) holds out a fifth up to 5,000 simulations and a tenth from 10,000:
its rows are those of 0.2 at 1,000 and 3,000 and of 0.1 at 10,000, bit for
bit.

``python -m benchmarks.validation_share`` (about 25 minutes of CPU, one JSON
line per fit, then the means); ``--problems LinearGaussian SIR`` for some of
them, ``--budgets 1000`` for one budget. ``--classifier`` instead fits the
default classifier on the three growth laws of the model-selection
experiment (30 points, Poisson counts) at 1,000 and 3,000 simulations,
seeds 0-4, with a tenth and with ``"auto"`` held out, and prints its error
and log-loss on 4,000 test series (about 2 minutes).
"""

from __future__ import annotations

import argparse
import json
import warnings
from typing import Any

import numpy as np
from sklearn.metrics import log_loss

from sgnn_sklearn import SimulationGroundedClassifier
from sgnn_sklearn.experiments._model_selection import growth_candidates
from sgnn_sklearn.simulators import MixtureSimulator

from .defaults_sweep import run, summarise

SHARES = {
    1_000: (0.1, 0.2, 0.3),
    3_000: (0.1, 0.2, 0.3),
    10_000: (0.1, 0.2),
}
SEEDS = {1_000: (0, 1, 2, 3, 4), 3_000: (0, 1, 2, 3, 4), 10_000: (0, 1, 2)}


def sweep(names: list[str] | None, budgets: list[int]) -> list:
    """One row per problem, budget, seed and share held out."""
    rows = []
    for n in budgets:
        settings = {
            f"validation_fraction={share}": {"validation_fraction": share}
            for share in SHARES[n]
        }
        rows += run(names, SEEDS[n], settings, n_simulations=n, base={})
    return rows


def classifier_rows(
    settings: dict[str, dict[str, Any]] | None = None,
    budgets: tuple[int, ...] = (1_000, 3_000),
) -> list[dict]:
    """The classifier's test error and log-loss by budget and setting.

    ``settings`` (by label, the classifier's parameters) default to a tenth
    and ``"auto"`` held out for early stopping.
    """
    if settings is None:
        settings = {share: {"validation_fraction": share} for share in (0.1, "auto")}
    sim = MixtureSimulator(growth_candidates(30, "poisson"))
    test = sim.simulate(4000, random_state=99)
    rows = []
    for n in budgets:
        for label, params in settings.items():
            errors, losses = [], []
            for seed in SEEDS[n]:
                clf = SimulationGroundedClassifier(sim, n, random_state=seed, **params)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit()
                proba = clf.predict_proba(test.X)
                predicted = clf.classes_[proba.argmax(axis=1)]
                errors.append(float(np.mean(predicted != test.mechanism)))
                losses.append(log_loss(test.mechanism, proba, labels=clf.classes_))
            row = {
                "n_simulations": n,
                "setting": label,
                "error": float(np.mean(errors)),
                "log_loss": float(np.mean(losses)),
                "error per seed": errors,
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="*", default=None)
    parser.add_argument(
        "--budgets", nargs="*", type=int, default=list(SHARES), choices=list(SHARES)
    )
    parser.add_argument("--classifier", action="store_true")
    args = parser.parse_args()
    if args.classifier:
        classifier_rows()
    else:
        summarise(sweep(args.problems, args.budgets))
