"""Score the regressor's interval methods against the reference posterior (issue 12).

Run from the project root::

    python -m benchmarks.interval_methods                  # seeds 0-2, 6 problems
    python -m benchmarks.interval_methods --problems Quadratic --seeds 0
    python -m benchmarks.interval_methods --methods auto

On each problem of ``python -m benchmarks --only comparison`` (10,000
simulations, the same 200 test observations and reference posteriors), the
default regressor is fitted once per ``interval_method`` ("gaussian",
"pinball", "mixture", "auto"; the mean network is the same for all). With
"auto" the method the fit kept is printed too. Printed per problem, seed
and method: the reference posterior mass inside the 90% intervals (the mean
over the observations, and over the tenth with the least), and the fit's
CPU seconds. Then per problem the means over seeds,
with the target of issue 12: the mean mass 88-92%, the worst decile at
least 80%.
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np

from benchmarks._common import timed
from benchmarks.comparison import COVERAGE, FULL, SEED, problems, score
from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import reference_posterior

METHODS = ("gaussian", "pinball", "mixture", "auto")
TARGET_MEAN = (0.88, 0.92)
TARGET_WORST = 0.80


def meets(mean: float, worst: float) -> bool:
    """Whether a mean mass and a worst-decile mass meet issue 12's interval target.

    Examples
    --------
    >>> meets(0.9, 0.81), meets(0.93, 0.85), meets(0.9, 0.79)
    (True, False, False)
    """
    return TARGET_MEAN[0] <= mean <= TARGET_MEAN[1] and worst >= TARGET_WORST


def run_problem(
    name: str, sim, seeds, n_simulations: int, n_test: int, methods=METHODS
) -> dict:
    """Masses and CPU of each of ``methods`` and seed on one problem."""
    test = sim.simulate(n_test, random_state=SEED + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = reference_posterior(sim, test.X, random_state=SEED)
    rows: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
    for seed in seeds:
        for method in methods:
            est = SimulationGroundedRegressor(
                sim, n_simulations, random_state=seed, interval_method=method
            )
            with timed() as t, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit()
            lower, upper = est.predict_interval(test.X, COVERAGE)
            scored = score(reference, est.predict(test.X), lower, upper)
            mass = scored["mass in 90%"]
            worst = scored["mass in 90%, worst decile"]
            rows[method].append((mass, worst, t["cpu_s"]))
            if method == "auto":
                method_kept = f"auto ({est.interval_method_} kept)"
                print(f"{name:32s} seed {seed} {method_kept}", flush=True)
            print(
                f"{name:32s} seed {seed} {method:9s} mass {mass:.3f} "
                f"worst decile {worst:.3f}  fit {t['cpu_s']:5.1f} s CPU",
                flush=True,
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(FULL["seeds"]))
    parser.add_argument(
        "--problems", nargs="+", default=None, help="name prefixes to keep"
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    args = parser.parse_args()
    chosen = {
        name: sim
        for name, sim in problems().items()
        if args.problems is None or any(name.startswith(p) for p in args.problems)
    }
    summary = {}
    for name, sim in chosen.items():
        summary[name] = run_problem(
            name, sim, args.seeds, FULL["n_simulations"], FULL["n_test"], args.methods
        )
    print(f"\nmeans over seeds {args.seeds}: mass in 90% (worst decile), CPU s")
    for name, rows in summary.items():
        cells = []
        for method, values in rows.items():
            mass, worst, cpu = np.mean(values, axis=0)
            verdict = "yes" if meets(mass, worst) else "no"
            share = f"{100 * mass:.1f}% ({100 * worst:.1f}%)"
            cells.append(f"{method} {share} {verdict}, {cpu:.1f} s")
        print(f"{name:32s} " + " | ".join(cells))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
