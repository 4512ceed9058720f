"""Experiment ``parameter-recovery``: R0 from early incidence, and the Bayes risk.

Part one estimates the basic reproduction number R0 from the first days of
reported incidence of SIR and SEIR epidemics, with

- the simulation-grounded regressor (posterior mean, amortised);
- :class:`~sgnn_sklearn.baselines.MaximumLikelihoodRegressor`;
- :class:`~sgnn_sklearn.baselines.RejectionABCRegressor`;
- the classical growth-rate method (:func:`growth_rate_r0`);

once with the infectious and latent periods known (fixed in the simulator,
and given to the growth-rate method), once with them drawn from the default
priors (the growth-rate method then plugs in the prior means).

Part two checks the theory on ``LinearGaussian``, whose Bayes risk is known
exactly: the SGNN's mean squared error divided by it should tend to 1 as
``n_simulations`` grows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..baselines import MaximumLikelihoodRegressor, RejectionABCRegressor
from ..demo import log_counts
from ..estimators import SimulationGroundedRegressor
from ..simulators import SEIR, SIR, LinearGaussian
from ._result import ExperimentResult

# Budgets. Quick: known rates only and two small training sizes, 3 s on 2
# idle cores (20 s loaded). Full: 45 minutes at nice 15 under a load of 5 to
# 16 on 2 cores (far less idle; not measured).
QUICK: dict[str, Any] = {
    "rates": ("known",),
    "n_days": 30,
    "n_test": 60,
    "n_simulations": 2_000,
    "max_epochs": 15,
    "linear_sizes": (500, 2_000),
    "linear_epochs": 20,
    "linear_n_test": 5_000,
}
FULL: dict[str, Any] = {
    "rates": ("known", "prior"),
    "n_days": 30,
    "n_test": 300,
    "n_simulations": 20_000,
    "max_epochs": 30,
    "linear_sizes": (1_000, 10_000, 100_000),
    "linear_epochs": 30,
    "linear_n_test": 20_000,
}

# The recovery and latent rates per day when they are known: the midpoints of
# the default priors (mean periods of 6.2 and 3.1 days). With unknown rates
# the growth-rate method plugs in the same values.
GAMMA = (1 / 14 + 1 / 4) / 2
SIGMA = (1 / 7 + 1 / 2) / 2

COLUMNS = ["task", "method", "n_simulations", "RMSE", "MSE / Bayes risk", "seconds"]
NOT_AVAILABLE = "n/a"


def growth_rate_r0(
    X: Any,
    *,
    gamma: float,
    sigma: float | None = None,
    min_days: int = 5,
    max_days: int | None = None,
    smoothing: int = 5,
) -> np.ndarray:
    """R0 from the exponential growth rate of early incidence.

    The classical method: for each series, ``log(count + 0.5)`` is regressed
    on the day by least squares over the growth phase (from day 0 to the peak
    of the ``smoothing``-day moving average, at least ``min_days`` and at most
    ``max_days`` days), and the slope ``r`` is converted with the known rates:

    - SIR (``sigma=None``): ``R0 = 1 + r / gamma``;
    - SEIR: ``R0 = (1 + r / sigma) * (1 + r / gamma)``.

    Parameters
    ----------
    X : array-like of shape (n_series, n_days)
        Daily incidence counts.
    gamma : float
        Recovery rate per day (1 / mean infectious period).
    sigma : float, default=None
        Rate per day of leaving the latent stage (SEIR); None for SIR.
    min_days : int, default=5
        Fewest days in the fit.
    max_days : int, default=None
        Most days in the fit (None: up to the peak, however late), for an
        analyst who trusts only the first weeks.
    smoothing : int, default=5
        Window of the moving average that locates the peak.

    Returns
    -------
    ndarray of shape (n_series,)

    Examples
    --------
    Noise-free incidence growing at ``r = 0.2`` per day, infectious period
    5 days: ``R0 = 1 + 0.2 * 5 = 2``.

    >>> import numpy as np
    >>> X = np.round(10 * np.exp(0.2 * np.arange(20)))[None]
    >>> growth_rate_r0(X, gamma=0.2).round(2)
    array([2.])
    >>> growth_rate_r0(X, gamma=0.2, sigma=0.5).round(2)
    array([2.8])
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < min_days:
        raise ValueError(
            f"X must be 2-D (n_series, n_days) with at least {min_days} days; "
            f"got shape {X.shape}."
        )
    if not gamma > 0 or (sigma is not None and not sigma > 0):
        raise ValueError(f"gamma and sigma must be positive; got {gamma}, {sigma}.")
    kernel = np.ones(smoothing) / smoothing
    rates = np.empty(len(X))
    for i, counts in enumerate(X):
        smooth = np.convolve(counts, kernel, mode="same")
        end = max(int(np.argmax(smooth)) + 1, min_days)
        if max_days is not None:
            end = min(end, max_days)
        days = np.arange(end)
        rates[i] = np.polyfit(days, np.log(counts[:end] + 0.5), 1)[0]
    r0 = 1.0 + rates / gamma
    if sigma is not None:
        r0 *= 1.0 + rates / sigma
    return r0


