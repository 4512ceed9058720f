"""Simulation throughput of every built-in simulator."""

from __future__ import annotations

from typing import Any

import numpy as np

from sgnn_sklearn import simulators
from sgnn_sklearn.simulators import simulate_chunked

from ._common import SEED, best_of


def _decay(params: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """A per-draw Python simulator, as a user without vectorised code writes."""
    t = np.arange(30)
    return np.exp(-params["rate"] * t) + 0.01 * rng.standard_normal(30)


def built_in_simulators() -> dict[str, Any]:
    """One instance of each built-in simulator (those this checkout has)."""
    found: dict[str, Any] = {"LinearGaussian": simulators.LinearGaussian()}
    for name in (
        "ExponentialGrowth",
        "LogisticGrowth",
        "GompertzGrowth",
        "SIR",
        "SEIR",
    ):
        if hasattr(simulators, name):
            found[name] = getattr(simulators, name)()
    growth = [
        (name.replace("Growth", "").lower(), found[name])
        for name in ("ExponentialGrowth", "LogisticGrowth", "GompertzGrowth")
        if name in found
    ]
    if len(growth) > 1:
        found["MixtureSimulator(growth)"] = simulators.MixtureSimulator(growth)
    found["FunctionSimulator(per draw)"] = simulators.FunctionSimulator(
        _decay, priors={"rate": (0.1, 1.0)}
    )
    return found


def run(quick: bool) -> dict[str, Any]:
    n = 10_000 if quick else 100_000
    rows = []
    for name, sim in built_in_simulators().items():
        per_draw = name.startswith("FunctionSimulator")
        n_here = min(n, 2_000 if quick else 20_000) if per_draw else n
        for n_jobs in (1, 2):
            t = best_of(
                lambda sim=sim, n_here=n_here, n_jobs=n_jobs: simulate_chunked(
                    sim, n_here, random_state=SEED, n_jobs=n_jobs
                ),
                repeat=1 if per_draw else 3,
            )
            n_features = sim.simulate(2, random_state=SEED).X.shape[1]
            rows.append(
                {
                    "simulator": name,
                    "n_features": n_features,
                    "n_samples": n_here,
                    "n_jobs": n_jobs,
                    "wall_s": t["wall_s"],
                    "cpu_s (this process)": t["cpu_s"],
                    "samples_per_s": n_here / t["wall_s"],
                }
            )
    return {
        "rows": rows,
        "notes": [
            "simulate_chunked in chunks of 8192 with per-chunk seeds; best of 3 "
            "(1 for the per-draw FunctionSimulator). n_jobs=2 uses joblib's "
            "default (loky) processes, whose CPU time is not in this process's.",
        ],
    }
