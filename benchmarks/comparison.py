"""Against the posterior itself: the default regressor, MLPRegressor and sbi's NPE.

Every method learns from the same simulations and is scored on the same test
observations against each observation's reference posterior
(:func:`sgnn_sklearn.diagnostics.reference_posterior`: exact for
LinearGaussian, adaptive quadrature with a convergence check elsewhere):

- posterior-mean error: the mean over test observations of the squared
  distance of the predicted mean to the reference posterior mean (the
  excess risk over the Bayes-optimal point estimate, free of the Bayes risk
  that a comparison with the true parameter adds to every method);
- the reference posterior mass inside each predicted 90% interval, averaged
  over the test observations and over the worst decile of them (the tenth
  with the least mass).

Beside the default regressor, deep ensembles (``ENSEMBLES``: the same
estimator with ``n_estimators`` of 3 and 5, and 5 members of one hidden layer
whose width follows the budget) learn from the same simulations, so that a
user can weigh their error against their CPU time; so does the default with
``interval_method="mixture"`` (``MIXTURE``: its intervals from a learnt
Gaussian mixture, its mean the default's), and one network with the training
defaults before 3 December 2026
(``benchmarks.training.PREVIOUS_DEFAULTS``: a constant learning rate, early
stopping after 10 epochs without progress, at most 100), to show what the
longer default training buys and costs. They are fitted after every other method
(``OPTIONS``), and each fit is seeded by its own ``random_state``, so the
default's figures do not depend on them.

Run it alone with ``python -m benchmarks --only comparison`` (about an hour
on 2 busy cores with these rows; ``--quick`` takes a few minutes).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import (
    posterior_mass_inside,
    posterior_mean_distance,
    reference_posterior,
)
from sgnn_sklearn.simulators import (
    SEIR,
    SIR,
    BinomialPrevalence,
    LinearGaussian,
    LogisticGrowth,
    QuadraticGaussian,
    simulate_chunked,
)

from ._common import SEED, timed
from .training import PREVIOUS_DEFAULTS

# Posterior draws per test observation from NPE: its mean and quantiles come
# from them (Monte Carlo error 1/NPE_SAMPLES of the posterior variance).
NPE_SAMPLES = 1_000
COVERAGE = 0.9
FULL = {"n_simulations": 10_000, "n_test": 200, "seeds": (0, 1, 2)}
QUICK = {"n_simulations": 2_000, "n_test": 50, "seeds": (0,)}
# Ensembles scored beside the default (issue 12: "if ensembles cost more,
# show the curve of error against time"); none is a default.
ENSEMBLES: tuple[dict[str, Any], ...] = (
    {"n_estimators": 3},
    {"n_estimators": 5},
    {"n_estimators": 5, "hidden_layer_sizes": "auto"},
)
# The default network with its intervals from a learnt Gaussian mixture
# instead of the Gaussian (the mean is the default's, bit for bit).
MIXTURE = {"interval_method": "mixture"}
# Every row after the default's, MLPRegressor's and NPE's: the ensembles,
# the mixture intervals, then one network with the training defaults before
# 3 December 2026 (benchmarks.training.PREVIOUS_DEFAULTS).
OPTIONS: tuple[dict[str, Any], ...] = (*ENSEMBLES, MIXTURE, PREVIOUS_DEFAULTS)


def problems(quick: bool = False) -> dict[str, Any]:
    """The benchmark problems: a reference posterior exists for each.

    Epidemics and growth have R0 (or r) and one other unknown (the reporting
    rate, the carrying capacity); the other parameters are fixed, so the
    reference posterior is a converged two-dimensional quadrature.
    """
    found = {
        "LinearGaussian": LinearGaussian(),
        "QuadraticGaussian (two peaks)": QuadraticGaussian(),
        "BinomialPrevalence (skewed)": BinomialPrevalence(),
        "LogisticGrowth (r; K unknown)": LogisticGrowth(x0=10.0),
        "SIR (R0; rho unknown)": SIR(gamma=1 / 7, i0=5e-4),
        "SEIR (R0; rho unknown)": SEIR(gamma=1 / 7, sigma=1 / 4, i0=5e-4),
    }
    if quick:
        keep = ("LinearGaussian", "QuadraticGaussian (two peaks)")
        return {name: found[name] for name in keep}
    return found


def score(reference: Any, mean: Any, lower: Any = None, upper: Any = None) -> dict:
    """Posterior-mean error and interval mass of one method's predictions.

    Parameters
    ----------
    reference : ReferencePosterior
        Of the test observations.
    mean : array-like
        Predicted posterior means, shaped like ``reference.mean``.
    lower, upper : array-like, optional
        Predicted 90% intervals; NaN scores when absent.

    Returns
    -------
    dict
        ``posterior_mean_error`` (mean squared distance), the same over the
        mean posterior variance, and the mean and worst-decile mean of the
        reference mass inside the intervals.
    """
    distance = posterior_mean_distance(reference, mean)
    variance = np.mean(np.asarray(reference.std) ** 2)
    out = {
        "posterior_mean_error": float(np.mean(distance)),
        "error / posterior var": float(np.mean(distance) / variance),
    }
    if lower is None or upper is None:
        out.update({"mass in 90%": np.nan, "mass in 90%, worst decile": np.nan})
        return out
    mass = np.sort(np.ravel(posterior_mass_inside(reference, lower, upper)))
    worst = mass[: max(1, len(mass) // 10)]
    out.update(
        {
            "mass in 90%": float(mass.mean()),
            "mass in 90%, worst decile": float(worst.mean()),
        }
    )
    return out


def _box_prior(sim: Any) -> Any:
    """sbi's prior over the one target: the simulator's prior of it."""
    import torch
    from sbi.utils import BoxUniform

    if isinstance(sim, LinearGaussian):
        return torch.distributions.Independent(
            torch.distributions.Normal(
                torch.full((1,), float(sim.prior_mean)),
                torch.full((1,), float(sim.prior_std)),
            ),
            1,
        )
    low, high = getattr(sim, sim.target_names[0])
    return BoxUniform(torch.tensor([float(low)]), torch.tensor([float(high)]))


def _npe(sim: Any, train: Any, X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """sbi's NPE (its defaults) on the target: mean and 90% interval of samples."""
    import torch
    from sbi.inference import NPE

    torch.manual_seed(seed)
    theta = torch.as_tensor(np.asarray(train.y, dtype=np.float32).reshape(-1, 1))
    x = torch.as_tensor(train.X.astype(np.float32))
    inference = NPE(prior=_box_prior(sim), show_progress_bars=False)
    inference.append_simulations(theta, x).train()
    posterior = inference.build_posterior()
    samples = posterior.sample_batched(
        (NPE_SAMPLES,),
        x=torch.as_tensor(X.astype(np.float32)),
        show_progress_bars=False,
    )[..., 0].numpy()
    tail = (1 - COVERAGE) / 2
    lower, upper = np.quantile(samples, [tail, 1 - tail], axis=0)
    return {"mean": samples.mean(axis=0), "lower": lower, "upper": upper}


