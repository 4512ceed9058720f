"""Score the regressor's interval methods against the reference posterior (issue 12).

Run from the project root::

    python -m benchmarks.interval_methods                  # seeds 0-2, 6 problems
    python -m benchmarks.interval_methods --problems Quadratic --seeds 0
    python -m benchmarks.interval_methods --methods auto

On each problem of ``python -m benchmarks --only comparison`` (10,000
simulations, the same 200 test observations and reference posteriors), the
default regressor is fitted once per ``interval_method`` ("gaussian",
"pinball", "mixture", "auto"; the mean network is the same for all), by
``benchmarks.defaults_sweep.run``, which prints one JSON line per fit: the
reference posterior mass inside the 90% intervals (the mean over the
observations, and over the tenth with the least), the fit's CPU seconds and
the method the fit used (with "auto", the one it kept). Then per problem
the means over seeds, with the target of issue 12: the mean mass 88-92%, the
worst decile at least 80%.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from benchmarks.comparison import FULL
from benchmarks.defaults_sweep import run

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(FULL["seeds"]))
    parser.add_argument(
        "--problems", nargs="+", default=None, help="name prefixes to keep"
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    args = parser.parse_args()
    settings = {method: {"interval_method": method} for method in args.methods}
    rows = run(
        args.problems,
        tuple(args.seeds),
        settings,
        n_simulations=FULL["n_simulations"],
        base={},
    )
    print(f"\nmeans over seeds {args.seeds}: mass in 90% (worst decile), CPU s")
    for name in dict.fromkeys(row["problem"] for row in rows):
        cells = []
        for method in args.methods:
            group = [r for r in rows if r["problem"] == name and r["setting"] == method]
            mass, worst, cpu = (
                np.mean([r[key] for r in group])
                for key in ("mass in 90%", "mass in 90%, worst decile", "cpu_s")
            )
            verdict = "yes" if meets(mass, worst) else "no"
            share = f"{100 * mass:.1f}% ({100 * worst:.1f}%)"
            kept = "/".join(r["interval_method"] for r in group)
            cells.append(f"{method} [{kept}] {share} {verdict}, {cpu:.1f} s")
        print(f"{name:32s} " + " | ".join(cells))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
