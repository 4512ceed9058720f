"""Averaging the weights: ``average_weights=True`` against the default.

The default regressor and the same with ``average_weights=True`` on the
comparison's six problems, at 1,000 simulations (seeds 0-4) and 10,000
(seeds 0-2), scored against each test observation's reference posterior as
in ``benchmarks.defaults_sweep`` (the same 200 test observations as the
comparison); the default's rows reproduce those of
``benchmarks.validation_share`` that ``validation_fraction="auto"`` equals
(a fifth held out at 1,000, a tenth at 10,000) bit for bit.
``--classifier`` fits the default classifier and the averaged one on the
three growth laws of the model-selection experiment (30 points, Poisson
counts) at 1,000, 3,000 (seeds 0-4) and 10,000 simulations (seeds 0-2),
and prints the error and log-loss on 4,000 test series. ``--with-auto``
adds ``average_weights=True, interval_method="auto"`` to the regressor's
settings.

``python -m benchmarks.weight_averaging`` (about 40 minutes of CPU, one JSON
line per fit, then the means); ``--problems LinearGaussian SIR`` for some of
them, ``--budgets 1000`` for one budget.
"""

from __future__ import annotations

import argparse

from .defaults_sweep import run, summarise
from .validation_share import SEEDS, classifier_rows

SETTINGS = {"default": {}, "average_weights=True": {"average_weights": True}}
WITH_AUTO = {
    'average_weights=True, interval_method="auto"': {
        "average_weights": True,
        "interval_method": "auto",
    }
}
BUDGETS = (1_000, 10_000)


def sweep(names: list[str] | None, budgets: list[int], with_auto: bool) -> list:
    """One row per problem, budget, seed and setting."""
    settings = {**SETTINGS, **(WITH_AUTO if with_auto else {})}
    rows = []
    for n in budgets:
        rows += run(names, SEEDS[n], settings, n_simulations=n, base={})
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="*", default=None)
    parser.add_argument(
        "--budgets", nargs="*", type=int, default=list(BUDGETS), choices=list(SEEDS)
    )
    parser.add_argument("--classifier", action="store_true")
    parser.add_argument("--with-auto", action="store_true")
    args = parser.parse_args()
    if args.classifier:
        classifier_rows(SETTINGS, (1_000, 3_000, 10_000))
    else:
        summarise(sweep(args.problems, args.budgets, args.with_auto))