def _epidemic(model: str, rates: str, n_days: int) -> Any:
    if model == "SIR":
        rates_kwargs: dict[str, Any] = {"gamma": GAMMA}
        simulator: Any = SIR
    else:
        rates_kwargs = {"gamma": GAMMA, "sigma": SIGMA}
        simulator = SEIR
    return simulator(n_days, **(rates_kwargs if rates == "known" else {}))


def rmse(pred: Any, truth: Any) -> float:
    """Root mean squared error over the finite predictions (failed fits are NaN)."""
    pred, truth = np.asarray(pred, dtype=float), np.asarray(truth, dtype=float)
    ok = np.isfinite(pred)
    return float(np.sqrt(np.mean((pred[ok] - truth[ok]) ** 2)))


def _rmse(estimate: np.ndarray, truth: np.ndarray) -> tuple[float, int]:
    """RMSE over the finite estimates, and how many were not finite."""
    return rmse(estimate, truth), int((~np.isfinite(estimate)).sum())


def _timed(function: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def _r0_rows(
    model: str, rates: str, budget: dict[str, Any], seed: int
) -> tuple[list[list[Any]], list[str], dict[str, float]]:
    simulator = _epidemic(model, rates, budget["n_days"])
    seeds = np.random.SeedSequence(seed).generate_state(4)
    test = simulator.simulate(budget["n_test"], random_state=int(seeds[0]))
    truth = np.asarray(test.y, dtype=float)
    n_sim = budget["n_simulations"]
    methods = {
        "SGNN": (
            n_sim,
            lambda: (
                SimulationGroundedRegressor(
                    simulator,
                    n_simulations=n_sim,
                    max_epochs=budget["max_epochs"],
                    preprocessor=log_counts(),
                    memory_bank_size=0,
                    random_state=int(seeds[1]),
                )
                .fit()
                .predict(test.X)
            ),
        ),
        "maximum likelihood": (
            0,
            lambda: (
                MaximumLikelihoodRegressor(simulator, random_state=int(seeds[2]))
                .fit(test.X)
                .predict(test.X)
            ),
        ),
        "rejection ABC": (
            n_sim,
            lambda: (
                RejectionABCRegressor(
                    simulator,
                    n_simulations=n_sim,
                    preprocessor=log_counts(),
                    random_state=int(seeds[3]),
                )
                .fit(test.X)
                .predict(test.X)
            ),
        ),
        "growth rate": (
            0,
            lambda: growth_rate_r0(
                test.X, gamma=GAMMA, sigma=None if model == "SIR" else SIGMA
            ),
        ),
        "prior mean": (0, lambda: np.full(len(truth), np.mean(simulator.R0))),
    }
    task = f"R0, {model}, {'known' if rates == 'known' else 'unknown'} rates"
    rows, notes, errors = [], [], {}
    for method, (n_simulations, estimate) in methods.items():
        values, seconds = _timed(estimate)
        error, n_failed = _rmse(np.asarray(values, dtype=float), truth)
        errors[method] = error
        rows.append([task, method, n_simulations, error, NOT_AVAILABLE, seconds])
        if n_failed:
            notes.append(
                f"{task}: {method} gave no estimate for {n_failed} of "
                f"{len(truth)} series; its RMSE is over the others."
            )
    return rows, notes, errors


def _linear_rows(
    budget: dict[str, Any], seed: int
) -> tuple[list[list[Any]], dict[str, list[float]]]:
    simulator = LinearGaussian()
    seeds = np.random.SeedSequence(seed).generate_state(2 + len(budget["linear_sizes"]))
    test = simulator.simulate(budget["linear_n_test"], random_state=int(seeds[0]))
    risk = simulator.bayes_risk()
    task = "theta, LinearGaussian (d=5, p=1)"

    def ratio(prediction: np.ndarray) -> tuple[float, float]:
        mse = float(np.mean((np.asarray(prediction) - test.y) ** 2))
        return float(np.sqrt(mse)), mse / risk

    exact, seconds = _timed(lambda: simulator.posterior_mean(test.X))
    rows: list[list[Any]] = [[task, "exact posterior mean", 0, *ratio(exact), seconds]]
    curves: dict[str, list[float]] = {
        "exact": [rows[0][4]],
        "SGNN": [],
        "rejection ABC": [],
    }
    for k, n_sim in enumerate(budget["linear_sizes"]):
        seed_k = int(seeds[2 + k])
        # About 100 gradient steps per epoch whatever the size.
        batch_size = max(128, n_sim // 100)
        sgnn, seconds = _timed(
            lambda n_sim=n_sim, seed_k=seed_k, batch_size=batch_size: (
                SimulationGroundedRegressor(
                    simulator,
                    n_simulations=n_sim,
                    max_epochs=budget["linear_epochs"],
                    batch_size=batch_size,
                    memory_bank_size=0,
                    random_state=seed_k,
                )
                .fit()
                .predict(test.X)
            )
        )
        rows.append([task, "SGNN", n_sim, *ratio(sgnn), seconds])
        curves["SGNN"].append(rows[-1][4])
        abc, seconds = _timed(
            lambda n_sim=n_sim, seed_k=seed_k: (
                RejectionABCRegressor(
                    simulator, n_simulations=n_sim, random_state=seed_k
                )
                .fit(test.X)
                .predict(test.X)
            )
        )
        rows.append([task, "rejection ABC", n_sim, *ratio(abc), seconds])
        curves["rejection ABC"].append(rows[-1][4])
    return rows, curves


def run(*, quick: bool, seed: int) -> ExperimentResult:
    """Run the parameter-recovery experiment.

    Parameters
    ----------
    quick : bool
        Small budgets (``QUICK``) instead of the full ones (``FULL``).
    seed : int
        Seeds test sets, training simulations, networks and optimisers.

    Returns
    -------
    ExperimentResult
    """
    budget = QUICK if quick else FULL
    rows: list[list[Any]] = []
    notes: list[str] = []
    r0_errors = {}
    k = 0
    for rates in budget["rates"]:
        for model in ("SIR", "SEIR"):
            part, part_notes, errors = _r0_rows(model, rates, budget, seed * 1000 + k)
            k += 1
            rows += part
            notes += part_notes
            r0_errors[part[0][0]] = errors
    linear, curves = _linear_rows(budget, seed * 1000 + k)
    rows += linear
    for task, errors in r0_errors.items():
        best = min(errors, key=errors.__getitem__)
        notes.append(
            f"{task}: lowest RMSE {errors[best]:.3f} by {best}; SGNN "
            f"{errors['SGNN']:.3f}, maximum likelihood "
            f"{errors['maximum likelihood']:.3f}, rejection ABC "
            f"{errors['rejection ABC']:.3f}, growth rate {errors['growth rate']:.3f}, "
            f"prior mean {errors['prior mean']:.3f}."
        )
    sizes = budget["linear_sizes"]
    notes.append(
        "LinearGaussian: SGNN MSE / exact Bayes risk "
        + ", ".join(
            f"{r:.3f} at {n}" for n, r in zip(sizes, curves["SGNN"], strict=True)
        )
        + f" simulations (exact posterior mean: {curves['exact'][0]:.3f}, "
        f"the test set's own sampling error; {budget['linear_n_test']} test draws)."
    )
    notes.append(
        f"Early incidence: the first {budget['n_days']} days, default priors of "
        "R0, reporting rate and initial infections, negative-binomial noise "
        f"(k=10). Known rates: gamma = {GAMMA:.4f}, sigma = {SIGMA:.4f} per day, "
        "fixed in the simulators and given to the growth-rate method; unknown "
        "rates: drawn from the default priors, the growth-rate method uses the "
        "same fixed values. Seconds include training (SGNN) or the reference "
        f"table (ABC, {budget['n_simulations']} simulations)."
    )
    return ExperimentResult(
        name="parameter-recovery",
        columns=list(COLUMNS),
        rows=rows,
        settings={"seed": seed, "mode": "quick" if quick else "full", **budget},
        notes=notes,
        figure=_figure(r0_errors, sizes, curves),
    )


def _figure(
    r0_errors: dict[str, dict[str, float]],
    sizes: tuple[int, ...],
    curves: dict[str, list[float]],
) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    tasks = list(r0_errors)
    methods = list(next(iter(r0_errors.values())))
    width = 0.8 / len(methods)
    for j, method in enumerate(methods):
        left.bar(
            np.arange(len(tasks)) + j * width,
            [r0_errors[t][method] for t in tasks],
            width,
            label=method,
        )
    left.set_xticks(
        np.arange(len(tasks)) + 0.4 - width / 2,
        [t.removeprefix("R0, ").replace(", ", "\n") for t in tasks],
        fontsize=8,
    )
    left.set_ylabel("RMSE of R0")
    left.legend(fontsize=8)
    for method, marker in (("SGNN", "o"), ("rejection ABC", "s")):
        right.plot(sizes, curves[method], marker=marker, label=method)
    right.axhline(1.0, color="k", linestyle="--", label="Bayes risk")
    right.set_xscale("log")
    right.set_xlabel("n_simulations")
    right.set_ylabel("MSE / exact Bayes risk")
    right.set_title("LinearGaussian")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig
