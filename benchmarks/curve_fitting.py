"""Curve fitting against least squares (issue 12): the posterior mean must win.

The problem is :class:`~sgnn_sklearn.simulators.DampedOscillator` with its
defaults: a damped cosine ``A exp(-gamma t) cos(omega t)`` seen at 40 times
with Gaussian noise (sd 0.1), its three parameters uniform in a box. The
posterior mean has the least expected squared error of any estimate, per-
series least squares included; how near each method comes to it is measured
on the same test series:

- the simulation-grounded regressor with its defaults, at its default budget;
- the training recipe (``n_estimators=5, hidden_layer_sizes="auto",
  observation_noise="fresh"``), at the same budget;
- the network with the training defaults before 3 December 2026
  (``lr_schedule="constant", n_iter_no_change=10, max_epochs=100``), at the
  same budget;
- per-series least squares as a user would run it:
  ``scipy.optimize.curve_fit`` within the prior box, from several starts
  drawn in the box, keeping the best fit; its 90% interval is the estimate
  +- 1.645 sd from ``pcov`` (noise sd known), cut to the box;
- the package's :class:`~sgnn_sklearn.baselines.MaximumLikelihoodRegressor`
  (the same estimate by L-BFGS-B on the likelihood; no intervals);
- the reference posterior (:func:`~sgnn_sklearn.diagnostics.reference_posterior`,
  quadrature): its mean is the Bayes limit, its 5%-95% quantiles the exact
  90% interval.

Scores: RMSE against the true parameters, per parameter; the excess risk
over the Bayes risk, per parameter (mean squared distance to the reference
posterior mean over the mean posterior variance), averaged over the three;
the share of 90% intervals that hold the true parameter, and the reference
posterior mass inside them. CPU seconds include simulating.

``python -m benchmarks.curve_fitting`` (about 15 minutes of CPU; ``--quick``
a few) or ``python -m benchmarks --only curve_fitting``.
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import norm

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.baselines import MaximumLikelihoodRegressor
from sgnn_sklearn.diagnostics import posterior_mass_inside, reference_posterior
from sgnn_sklearn.simulators import DampedOscillator

from ._common import RESULTS, SEED, report, timed
from .training import PREVIOUS_DEFAULTS, RECIPE

COVERAGE = 0.9
# Starts of curve_fit per series, drawn uniformly in the prior box.
LS_STARTS = 8
# The reference posterior's grid: with 24 (and 48) points per parameter the
# posterior means of 94 of 100 test series agree within 0.01 posterior sd,
# all within 0.025; the default 16 leaves 39 of 100 beyond 0.01.
REFERENCE_GRID = 24
REFERENCE_TOL = 0.05
# Series per reference_posterior call: its weighted draws (110,592 grid nodes
# per series at n_grid=24) are dropped after each chunk, to bound memory.
REFERENCE_CHUNK = 100
FULL = {"n_test": 1000, "seeds": (0, 1, 2)}
QUICK = {"n_test": 100, "seeds": (0,)}
DEFAULT = "SimulationGroundedRegressor (default)"
# The regressors, fitted in this order with each seed.
REGRESSORS: tuple[tuple[str, dict[str, Any]], ...] = (
    (DEFAULT, {}),
    ("recipe", RECIPE),
    ("previous defaults", PREVIOUS_DEFAULTS),
)
LEAST_SQUARES = f"least squares (curve_fit, {LS_STARTS} starts)"


def least_squares(
    sim: Any, X: np.ndarray, n_starts: int = LS_STARTS, random_state: int = SEED
) -> dict[str, np.ndarray]:
    """Per-series least squares in the prior box, and its Gaussian 90% interval.

    Parameters
    ----------
    sim : DampedOscillator
        Gives the curve (``mean_trajectory``), the box (``param_bounds``)
        and the known noise sd.
    X : ndarray of shape (n_series, n_times)
        Observed series.
    n_starts : int, default=LS_STARTS
        Starts per series, uniform in the box; the fit with the least sum of
        squares is kept.
    random_state : int, default=SEED
        Seeds the starts.

    Returns
    -------
    dict
        ``mean``, ``lower``, ``upper``: arrays of shape (n_series, 3). The
        interval is the estimate +- z sd from the covariance of the fit,
        cut to the box (the whole box where the covariance is not finite).
    """
    low, high = np.array(sim.param_bounds()).T
    t = sim.times
    sigma = np.full(len(t), float(sim.noise_std))
    rng = np.random.default_rng(random_state)

    def curve(times: np.ndarray, *params: float) -> np.ndarray:
        return sim.mean_trajectory([params])[0]

    estimate = np.empty((len(X), len(low)))
    sd = np.empty_like(estimate)
    for i, x in enumerate(X):
        best = (np.inf, (low + high) / 2, np.full(len(low), np.inf))
        for start in low + (high - low) * rng.random((n_starts, len(low))):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", OptimizeWarning)
                    params, cov = curve_fit(
                        curve,
                        t,
                        x,
                        p0=start,
                        bounds=(low, high),
                        sigma=sigma,
                        absolute_sigma=True,
                    )
            except RuntimeError:  # no convergence from this start
                continue
            rss = float(np.sum((curve(t, *params) - x) ** 2))
            if rss < best[0]:
                best = (rss, params, np.sqrt(np.diag(cov)))
        estimate[i], sd[i] = best[1], best[2]
    estimate = np.clip(estimate, low, high)
    half = norm.ppf(0.5 + COVERAGE / 2) * np.where(np.isfinite(sd), sd, np.inf)
    return {
        "mean": estimate,
        "lower": np.clip(estimate - half, low, high),
        "upper": np.clip(estimate + half, low, high),
    }


def slim_reference(sim: Any, X: np.ndarray) -> Any:
    """The reference posterior of each series, without its weighted draws.

    Computed :data:`REFERENCE_CHUNK` series at a time; the draws and weights
    of each chunk (gigabytes for a thousand series) are dropped, the means,
    sds, marginal CDFs and convergence figures kept.
    """
    chunks = []
    for start in range(0, len(X), REFERENCE_CHUNK):
        post = reference_posterior(
            sim,
            X[start : start + REFERENCE_CHUNK],
            n_grid=REFERENCE_GRID,
            tol=REFERENCE_TOL,
        )
        n_params = post.draws.shape[2]
        chunks.append(
            dataclasses.replace(
                post,
                draws=np.empty((len(post.mean), 0, n_params)),
                weights=np.empty((len(post.mean), 0)),
            )
        )
    fields = {}
    for field in dataclasses.fields(chunks[0]):
        values = [getattr(chunk, field.name) for chunk in chunks]
        fields[field.name] = (
            np.concatenate(values) if isinstance(values[0], np.ndarray) else values[0]
        )
    return type(chunks[0])(**fields)


def score(
    truth: np.ndarray,
    reference: Any,
    mean: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> dict[str, Any]:
    """RMSE, excess risk over Bayes, coverage and reference mass of one method.

    Parameters
    ----------
    truth : ndarray of shape (n_series, n_params)
        The true parameters.
    reference : ReferencePosterior
        Of the same series.
    mean : ndarray of shape (n_series, n_params)
        Point estimates.
    lower, upper : ndarray of shape (n_series, n_params), optional
        90% intervals; NaN scores when absent.

    Returns
    -------
    dict
        ``rmse`` and ``excess / Bayes risk`` per parameter (lists), their
        mean ``excess / Bayes risk (mean)``, ``coverage of truth`` and
        ``reference mass in 90%`` (means over series and parameters).
    """
    mean = np.asarray(mean, dtype=float)
    distance = np.mean((mean - reference.mean) ** 2, axis=0)
    bayes = np.mean(reference.std**2, axis=0)
    excess = distance / bayes
    out: dict[str, Any] = {
        "rmse": np.sqrt(np.mean((mean - truth) ** 2, axis=0)).tolist(),
        "posterior_mean_error": distance.tolist(),
        "excess / Bayes risk": excess.tolist(),
        "excess / Bayes risk (mean)": float(excess.mean()),
        "coverage of truth": np.nan,
        "reference mass in 90%": np.nan,
    }
    if lower is not None and upper is not None:
        inside = (lower <= truth) & (truth <= upper)
        out["coverage of truth"] = float(inside.mean())
        out["reference mass in 90%"] = float(
            posterior_mass_inside(reference, lower, upper).mean()
        )
    return out


def _row(method: str, seed: Any, t: dict[str, float], scores: dict) -> dict:
    return {"method": method, "seed": seed, "cpu_s": t["cpu_s"], **scores}


def _regressor_rows(
    sim: Any,
    test: Any,
    reference: Any,
    seed: int,
    n_simulations: int | None,
    means: dict[str, list[np.ndarray]],
) -> list[dict[str, Any]]:
    """The default regressor, the recipe and the previous defaults, with ``seed``.

    Their predicted means are appended to ``means`` (by method).
    """
    rows = []
    budget = {} if n_simulations is None else {"n_simulations": n_simulations}
    for method, params in REGRESSORS:
        est = SimulationGroundedRegressor(sim, random_state=seed, **budget, **params)
        with timed() as t:
            est.fit()
            mean = est.predict(test.X)
            lower, upper = est.predict_interval(test.X, COVERAGE)
        row = _row(method, seed, t, score(test.y, reference, mean, lower, upper))
        row["n_simulations"] = est.n_simulations
        means.setdefault(method, []).append(mean)
        rows.append(row)
        print(f"[curve_fitting] {method}, seed {seed}: {row}", flush=True)
    return rows


def _seed_mean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per method: each figure's mean over its seeds."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["method"], []).append(row)
    summary = []
    for method, group in out.items():
        entry: dict[str, Any] = {
            "method": method,
            "seeds": ",".join(str(r["seed"]) for r in group),
        }
        for key in group[0]:
            if key in ("method", "seed"):
                continue
            values = np.array([r[key] for r in group], dtype=float)
            mean = values.mean(axis=0)
            entry[key] = mean.tolist() if values.ndim > 1 else float(mean)
        summary.append(entry)
    return summary


def _table(summary: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict]:
    """Flat rows for the markdown table: one column per parameter's RMSE."""
    table = []
    for entry in summary:
        row = {"method": entry["method"], "seeds": entry["seeds"]}
        for name, rmse in zip(names, entry["rmse"], strict=True):
            row[f"RMSE {name}"] = rmse
        for key in (
            "excess / Bayes risk (mean)",
            "coverage of truth",
            "reference mass in 90%",
            "cpu_s",
        ):
            value = entry[key]
            row[key] = "-" if isinstance(value, float) and np.isnan(value) else value
        table.append(row)
    return table


