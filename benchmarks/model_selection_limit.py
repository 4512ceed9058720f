"""How near the Bayes classifier the model-selection SGNN gets, and what it takes.

The model-selection experiment's growth-law settings (exponential, logistic
or Gompertz growth; Poisson or negative-binomial counts; 15 or 30 points),
whose Bayes integral has converged (the lattice quadrature: no decision
changes between its two resolutions), with the experiment's test series and
seeds; with ``--task epidemic`` its SIR-against-SEIR settings (30 or 60
days; ``--lengths`` picks some), integrated by importance sampling on the
growth-rate chart (0.2-1.0% of decisions change between 32,000 and 8,000
draws; about 8 minutes of CPU per setting). Each classifier is scored
against the Bayes posterior itself: its expected error is the mean over the
400 test series of the posterior probability that its decision is wrong,
``1 - p(decision | x)``, and the Bayes classifier's is ``1 - max p(k | x)``
(issue 12's target: at most 1.05 times). Counting mistakes against the
mechanisms that drew the series estimates the same error rates with the
label noise added (6 against 10 mistakes in 400 read as 1.67x).

Classifiers: the experiment's SGNN (20,000 simulated trajectories with
fresh observation noise drawn around them every epoch, at most 30 epochs),
alone, with ``n_estimators=5``, with five times the simulations, on
raw or square-root counts instead of ``log(1 + count)``, and trained longer
(``benchmarks.training.LONGER``); the same trained
on its simulations as drawn (``observation_noise="fixed"``, the
experiment's SGNN before), alone, with five members, with five times the
simulations, and with both.

``python -m benchmarks.model_selection_limit`` (about 10 minutes of CPU).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import FunctionTransformer

from sgnn_sklearn.experiments import _model_selection as ms
from sgnn_sklearn.experiments._bayes_selection import bayes_errors, posterior_risk
from sgnn_sklearn.simulators import MixtureSimulator

from ._common import RESULTS, SEED, report, timed
from .training import LONGER

# Relative to the experiment's SGNN (fresh observation noise every epoch
# since 2 December 2026, 17:30 UTC); "as drawn" is the one before it.
AS_DRAWN = {"observation_noise": "fixed"}
MORE = {"n_simulations": 5 * ms.FULL["n_simulations"]}
UNITS = {"growth": "points", "epidemic": "days"}
VARIANTS: dict[str, dict[str, Any]] = {
    "as drawn": AS_DRAWN,
    "as drawn, 5 members": {**AS_DRAWN, "n_estimators": 5},
    "as drawn, 5x simulations": {**AS_DRAWN, **MORE},
    "as drawn, both": {**AS_DRAWN, **MORE, "n_estimators": 5},
    "fresh noise (the experiment's)": {},
    "fresh noise, 5 members": {"n_estimators": 5},
    "fresh noise, 5x simulations": MORE,
    # Inputs other than the experiment's log(1 + count), both standardised
    # by the estimator: raw counts, and their square root (which makes
    # Poisson noise of about constant variance).
    "fresh noise, raw counts": {"preprocessor": None},
    "fresh noise, root counts": {
        "preprocessor": FunctionTransformer(np.sqrt, feature_names_out="one-to-one")
    },
    # Longer training (benchmarks.training.LONGER; the experiment's SGNN
    # trains at most 30 epochs, with the default plateau schedule).
    "fresh noise, longer training": LONGER,
}


def setting_rows(
    k: int,
    task: str,
    noise: str,
    length: int,
    candidates: list,
    seed: int,
    variants: list[str],
) -> list[dict[str, Any]]:
    """Every classifier on setting ``k`` of ``task``, against its Bayes posterior."""
    budget = ms.FULL
    seeds = ms.setting_seeds(seed * 1000 + k)
    mixture = MixtureSimulator(candidates)
    test = mixture.simulate(budget["n_test"], random_state=int(seeds[0]))
    truth = np.asarray(test.mechanism)
    bayes = bayes_errors(
        candidates,
        test.X,
        truth,
        budget["n_draws"],
        int(seeds[3]),
        method=ms.INTEGRAL[task],
    )
    posterior = bayes["full"]["posterior"]
    bayes_risk = 1.0 - posterior.max(axis=1)
    names = [name for name, _ in candidates]
    rows = []
    for variant in variants:
        with timed() as t:
            sgnn = ms.sgnn_classifier(
                mixture, budget, int(seeds[1]), **VARIANTS[variant]
            ).fit()
        predicted = sgnn.predict(test.X)
        excess = posterior_risk(posterior, names, predicted) - bayes_risk
        rows.append(
            {
                "setting": f"{noise}, {length} {UNITS[task]}",
                "classifier": variant,
                "mistakes": int(np.sum(predicted != truth)),
                "Bayes mistakes": int(np.sum(bayes["full"]["predicted"] != truth)),
                "expected error": float(bayes_risk.mean() + excess.mean()),
                "Bayes expected error": float(bayes_risk.mean()),
                "ratio": float(1.0 + excess.mean() / bayes_risk.mean()),
                "excess s.e.": float(excess.std(ddof=1) / np.sqrt(len(excess))),
                "fit cpu_s": t["cpu_s"],
                "decisions changing (integral)": bayes["flips"],
            }
        )
    return rows


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 12's target (within 1.05x the Bayes error) per classifier."""
    out = []
    for variant in dict.fromkeys(row["classifier"] for row in rows):
        ratios = [row["ratio"] for row in rows if row["classifier"] == variant]
        out.append(
            {
                "target": f"model selection within 1.05x Bayes ({variant})",
                "measured": ", ".join(f"{r:.3f}" for r in ratios),
                "met": all(r <= 1.05 for r in ratios),
            }
        )
    return out


def run(
    seed: int, variants: list[str], task: str = "growth", lengths: Any = None
) -> dict[str, Any]:
    rows = []
    for k, (kind, noise, length, candidates) in enumerate(ms.settings(ms.FULL)):
        if kind == task and (lengths is None or length in lengths):
            rows += setting_rows(k, kind, noise, length, candidates, seed, variants)
    title = "growth laws" if task == "growth" else "epidemics"
    return {title: {"rows": rows, "targets": targets(rows)}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.model_selection_limit",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS))
    parser.add_argument("--task", choices=["growth", "epidemic"], default="growth")
    parser.add_argument("--lengths", nargs="+", type=int)
    parser.add_argument("--out", type=Path, default=RESULTS / "model_selection_limit")
    args = parser.parse_args(argv)
    variants = args.variants or list(VARIANTS)
    return report(lambda: run(args.seed, variants, args.task, args.lengths), args.out)


if __name__ == "__main__":
    main()
