"""Refinement around one series against its exact posterior (issue 12, item 5).

Target: on a series whose exact posterior sd is at most 5% of the prior's,
the refined posterior mean within 0.25 posterior sd of the exact one, at no
more than twice the simulation budget of the amortised fit, and its 90%
interval holding 85-95% of the exact posterior mass.

Problems:

- the 1978 boarding-school influenza outbreak
  (:func:`~sgnn_sklearn.datasets.load_influenza_boarding_school`, 14 days of
  boys in bed) under an SIR model of the boys ill each day with Poisson
  counts, 763 boys, one infected on day 0, and two unknowns: ``R0 ~ U(1.5,
  8)`` and ``gamma ~ U(0.2, 1)`` per day. Its exact posterior sd is 4.2% (R0)
  and 4.7% (gamma) of the prior's. The same model has series that it fits
  better than the real one, so simulated series from its prior whose
  posterior sd is at most 5% of the prior's on both targets (about 1 in 30
  prior draws) are refined too;
- ``LinearGaussian(noise_std=0.02)`` (posterior sd 2.3% of the prior's),
  where the posterior is Gaussian and exact.

For each series: the amortised regressor (defaults, ``n_simulations``
simulations), the amortised regressor on twice as many (the same budget as
refinement, for comparison), and ``refine(x)`` of the first (its defaults:
two rounds of ``n_simulations / 2``, so twice the amortised budget in all).
Scores against the reference posterior
(:func:`~sgnn_sklearn.diagnostics.reference_posterior`: grid quadrature, or
exact for LinearGaussian): the distance of the posterior mean to the exact
one in exact posterior sds (largest over the targets), the exact mass inside
the 90% interval (each target), and the exact mass outside the box the
refined answer is conditioned on (``simulator_.bounds``): near 0 shows that
the truncation did not cut the posterior.

``python -m benchmarks.refinement`` (about 3 minutes of CPU on one seed;
``--quick``: fewer series and 4,000 simulations; ``--set NAME=VALUE ...``
sets regressor parameters, e.g. ``--set observation_noise='fresh'``).
"""

from __future__ import annotations

import argparse
import ast
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import poisson

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.datasets import load_influenza_boarding_school
from sgnn_sklearn.diagnostics import posterior_mass_inside, reference_posterior
from sgnn_sklearn.simulators import LatentSimulator, LinearGaussian

from ._common import RESULTS, SEED, report, timed

COVERAGE = 0.9
MAX_OFF = 0.25  # posterior sds
MASS_RANGE = (0.85, 0.95)
MAX_SD_RATIO = 0.05  # posterior sd / prior sd, for a series to qualify
FULL = {"n_simulations": 10_000, "n_simulated": 4, "n_linear": 3}
QUICK = {"n_simulations": 4_000, "n_simulated": 1, "n_linear": 1}


