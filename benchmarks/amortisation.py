"""Amortisation: per-series likelihood fits against one forward pass of the network.

The classical baselines of ``sgnn_sklearn.baselines`` answer each new series
with its own optimisation: ``AICModelSelector`` fits every candidate growth
model by maximum likelihood and keeps the lowest AIC, and
``MaximumLikelihoodRegressor`` fits one model's parameters. The SGNN answers
with one forward pass, trained once on simulations. Both baselines run with
``n_jobs=1`` and their default restarts, as the SGNN's predict runs on one
thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.baselines import AICModelSelector, MaximumLikelihoodRegressor
from sgnn_sklearn.simulators import (
    ExponentialGrowth,
    GompertzGrowth,
    LogisticGrowth,
    MixtureSimulator,
)

from ._common import SEED, best_of, timed


def _candidates() -> list[tuple[str, Any]]:
    return [
        ("exponential", ExponentialGrowth()),
        ("logistic", LogisticGrowth()),
        ("gompertz", GompertzGrowth()),
    ]


def _per_series(estimator: Any, X: np.ndarray) -> tuple[float, Any]:
    """Wall seconds per series of ``estimator.predict(X)``, and the predictions."""
    with timed() as t:
        predictions = estimator.predict(X)
    return t["wall_s"] / len(X), predictions


def _sgnn_per_series(estimator: Any, X_many: np.ndarray) -> float:
    return best_of(lambda: estimator.predict(X_many), repeat=5)["wall_s"] / len(X_many)


def run(quick: bool) -> dict[str, Any]:
    candidates = _candidates()
    mixture = MixtureSimulator(candidates)
    n_train = 10_000 if quick else 100_000
    n_test = 30 if quick else 200
    test = mixture.simulate(n_test, random_state=SEED + 1)
    X_many = mixture.simulate(10_000, random_state=SEED + 2).X

    clf = SimulationGroundedClassifier(mixture, n_train, random_state=SEED)
    with timed() as t_clf:
        clf.fit()
    aic = AICModelSelector(candidates, n_jobs=1, random_state=SEED).fit(test.X)
    aic_s, chosen = _per_series(aic, test.X)
    clf_s = _sgnn_per_series(clf, X_many)

    logistic = LogisticGrowth(targets=("r", "K"))
    logistic_test = logistic.simulate(n_test, random_state=SEED + 3)
    reg = SimulationGroundedRegressor(logistic, n_train, random_state=SEED)
    with timed() as t_reg:
        reg.fit()
    mle = MaximumLikelihoodRegressor(logistic, n_jobs=1, random_state=SEED)
    mle_s, _ = _per_series(mle.fit(logistic_test.X), logistic_test.X)
    reg_s = _sgnn_per_series(reg, logistic.simulate(10_000, random_state=SEED + 4).X)

    rows = [
        {
            "method": "AICModelSelector, 3 growth models",
            "series": n_test,
            "s_per_series": aic_s,
            "accuracy": float(np.mean(np.asarray(chosen) == test.mechanism)),
        },
        {
            "method": f"SimulationGroundedClassifier predict (trained on {n_train})",
            "series": len(X_many),
            "s_per_series": clf_s,
            "accuracy": float(clf.score(test.X, test.mechanism)),
        },
        {
            "method": "MaximumLikelihoodRegressor, logistic (r, K)",
            "series": n_test,
            "s_per_series": mle_s,
            "accuracy": float("nan"),
        },
        {
            "method": f"SimulationGroundedRegressor predict (trained on {n_train})",
            "series": 10_000,
            "s_per_series": reg_s,
            "accuracy": float("nan"),
        },
    ]
    ratio = aic_s / clf_s
    mle_ratio = mle_s / reg_s
    return {
        "rows": rows,
        "ratio": ratio,
        "mle_ratio": mle_ratio,
        "notes": [
            f"Amortisation ratio over AIC (AIC time per series / SGNN classifier "
            f"predict time per series): {ratio:.0f}x; over maximum likelihood "
            f"(logistic r and K): {mle_ratio:.0f}x.",
            f"The one-off training took {t_clf['wall_s']:.1f} s (classifier) and "
            f"{t_reg['wall_s']:.1f} s (regressor) wall: the classifier pays for "
            f"itself after {t_clf['wall_s'] / aic_s:.0f} series.",
        ],
    }
