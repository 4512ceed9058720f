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
them, ``--budgets 1000`` for one budget.
"""

from __future__ import annotations

import argparse

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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="*", default=None)
    parser.add_argument(
        "--budgets", nargs="*", type=int, default=list(SHARES), choices=list(SHARES)
    )
    args = parser.parse_args()
    summarise(sweep(args.problems, args.budgets))