def targets(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Does each regressor beat least squares on every parameter's RMSE?"""
    by_method = {entry["method"]: entry for entry in summary}
    rival = np.array(by_method[LEAST_SQUARES]["rmse"])
    out = []
    for method, _ in REGRESSORS:
        if method not in by_method:
            continue
        rmse = np.array(by_method[method]["rmse"])
        out.append(
            {
                "target": f"DampedOscillator, {method} at "
                f"{int(by_method[method]['n_simulations'])} simulations: RMSE "
                "below least squares' on every parameter",
                "measured": ", ".join(
                    f"{a:.4f} vs {b:.4f}" for a, b in zip(rmse, rival, strict=True)
                ),
                "met": bool(np.all(rmse < rival)),
            }
        )
    return out


def run(
    quick: bool = False,
    seeds: Any = None,
    n_test: int | None = None,
    n_simulations: int | None = None,
) -> dict[str, Any]:
    """Every method on the same test series; rows per seed and their means.

    Parameters
    ----------
    quick : bool, default=False
        100 test series and one seed instead of 1000 and three.
    seeds : sequence of int, optional
        Training seeds of the regressors (the test series are always drawn
        with seed 1).
    n_test : int, optional
        Number of test series.
    n_simulations : int, optional
        The regressors' budget; None keeps their default.

    Returns
    -------
    dict
        ``rows`` (the table), ``summary``, ``per_seed``, ``targets`` and
        ``notes``.
    """
    budget = dict(QUICK if quick else FULL)
    seeds = tuple(budget["seeds"] if seeds is None else seeds)
    n_test = int(budget["n_test"] if n_test is None else n_test)
    sim = DampedOscillator()
    test = sim.simulate(n_test, random_state=SEED + 1)
    with timed() as t_ref, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reference = slim_reference(sim, test.X)
    tail = (1 - COVERAGE) / 2
    bounds = reference.quantiles([tail, 1 - tail])
    rows = [
        _row(
            "reference posterior (Bayes limit)",
            "-",
            t_ref,
            score(test.y, reference, reference.mean, bounds[..., 0], bounds[..., 1]),
        )
    ]
    with timed() as t_ls:
        ls = least_squares(sim, test.X)
    rows.append(
        _row(
            LEAST_SQUARES,
            "-",
            t_ls,
            score(test.y, reference, ls["mean"], ls["lower"], ls["upper"]),
        )
    )
    mle = MaximumLikelihoodRegressor(sim, random_state=SEED)
    with timed() as t_mle:
        mle_mean = mle.fit(test.X).predict(test.X)
    rows.append(
        _row(
            "MaximumLikelihoodRegressor", "-", t_mle, score(test.y, reference, mle_mean)
        )
    )
    for row in rows:
        print(f"[curve_fitting] {row}", flush=True)
    means: dict[str, list[np.ndarray]] = {}
    for seed in seeds:
        rows += _regressor_rows(sim, test, reference, seed, n_simulations, means)
    summary = _seed_mean(rows)
    notes = [
        f"DampedOscillator() defaults; {n_test} test series drawn with seed "
        f"{SEED + 1}; the regressors trained with seeds "
        + ", ".join(map(str, seeds))
        + " (their rows: means over the seeds; per seed in results.json).",
        f"Reference posterior: grid quadrature, n_grid={REFERENCE_GRID}, "
        f"{int(reference.converged.sum())}/{n_test} series converged at "
        f"tol={REFERENCE_TOL} (largest change of a posterior mean on doubling "
        f"the grid {float(reference.change.max()):.2g} posterior sd, median "
        f"{float(np.median(reference.change)):.2g})"
        + "".join(f"; warning: {w.message}" for w in caught),
        "excess / Bayes risk: per parameter, the mean squared distance to the "
        "reference posterior mean over the mean posterior variance; the mean "
        "of the three. 0 is the Bayes limit; RMSE^2 is about Bayes risk x "
        "(1 + excess).",
        f"Least squares: {LS_STARTS} starts per series uniform in the prior "
        "box; interval estimate +- 1.645 sd from pcov (absolute_sigma, known "
        "noise sd), cut to the box. MaximumLikelihoodRegressor: its defaults.",
        "cpu_s: CPU seconds of this process (torch with one thread), "
        "simulating included.",
        *_paired_notes(means, ls["mean"], test.y, tuple(sim.target_names)),
    ]
    return {
        "rows": _table(summary, tuple(sim.target_names)),
        "summary": summary,
        "per_seed": rows,
        "targets": targets(summary),
        "notes": notes,
    }


def _paired_notes(
    means: dict[str, list[np.ndarray]],
    rival: np.ndarray,
    truth: np.ndarray,
    names: tuple[str, ...],
) -> list[str]:
    """Each regressor's MSE over least squares', with a paired 2-SE margin.

    The squared errors of the two methods are compared series by series (the
    regressor's averaged over its seeds), so the margin is the sampling error
    of the test series, which the difference between the methods must clear.
    """
    notes = []
    rival_se = (rival - truth) ** 2
    for method, predictions in means.items():
        own = np.mean([(m - truth) ** 2 for m in predictions], axis=0)
        difference = own - rival_se
        ratio = 1 + difference.mean(axis=0) / rival_se.mean(axis=0)
        margin = (
            2
            * difference.std(axis=0, ddof=1)
            / np.sqrt(len(truth))
            / rival_se.mean(axis=0)
        )
        notes.append(
            f"{method}: MSE / least squares' MSE (+- 2 paired SE over the test "
            "series): "
            + ", ".join(
                f"{name} {r:.3f} +- {m:.3f}"
                for name, r, m in zip(names, ratio, margin, strict=True)
            )
            + "."
        )
    return notes


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.curve_fitting", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="100 series, seed 0")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument(
        "--n-simulations",
        type=int,
        default=None,
        help="the regressors' budget (default: theirs)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "curve_fitting")
    args = parser.parse_args(argv)

    return report(
        lambda: {
            "curve_fitting": run(
                args.quick, args.seeds, args.n_test, args.n_simulations
            )
        },
        args.out,
    )


if __name__ == "__main__":
    main()
