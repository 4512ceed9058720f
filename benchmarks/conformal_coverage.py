"""Measure how often conformally calibrated intervals hold (issue 11, item 4).

Run from the project root::

    python benchmarks/conformal_coverage.py            # seed 0, 100 repetitions
    python benchmarks/conformal_coverage.py --repetitions 20
    python benchmarks/conformal_coverage.py --interval-method mixture

One SGNN is trained once on the SIR simulator of the ``misspecification``
experiment (20,000 simulations, seed ``--seed``; with ``--interval-method
mixture`` refitted with ``interval_method="mixture"``, the same mean
network with its intervals from a learnt mixture). For each of its five
generators of "real" series (well-specified, overdispersed reports, reporting
delay, intervention, all three), 2,000 held-out series test the intervals.
Printed per generator:

- the coverage of the network's own 90% intervals (uncalibrated);
- the coverage after :class:`sgnn_sklearn.calibration.SplitConformalRegressor`
  (its default, the interval score: the network's own interval moved out
  by a margin) calibrates them on ``n`` = 20, 50 and 200 labelled
  series of that generator: the mean over ``--repetitions`` fresh draws of
  the labelled series (the guarantee is for this mean: at least 0.90, at
  most 0.90 + 1/(n + 1)), and at n = 200 the 5th-95th percentiles over the
  draws (one user's calibration set falls somewhere in that range);
- the mean interval width before and after (n = 200), and with the
  normalised and the absolute score at n = 200 for comparison (their
  coverage and width; the normalised score was the default before 3
  December 2026).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.base import clone

from benchmarks._misspecified import generators, trained_network
from sgnn_sklearn.calibration import SplitConformalRegressor
from sgnn_sklearn.diagnostics import interval_coverage

LEVEL = 0.9
N_LABELLED = (20, 50, 200)
N_TEST = 2000


def calibrated(est, score, labelled, n, test):
    """Coverage and mean width on ``test`` after calibrating on ``n`` labels."""
    conformal = SplitConformalRegressor(est, LEVEL, conformity_score=score)
    conformal.conformalize(labelled.X[:n], labelled.y[:n])
    _, intervals = conformal.predict_interval(test.X)
    lower, upper = intervals[:, 0, 0], intervals[:, 1, 0]
    return interval_coverage(test.y, lower, upper), float(np.mean(upper - lower))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument(
        "--interval-method", choices=("gaussian", "mixture"), default="gaussian"
    )
    args = parser.parse_args()
    est = trained_network(
        args.seed,
        f"{args.repetitions} draws of the labelled series, {N_TEST} test "
        f"series per generator; 90% intervals ({args.interval_method})",
    )
    if args.interval_method != est.interval_method:
        est = clone(est).set_params(interval_method=args.interval_method).fit()
    print(
        f"{'real series':40s} {'uncal.':>6s} {'n=20':>6s} {'n=50':>6s} "
        f"{'n=200':>6s} {'5-95% (200)':>12s} {'width':>6s} {'w(200)':>6s} "
        f"{'norm cov':>8s} {'norm w':>6s} {'abs cov':>7s} {'abs w':>6s}"
    )
    for i, (name, reality) in enumerate(generators().items()):
        start = time.perf_counter()
        test = reality.simulate(
            N_TEST, random_state=np.random.default_rng([args.seed, i, 10**6])
        )
        lower, upper = est.predict_interval(test.X, coverage=LEVEL)
        uncalibrated = interval_coverage(test.y, lower, upper)
        width = float(np.mean(upper - lower))
        coverage = {n: [] for n in N_LABELLED}
        widths, normalised, absolute = [], [], []
        for repetition in range(args.repetitions):
            labelled = reality.simulate(
                max(N_LABELLED),
                random_state=np.random.default_rng([args.seed, i, repetition]),
            )
            for n in N_LABELLED:
                covered, mean_width = calibrated(est, "interval", labelled, n, test)
                coverage[n].append(covered)
                if n == max(N_LABELLED):
                    widths.append(mean_width)
                    normalised.append(calibrated(est, "normalized", labelled, n, test))
                    absolute.append(calibrated(est, "absolute", labelled, n, test))
        low, high = np.percentile(coverage[max(N_LABELLED)], [5, 95])
        print(
            f"{name:40s} {uncalibrated:6.3f} "
            + " ".join(f"{np.mean(coverage[n]):6.3f}" for n in N_LABELLED)
            + f" {f'{low:.3f}-{high:.3f}':>12s} {width:6.2f} {np.mean(widths):6.2f} "
            f"{np.mean([c for c, _ in normalised]):8.3f} "
            f"{np.mean([w for _, w in normalised]):6.2f} "
            f"{np.mean([c for c, _ in absolute]):7.3f} "
            f"{np.mean([w for _, w in absolute]):6.2f}"
            f"   ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
