"""Fit time against the budget, the excess risk over the Bayes risk, predict speed."""

from __future__ import annotations

from typing import Any

import numpy as np

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian

from ._common import SEED, best_of, timed


def warm_up() -> dict[str, float]:
    """A tiny first fit: torch imports its compiler stack at the first optimiser."""
    with timed() as t:
        SimulationGroundedRegressor(LinearGaussian(), 200, max_epochs=1).fit()
    return t


def excess_risk(est: Any, sim: LinearGaussian, X: np.ndarray) -> float:
    """Mean squared distance to the exact posterior mean: the risk above Bayes."""
    return float(np.mean((est.predict(X) - sim.posterior_mean(X)) ** 2))


def fit_row(sim: Any, n: int, label: str, test: Any, **params: Any) -> dict[str, Any]:
    est = SimulationGroundedRegressor(sim, n, random_state=SEED, **params)
    with timed() as t:
        est.fit()
    row: dict[str, Any] = {
        "simulator": label,
        "n_simulations": n,
        **{k: v for k, v in params.items()},
        "fit_wall_s": t["wall_s"],
        "fit_cpu_s": t["cpu_s"],
        "epochs": est.n_epochs_,
        "wall_s_per_epoch": t["wall_s"] / est.n_epochs_,
    }
    if isinstance(sim, LinearGaussian):
        excess = excess_risk(est, sim, test.X)
        row["excess_risk"] = excess
        row["excess / Bayes risk"] = excess / sim.bayes_risk()
    else:
        row["test_mse"] = float(np.mean((est.predict(test.X) - test.y) ** 2))
    row["_estimator"] = est
    return row


def run(quick: bool, max_budget: int) -> dict[str, Any]:
    warm = warm_up()
    budgets = [b for b in (1_000, 10_000, 100_000, 1_000_000) if b <= max_budget]
    if quick:
        budgets = [b for b in budgets if b <= 10_000]
    lg = LinearGaussian()
    lg_test = lg.simulate(20_000, random_state=SEED + 1)
    rows = [fit_row(lg, n, "LinearGaussian", lg_test) for n in budgets]
    from sgnn_sklearn import simulators

    predict_rows = []
    fitted = {"LinearGaussian": rows[-1]["_estimator"]}
    if hasattr(simulators, "SIR"):
        sir = simulators.SIR()
        sir_test = sir.simulate(10_000, random_state=SEED + 1)
        n_sir = 10_000 if quick else 100_000
        rows.append(fit_row(sir, n_sir, "SIR", sir_test))
        fitted["SIR"] = rows[-1]["_estimator"]
        if not quick:  # a candidate default: 4x fewer optimiser steps per epoch
            rows.append(fit_row(sir, n_sir, "SIR", sir_test, batch_size=512, lr=2e-3))
    if not quick and 100_000 <= max_budget:
        rows.append(
            fit_row(lg, 100_000, "LinearGaussian", lg_test, batch_size=512, lr=2e-3)
        )
    for label, est in fitted.items():
        sim = est.simulator_
        X = sim.simulate(10_000, random_state=SEED + 2).X
        t = best_of(lambda est=est, X=X: est.predict(X), repeat=5)
        predict_rows.append(
            {
                "model": f"{label}, fitted on {est.n_simulations_}",
                "n_series": len(X),
                "predict_wall_s": t["wall_s"],
                "predict_cpu_s": t["cpu_s"],
                "series_per_s": len(X) / t["wall_s"],
            }
        )
    for row in rows:
        row.pop("_estimator")
    return {
        "fit": {
            "rows": rows,
            "notes": [
                "Default SimulationGroundedRegressor (offline, early stopping, "
                f"max_epochs=100), random_state={SEED}; excess risk on 20000 test "
                "draws against the exact posterior mean.",
                f"A first tiny fit took {warm['wall_s']:.1f} s wall "
                f"({warm['cpu_s']:.1f} s CPU): torch imports its compiler stack "
                "at the first optimiser; "
                "not counted in the rows.",
            ],
        },
        "predict": {
            "rows": predict_rows,
            "notes": ["Best of 5 calls of predict on 10000 new series."],
        },
    }