class BoardingSchoolSIR(LatentSimulator):
    """Boys ill each day of an SIR epidemic in a closed school, Poisson counts.

    ``N I(d)`` on days ``d = 1, ..., 14`` of an SIR epidemic started on day 0
    by ``i0`` ill boys, observed as Poisson counts; the likelihood is exact,
    so :func:`~sgnn_sklearn.diagnostics.reference_posterior` integrates the
    posterior of ``R0`` and ``gamma``.
    """

    prior_params = ("R0", "gamma", "i0")

    def __init__(
        self,
        R0: Any = (1.5, 8.0),
        gamma: Any = (0.2, 1.0),
        i0: Any = 1.0,
        population: int = 763,
        n_days: int = 14,
    ) -> None:
        self.R0 = R0
        self.gamma = gamma
        self.i0 = i0
        self.population = population
        self.n_days = n_days

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f"day{d}" for d in range(self.n_days))

    @property
    def target_names(self) -> tuple[str, ...]:
        return ("R0", "gamma")

    def mean_trajectory(self, params: Any) -> np.ndarray:
        """Boys ill on each day, by RK4 with 16 steps a day (beta up to 8)."""
        R0, gamma, i0 = np.asarray(params, dtype=float).T
        beta = R0 * gamma
        state = np.stack([1 - i0 / self.population, i0 / self.population])

        def slope(state: np.ndarray) -> np.ndarray:
            infection = beta * state[0] * state[1]
            return np.stack([-infection, infection - gamma * state[1]])

        h, ill = 1 / 16, []
        for _ in range(self.n_days):
            for _ in range(16):
                k1 = slope(state)
                k2 = slope(state + h / 2 * k1)
                k3 = slope(state + h / 2 * k2)
                k4 = slope(state + h * k3)
                state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            ill.append(self.population * state[1])
        return np.maximum(np.stack(ill, axis=1), 0.0)

    def generate_latent(
        self, params: np.ndarray, rng: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.mean_trajectory(params), params[:, :2].copy()

    def generate_observation(
        self, trajectory: np.ndarray, params: np.ndarray, rng: Any
    ) -> Any:
        return rng.poisson(trajectory).astype(float)

    def log_likelihood(self, params: Any, X: Any) -> np.ndarray:
        """Poisson log-likelihood of each series given its parameters."""
        mean = self.mean_trajectory(params)
        return poisson.logpmf(np.asarray(X, dtype=float), mean).sum(axis=1)


def _prior_sd(sim: Any) -> np.ndarray:
    """The prior sd of each target (uniform priors; LinearGaussian's is 1)."""
    if isinstance(sim, LinearGaussian):
        return np.ones(1)
    return np.array([(high - low) / np.sqrt(12) for low, high in (sim.R0, sim.gamma)])


def _narrow_series(sim: Any, n_series: int, seed: int) -> tuple[np.ndarray, Any]:
    """The first ``n_series`` prior draws whose posterior sd is <= 5% of the prior's."""
    draws = sim.simulate(max(40 * n_series, 100), random_state=seed).X
    post = reference_posterior(sim, draws)
    ratio = (post.std / _prior_sd(sim)).reshape(len(draws), -1).max(axis=1)
    chosen = np.flatnonzero((ratio <= MAX_SD_RATIO) & post.converged)[:n_series]
    return draws[chosen], chosen


def score(est: Any, post: Any, x: np.ndarray) -> dict[str, Any]:
    """Distance to the exact mean (posterior sds) and exact mass in the interval."""
    mean = est.predict(x)
    lower, upper = est.predict_interval(x, COVERAGE)
    off = np.abs(np.ravel(mean) - np.ravel(post.mean)) / np.ravel(post.std)
    mass = np.ravel(posterior_mass_inside(post, lower, upper))
    return {"off": off, "mass": mass}


def box_mass_outside(post: Any, bounds: dict[str, tuple[float, float]]) -> float:
    """Exact posterior mass outside the refined estimator's box (largest target)."""
    low = np.array([[bounds[name][0] for name in post.target_names]])
    high = np.array([[bounds[name][1] for name in post.target_names]])
    shape = np.shape(post.mean)
    inside = posterior_mass_inside(post, low.reshape(shape), high.reshape(shape))
    return float(1 - np.min(inside))


def _inputs(est: Any) -> str:
    """What the network saw: ``log(1 + x)`` or the counts as they are."""
    return "raw" if est.preprocessor_ is None else type(est.preprocessor_).__name__


def _fmt(values: np.ndarray, digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in np.ravel(values))


def problem_rows(
    name: str,
    sim: Any,
    series: list[tuple[str, np.ndarray]],
    n: int,
    seed: int,
    options: dict[str, Any],
) -> list[dict[str, Any]]:
    """Amortised fits at n and 2n, and refine(x) of the first, per series."""
    with timed() as t_fit:
        amortised = SimulationGroundedRegressor(
            sim, n, random_state=seed, **options
        ).fit()
    with timed() as t_double:
        double = SimulationGroundedRegressor(
            sim, 2 * n, random_state=seed, **options
        ).fit()
    rows = []
    for label, x in series:
        post = reference_posterior(sim, x)
        if not post.converged.all():
            raise RuntimeError(f"{name} {label}: the reference did not converge")
        with timed() as t_refine, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            refined = amortised.refine(x)
        first, second, final = (
            score(est, post, x) for est in (amortised, double, refined)
        )
        extra = 2 * refined.n_simulations  # two rounds (refine's default)
        outside = box_mass_outside(post, refined.simulator_.bounds)
        row = {
            "problem": name,
            "series": label,
            "seed": seed,
            "post sd / prior sd": _fmt(np.ravel(post.std) / _prior_sd(sim), 3),
            f"amortised {n}: off (sd)": _fmt(first["off"]),
            f"amortised {n}: mass": _fmt(first["mass"], 3),
            f"amortised {2 * n}: off (sd)": _fmt(second["off"]),
            f"amortised {2 * n}: mass": _fmt(second["mass"], 3),
            "refined: off (sd)": _fmt(final["off"]),
            "refined: mass": _fmt(final["mass"], 3),
            "refined: simulations (total)": n + extra,
            "mass outside box": f"{outside:.1e}",
            "refined inputs": _inputs(refined),
            "refine cpu_s": round(t_refine["cpu_s"], 1),
            "amortised cpu_s": round(t_fit["cpu_s"], 1),
            f"amortised {2 * n} cpu_s": round(t_double["cpu_s"], 1),
            "warnings": "; ".join(str(w.message)[:80] for w in caught) or "-",
            "_off": float(final["off"].max()),
            "_mass": (float(final["mass"].min()), float(final["mass"].max())),
            "_budget_ok": n + extra <= 2 * n,
        }
        print(f"[refinement] {row}", flush=True)
        rows.append(row)
    return rows


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The item-5 target, per problem, over its series and seeds."""
    out = []
    for problem in dict.fromkeys(row["problem"] for row in rows):
        mine = [row for row in rows if row["problem"] == problem]
        worst_off = max(row["_off"] for row in mine)
        low = min(row["_mass"][0] for row in mine)
        high = max(row["_mass"][1] for row in mine)
        n_ok = sum(
            row["_off"] <= MAX_OFF
            and MASS_RANGE[0] <= row["_mass"][0]
            and row["_mass"][1] <= MASS_RANGE[1]
            for row in mine
        )
        out.append(
            {
                "target": f"{problem}: refined mean within {MAX_OFF} posterior sd, "
                f"90% interval holding {MASS_RANGE[0]:.0%}-{MASS_RANGE[1]:.0%}, "
                "at <= 2x the amortised budget",
                "measured": f"{n_ok}/{len(mine)} series met; largest distance "
                f"{worst_off:.2f} sd; mass {low:.3f}-{high:.3f}",
                "met": n_ok == len(mine) and all(row["_budget_ok"] for row in mine),
            }
        )
    return out


def run(
    quick: bool = False, seeds: Any = (SEED,), options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every problem and seed; the table rows, targets and notes."""
    options = dict(options or {})
    budget = QUICK if quick else FULL
    n = int(budget["n_simulations"])
    school = BoardingSchoolSIR()
    flu = load_influenza_boarding_school().data
    simulated, chosen = _narrow_series(school, int(budget["n_simulated"]), SEED + 1)
    school_series = [("boarding school 1978", flu)] + [
        (f"simulated #{i}", x[None]) for i, x in zip(chosen, simulated, strict=True)
    ]
    linear = LinearGaussian(noise_std=0.02)
    test = linear.simulate(int(budget["n_linear"]), random_state=SEED + 100).X
    linear_series = [(f"simulated #{i}", x[None]) for i, x in enumerate(test)]
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        rows += problem_rows(
            "BoardingSchoolSIR", school, school_series, n, seed, options
        )
        rows += problem_rows(
            "LinearGaussian(0.02)", linear, linear_series, n, seed, options
        )
    notes = [
        f"Amortised: SimulationGroundedRegressor(sim, {n}) with the package's "
        f"defaults{''.join(f', {k}={v!r}' for k, v in options.items())}, "
        f"training seeds {', '.join(map(str, seeds))}; refined: "
        f"refine(x) with its defaults (2 rounds of {n // 2}, box mean +- 5 sd, "
        "the last round an ensemble of 5).",
        "BoardingSchoolSIR: SIR prevalence with Poisson counts, 763 boys, one "
        "ill on day 0, R0 ~ U(1.5, 8), gamma ~ U(0.2, 1); simulated series: the "
        f"first prior draws (seed {SEED + 1}) with posterior sd <= "
        f"{MAX_SD_RATIO:.0%} of the prior's on both targets (prior draw index "
        "in the label). Reference: reference_posterior (grid quadrature, "
        "converged at tol 0.01).",
        f"LinearGaussian(noise_std=0.02): series drawn with seed {SEED + 100}; "
        "exact posterior.",
        "off: |mean - exact mean| / exact sd, per target; mass: exact posterior "
        "mass in the 90% interval, per target; mass outside box: the exact "
        "posterior mass outside the truncated prior the refined answer is "
        "conditioned on (largest target).",
    ]
    public = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    return {"rows": public, "targets": targets(rows), "notes": notes}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.refinement", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="few series, 4,000")
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED])
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="regressor parameters (VALUE a Python literal)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "refinement")
    args = parser.parse_args(argv)
    options = {}
    for item in args.set:
        name, _, value = item.partition("=")
        options[name] = ast.literal_eval(value)

    return report(
        lambda: {"refinement": run(args.quick, tuple(args.seeds), options)}, args.out
    )


if __name__ == "__main__":
    main()