def _have_sbi() -> bool:
    try:
        import sbi  # noqa: F401
    except ImportError:
        return False
    return True


def option_label(params: dict[str, Any]) -> str:
    """The method name of an option row (an ensemble, the previous defaults).

    Its options as passed, after the class name.

    Examples
    --------
    >>> option_label({"n_estimators": 5, "hidden_layer_sizes": "auto"})
    "SimulationGroundedRegressor (n_estimators=5, hidden_layer_sizes='auto')"
    """
    options = ", ".join(f"{key}={value!r}" for key, value in params.items())
    return f"SimulationGroundedRegressor ({options})"


def _run_seed(
    name: str,
    sim: Any,
    test: Any,
    reference: Any,
    n: int,
    seed: int,
    npe: bool,
    options: tuple[dict[str, Any], ...] = OPTIONS,
) -> list[dict[str, Any]]:
    """Every method on one problem and seed, on the same simulations.

    The option rows (``options``: ensembles, the previous defaults) come last:
    the default, MLPRegressor and NPE rows are those of a run without them.
    """
    base = {"problem": name, "n_simulations": n, "seed": seed}
    rows = []

    def add(method: str, t: dict[str, float], mean: Any, lower=None, upper=None):
        mean = np.asarray(mean, dtype=float).reshape(np.shape(reference.mean))
        mse = float(np.mean((mean - np.reshape(test.y, mean.shape)) ** 2))
        rows.append(
            {
                **base,
                "method": method,
                "cpu_s": t["cpu_s"],
                "wall_s": t["wall_s"],
                **score(reference, mean, lower, upper),
                "mse_vs_truth": mse,
            }
        )

    est = SimulationGroundedRegressor(sim, n, random_state=seed)
    with timed() as t_sgnn:
        est.fit()
    lower, upper = est.predict_interval(test.X, COVERAGE)
    mean = est.predict(test.X)
    add("SimulationGroundedRegressor (default)", t_sgnn, mean, lower, upper)

    # The very simulations the SGNN trained on (same seed, same chunks).
    with timed() as t_sim:
        train = simulate_chunked(sim, n, random_state=est._seeds["simulate"])
    mlp = make_pipeline(
        StandardScaler(), MLPRegressor(early_stopping=True, random_state=seed)
    )
    with timed() as t_mlp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp.fit(train.X, np.ravel(train.y))
    add(
        "MLPRegressor (StandardScaler, early_stopping)",
        _sum(t_sim, t_mlp),
        mlp.predict(test.X),
    )
    if npe:
        with timed() as t_npe, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = _npe(sim, train, test.X, seed)
        add(
            f"sbi NPE ({NPE_SAMPLES} samples)",
            _sum(t_sim, t_npe),
            out["mean"],
            out["lower"],
            out["upper"],
        )
    for params in options:
        other = SimulationGroundedRegressor(sim, n, random_state=seed, **params)
        with timed() as t_other, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other.fit()
        lower, upper = other.predict_interval(test.X, COVERAGE)
        add(option_label(params), t_other, other.predict(test.X), lower, upper)
    return rows


