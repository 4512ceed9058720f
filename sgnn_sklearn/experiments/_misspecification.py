"""Experiment ``misspecification``: R0 from data the simulator does not reproduce.

Every method learns from, or fits, the same SIR simulator of reported daily
incidence (negative-binomial reports with size 10). The test series come from
perturbed generators: more overdispersed reports, a reporting delay, an
intervention that halves transmission mid-series (a mechanism the simulator
lacks), all three together, and the well-specified case as the reference. For
each, the error of every method sits next to the simulation gap of the SGNN
(:func:`sgnn_sklearn.diagnostics.simulation_gap`), the score a user can
compute without labels, to show whether the gap tracks the error.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import clone

from ..baselines import (
    LikelihoodFitWarning,
    MaximumLikelihoodRegressor,
    RejectionABCRegressor,
)
from ..demo import log_counts
from ..diagnostics import simulation_gap
from ..estimators import SimulationGroundedRegressor
from ..simulators import (
    SIR,
    Intervention,
    LatentSimulator,
    Overdispersed,
    ReportingDelay,
)
from ._parameter_recovery import growth_rate_r0, rmse

N_DAYS = 60
# Budgets: (quick, full).
N_SIMULATIONS = {True: 2_000, False: 20_000}
MAX_EPOCHS = {True: 15, False: 100}
N_TEST = {True: 60, False: 400}
N_ABC = {True: 5_000, False: 20_000}
MLE_STARTS = {True: (10, 1), False: (50, 2)}  # (n_init, n_starts)
# The classical growth-rate method fits the rising phase up to this day, and
# needs at least this many days of it.
GROWTH_MAX_DAY = 20
GROWTH_MIN_DAYS = 7


def scenarios(simulator: SIR) -> dict[str, LatentSimulator]:
    """The test generators, the well-specified reference first.

    Each is ``simulator`` with an observation model or a mechanism it lacks,
    built from the public wrappers; the reporting noise they change is
    negative binomial, so they wrap the Poisson version of ``simulator``.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import SIR
    >>> generators = scenarios(SIR(n_days=30))
    >>> list(generators)[0]
    'well-specified'
    >>> generators["all three"].simulate(2, random_state=0).X.shape
    (2, 30)
    """
    poisson = clone(simulator).set_params(noise="poisson")

    def intervention(epidemic: SIR) -> Intervention:
        return Intervention(epidemic, intervention_day=25.0, intervention_effect=0.5)

    return {
        "well-specified": simulator,
        "overdispersed reports (k=2)": Overdispersed(poisson, dispersion=2.0),
        "reporting delay (mean 3 d)": ReportingDelay(simulator, delay_mean=3.0),
        "intervention (beta halved from day 25)": intervention(simulator),
        "all three": ReportingDelay(
            Overdispersed(intervention(poisson), dispersion=2.0), delay_mean=3.0
        ),
    }


def simulation_trained(
    simulator: Any, *, quick: bool, seed: int
) -> SimulationGroundedRegressor:
    """The SGNN of these experiments, trained on ``simulator`` at the mode's budget.

    Counts span orders of magnitude, so the network sees ``log(1 + count)``.
    """
    return SimulationGroundedRegressor(
        simulator,
        n_simulations=N_SIMULATIONS[quick],
        max_epochs=MAX_EPOCHS[quick],
        preprocessor=log_counts(),
        random_state=seed,
    ).fit()


def run(*, quick: bool, seed: int) -> Any:
    """Run the experiment at quick or full budgets; see the module docstring."""
    from ._result import ExperimentResult

    simulator = SIR(n_days=N_DAYS)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    sgnn = simulation_trained(simulator, quick=quick, seed=seed)
    timings["SGNN"] = time.perf_counter() - start
    start = time.perf_counter()
    # ABC's fit simulates its reference table; the X it gets only fixes the shape.
    abc = RejectionABCRegressor(
        simulator,
        n_simulations=N_ABC[quick],
        preprocessor=log_counts(),
        random_state=seed,
    ).fit(simulator.simulate(2, random_state=seed).X)
    timings["ABC"] = time.perf_counter() - start
    n_init, n_starts = MLE_STARTS[quick]
    mle = MaximumLikelihoodRegressor(
        simulator, n_init=n_init, n_starts=n_starts, random_state=seed
    )
    # The analyst's recovery rate: the prior's mean, 1 / 6.2 days.
    gamma = float(np.mean(simulator.gamma))

    columns = [
        "test data",
        "gap score",
        "outside support",
        "SGNN RMSE",
        "ML RMSE",
        "ABC RMSE",
        "growth-rate RMSE",
    ]
    rows: list[list[Any]] = []
    n_failed = 0
    for i, (name, reality) in enumerate(scenarios(simulator).items()):
        test = reality.simulate(N_TEST[quick], random_state=seed + 1 + i)
        gap = simulation_gap(sgnn, test.X)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LikelihoodFitWarning)
            ml = mle.fit(test.X).predict(test.X)
        timings["ML"] = timings.get("ML", 0.0) + time.perf_counter() - start
        n_failed += int(np.sum(~np.isfinite(ml)))
        rows.append(
            [
                name,
                gap.score,
                gap.outside_fraction,
                rmse(sgnn.predict(test.X), test.y),
                rmse(ml, test.y),
                rmse(abc.predict(test.X), test.y),
                rmse(
                    growth_rate_r0(
                        test.X,
                        gamma=gamma,
                        min_days=GROWTH_MIN_DAYS,
                        max_days=GROWTH_MAX_DAY + 1,
                        smoothing=7,
                    ),
                    test.y,
                ),
            ]
        )

    gaps = np.array([row[1] for row in rows])
    errors = np.array([row[3] for row in rows])
    rank = float(spearmanr(gaps, errors).statistic)
    reference = rows[0]
    worst = max(rows[1:], key=lambda row: row[3])
    notes = [
        f"Well-specified reference: SGNN RMSE {reference[3]:.3f} vs maximum "
        f"likelihood {reference[4]:.3f}, ABC {reference[5]:.3f}, growth rate "
        f"{reference[6]:.3f}; gap score {reference[1]:.2f} (about 1 by "
        "construction).",
        f"Across the {len(rows)} test generators, the Spearman rank correlation "
        f"between the gap score and the SGNN's RMSE is {rank:.2f}: "
        + (
            "the gap ranks the generators by how much they hurt the SGNN."
            if rank >= 0.7
            else "the gap does not reliably rank the generators by the SGNN's error."
        ),
        f"The SGNN's worst case is '{worst[0]}' (RMSE {worst[3]:.3f}, "
        f"{worst[3] / reference[3]:.1f}x the well-specified error).",
    ]
    mildest = min(rows[1:], key=lambda row: row[1])
    if mildest[3] > 1.1 * reference[3]:
        notes.append(
            f"The gap misses a cost: '{mildest[0]}' scores {mildest[1]:.2f} "
            f"({100 * mildest[2]:.0f}% of series outside the simulated support), "
            f"yet the SGNN's RMSE there is {mildest[3] / reference[3]:.2f}x the "
            "well-specified one. A gap near 1 does not promise the "
            "well-specified error."
        )
    losses = []
    for row in rows:
        beaten_by = [
            f"{columns[j].replace(' RMSE', '')} {row[j]:.3f}"
            for j in range(4, len(columns))
            if row[j] < row[3]
        ]
        if beaten_by:
            losses.append(f"'{row[0]}' (SGNN {row[3]:.3f}; {', '.join(beaten_by)})")
    notes.append(
        "The SGNN has the lowest RMSE on "
        f"{sum(row[3] <= min(row[4:]) for row in rows)} of {len(rows)} generators"
        + (f"; it loses on {'; '.join(losses)}." if losses else ".")
    )
    notes += [
        "How the comparators differ: rejection ABC averages the nearest 1% of "
        "its simulations, a wide neighbourhood that pulls its estimates towards "
        "the prior mean: a cost on well-specified data, a cushion against noise "
        "the simulator lacks. The growth-rate method reads only the rising "
        "phase, which a late intervention may not reach, while the SGNN and "
        "maximum likelihood read the whole series, post-intervention days "
        "included, through the simulator's (wrong) dynamics.",
        f"Maximum likelihood failed on {n_failed} series (left out of its RMSE).",
        "Growth-rate method: R0 = 1 + r/gamma, r from a log-linear fit of "
        "log(count + 0.5) over the "
        f"rising phase (days 0 to the 7-day-mean peak, {GROWTH_MIN_DAYS} to "
        f"{GROWTH_MAX_DAY + 1} days), gamma fixed at the prior mean {gamma:.3f} "
        "(the true gamma varies 3.5-fold over the prior).",
    ]
    settings = {
        "seed": seed,
        "mode": "quick" if quick else "full",
        "n_days": N_DAYS,
        "n_simulations": N_SIMULATIONS[quick],
        "max_epochs": MAX_EPOCHS[quick],
        "sgnn_epochs": sgnn.n_epochs_,
        "n_test_per_generator": N_TEST[quick],
        "abc_simulations": N_ABC[quick],
        "mle_n_init_n_starts": MLE_STARTS[quick],
        "seconds_by_method": {k: round(v, 1) for k, v in timings.items()},
    }
    return ExperimentResult(
        name="misspecification",
        columns=columns,
        rows=rows,
        settings=settings,
        notes=notes,
        figure=_figure(rows, columns),
    )


def _figure(rows: list[list[Any]], columns: list[str]) -> Any:
    """Each method's RMSE against the SGNN's gap score, one point per generator."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5))
    ax = figure.subplots()
    gaps = [row[1] for row in rows]
    for j, marker in zip(range(3, len(columns)), "osD^", strict=False):
        ax.plot(
            gaps,
            [row[j] for row in rows],
            marker=marker,
            linestyle="none",
            label=columns[j].replace(" RMSE", ""),
        )
    for row in rows:
        ax.annotate(row[0], (row[1], row[3]), fontsize=7, alpha=0.8)
    ax.set_xlabel("simulation gap score of the SGNN (1 = like the simulations)")
    ax.set_ylabel("RMSE of R0")
    ax.set_title("Misspecified test data: error vs simulation gap")
    ax.legend()
    return figure
