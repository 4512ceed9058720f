"""Measure the gap test's false alarms and power (issue 11, item 3).

Run from the project root::

    python benchmarks/gap_test_power.py                 # seed 0, 50 repetitions
    python benchmarks/gap_test_power.py --repetitions 10 --n-real 50

One SGNN is trained once on the SIR simulator of the ``misspecification``
experiment (20,000 simulations, seed ``--seed``). Each repetition draws
``--n-real`` fresh "real" series from each of its five generators
(well-specified, overdispersed reports, reporting delay, intervention, all
three) and runs :func:`sgnn_sklearn.diagnostics.simulation_gap_test` on them
(999 permutations). Printed per generator: the share of repetitions in which
the test rejects at the 5% level (on well-specified data the false-alarm
rate, target at most 5%; otherwise the power, target at least 90%) with its
95% Clopper-Pearson interval, and the mean effect size (AUC) and p-value.
Repetitions redraw only the real series: the network, and with it the
held-out simulations, stay the same, as they do for a user.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy.stats import beta

from benchmarks._misspecified import generators, trained_network
from sgnn_sklearn.diagnostics import simulation_gap_test

ALPHA = 0.05


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial confidence interval for ``k`` successes in ``n``."""
    tail = (1 - level) / 2
    lower = beta.ppf(tail, k, n - k + 1) if k > 0 else 0.0
    upper = beta.ppf(1 - tail, k + 1, n - k) if k < n else 1.0
    return float(lower), float(upper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--n-real", type=int, default=100)
    parser.add_argument("--n-permutations", type=int, default=999)
    args = parser.parse_args()
    est = trained_network(
        args.seed,
        f"{args.repetitions} repetitions of {args.n_real} real series",
    )
    header = (
        f"{'real series':40s} {'rejected':>9s} {'95% interval':>14s} "
        f"{'mean AUC':>9s} {'mean p':>7s} {'seconds':>8s}"
    )
    print(header)
    for i, (name, reality) in enumerate(generators().items()):
        start = time.perf_counter()
        results = [
            simulation_gap_test(
                est,
                reality.simulate(
                    args.n_real,
                    random_state=np.random.default_rng([args.seed, i, repetition]),
                ).X,
                n_permutations=args.n_permutations,
                alpha=ALPHA,
                random_state=repetition,
            )
            for repetition in range(args.repetitions)
        ]
        k = sum(result.rejected for result in results)
        lower, upper = clopper_pearson(k, args.repetitions)
        print(
            f"{name:40s} {k / args.repetitions:9.2f} "
            f"{f'{lower:.2f}-{upper:.2f}':>14s} "
            f"{np.mean([r.effect_size for r in results]):9.3f} "
            f"{np.mean([r.pvalue for r in results]):7.3f} "
            f"{time.perf_counter() - start:8.0f}",
            flush=True,
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