def _sum(*times: dict[str, float]) -> dict[str, float]:
    return {key: sum(t[key] for t in times) for key in ("cpu_s", "wall_s")}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per problem and method: each figure's mean over the seeds."""
    out: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row["problem"], row["n_simulations"], row["method"])
        out.setdefault(key, {"problem": key[0], "n_simulations": key[1]})
        out[key].setdefault("method", key[2])
        out[key].setdefault("_rows", []).append(row)
    summary = []
    for entry in out.values():
        seeds = entry.pop("_rows")
        entry["seeds"] = ",".join(str(r["seed"]) for r in seeds)
        for field in seeds[0]:
            if field in ("problem", "n_simulations", "method", "seed"):
                continue
            entry[field] = float(np.mean([r[field] for r in seeds]))
        summary.append(entry)
    return summary


def run(quick: bool, seeds: Any = None, partial: Path | None = None) -> dict[str, Any]:
    """Score every method on every problem; rows also go to ``partial`` as they come.

    A long run that is stopped keeps the problems it finished there.
    """
    budget = dict(QUICK if quick else FULL)
    if seeds is not None:
        budget["seeds"] = tuple(seeds)
    npe = _have_sbi()
    per_seed, notes = [], []
    for name, sim in problems(quick).items():
        test = sim.simulate(budget["n_test"], random_state=SEED + 1)
        with timed() as t_ref, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reference = reference_posterior(sim, test.X, random_state=SEED)
        notes.append(
            f"{name}: reference posterior {reference.method}, "
            f"{int(reference.converged.sum())}/{len(test.X)} observations converged "
            f"(largest change of a posterior mean on doubling the grid "
            f"{float(reference.change.max()):.2g} posterior sd), median ESS "
            f"{float(np.median(reference.ess)):.0f}, {t_ref['cpu_s']:.0f} s CPU"
            + "".join(f"; warning: {w.message}" for w in caught)
        )
        for seed in budget["seeds"]:
            per_seed += _run_seed(
                name, sim, test, reference, budget["n_simulations"], seed, npe
            )
            if partial is not None:
                partial.parent.mkdir(parents=True, exist_ok=True)
                content = {"per_seed": per_seed, "notes": notes}
                partial.write_text(json.dumps(content, indent=1, default=float))
    notes += [
        "All methods learn from the same simulations (the SGNN's own, re-drawn "
        "with its seed) and are scored on the same test observations; each "
        "figure is the mean over seeds "
        + ", ".join(str(s) for s in budget["seeds"])
        + " (per-seed rows in results.json, 'per_seed').",
        "posterior_mean_error: mean squared distance of the predicted mean to "
        "the reference posterior mean; 'error / posterior var' divides it by "
        "the mean posterior variance (the Bayes risk). mse_vs_truth: against "
        "the true parameter (it adds the Bayes risk).",
        "mass in 90%: reference posterior mass inside the predicted 90% "
        "interval, mean over test observations; worst decile: mean over the "
        "tenth of observations with the least mass. MLPRegressor gives no "
        "interval; NPE's is the 5%-95% range of its samples.",
        "cpu_s: CPU seconds of this process (torch with one thread), "
        "simulation included for every method; NPE's includes drawing "
        f"{NPE_SAMPLES} posterior samples per test observation.",
    ]
    if not npe:
        notes.append(
            "sbi is not installed: NPE skipped (pip install -e '.[benchmarks]')."
        )
    return {"rows": summarise(per_seed), "per_seed": per_seed, "notes": notes}
