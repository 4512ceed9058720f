"""How the defaults of issue 12 were chosen: four settings on the comparison's problems.

Every setting learns from the same 10^4 simulations per seed (0, 1, 2) and is
scored on the same 200 test observations against each one's reference
posterior (``benchmarks.comparison.score``). The settings:

- ``old``: the defaults before the change (two layers of 128, the
  simulations as drawn, raw inputs);
- ``L``: ``old`` with ``preprocessor="auto"`` (counts seen as ``log(1 + x)``);
- ``FL``: ``L`` with ``observation_noise="auto"`` (fresh noise every epoch
  where the simulator draws it apart): the new defaults;
- ``AFL``: ``FL`` with one hidden layer whose width follows the budget.

Every setting trains as the defaults did on the day of the sweep
(``benchmarks.training.PREVIOUS_DEFAULTS``: a constant learning rate,
patience 10, at most 100 epochs), so that its figures reproduce.

``python -m benchmarks.defaults_sweep`` (about 10 minutes of CPU, one JSON
line per fit, then the means); ``--problems SIR SEIR`` for some of them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import warnings
from collections import defaultdict
from typing import Any

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import reference_posterior

from ._common import SEED, timed
from .comparison import problems, score
from .training import PREVIOUS_DEFAULTS

SETTINGS: dict[str, dict[str, Any]] = {
    "old": {
        "hidden_layer_sizes": (128, 128),
        "observation_noise": "fixed",
        "preprocessor": None,
    },
    "L": {
        "hidden_layer_sizes": (128, 128),
        "observation_noise": "fixed",
        "preprocessor": "auto",
    },
    "FL": {
        "hidden_layer_sizes": (128, 128),
        "observation_noise": "auto",
        "preprocessor": "auto",
    },
    "AFL": {
        "hidden_layer_sizes": "auto",
        "observation_noise": "auto",
        "preprocessor": "auto",
    },
}


def run(
    names: list[str] | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    settings: dict[str, dict[str, Any]] | None = None,
    n_simulations: int = 10_000,
    base: dict[str, Any] | None = None,
) -> list:
    """One row per problem, seed and setting.

    ``settings`` (default ``SETTINGS``) are each fitted with ``base``
    (default ``PREVIOUS_DEFAULTS``) on ``n_simulations`` simulations.
    """
    settings = SETTINGS if settings is None else settings
    # The training of the sweep's day, so that its figures reproduce: the
    # defaults have trained longer since.
    base = PREVIOUS_DEFAULTS if base is None else base
    rows = []
    for name, sim in problems().items():
        if names and not any(name.startswith(n) for n in names):
            continue
        X = sim.simulate(200, random_state=SEED + 1).X
        reference = reference_posterior(sim, X, random_state=SEED)
        for seed in seeds:
            for label, params in settings.items():
                est = SimulationGroundedRegressor(
                    sim, n_simulations, random_state=seed, **base, **params
                )
                with timed() as t, warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit()
                lower, upper = est.predict_interval(X, 0.9)
                row = {
                    "problem": name,
                    "n_simulations": n_simulations,
                    "seed": seed,
                    "setting": label,
                    "cpu_s": t["cpu_s"],
                    "epochs": len(est.net_.history),
                    "interval_method": est.interval_method_,
                    **score(reference, est.predict(X), lower, upper),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> None:
    """Print the mean over seeds of each problem and setting."""
    groups = defaultdict(list)
    for row in rows:
        groups[row["problem"], row["n_simulations"], row["setting"]].append(row)
    keys = ("error / posterior var", "mass in 90%", "mass in 90%, worst decile")
    print("problem | simulations | setting | " + " | ".join(keys) + " | CPU s")
    for (problem, n, setting), group in groups.items():
        means = [statistics.mean(row[key] for row in group) for key in keys]
        cpu = statistics.mean(row["cpu_s"] for row in group)
        cells = " | ".join(f"{value:.4f}" for value in means)
        print(f"{problem} | {n} | {setting} | {cells} | {cpu:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="*", default=None)
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    summarise(run(args.problems, tuple(args.seeds)))
