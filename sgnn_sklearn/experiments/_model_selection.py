"""Experiment ``model-selection``: which mechanism generated a series.

Two tasks, each with the simulators' default priors:

- growth: exponential vs logistic vs Gompertz growth;
- epidemic: SIR vs SEIR, from reported daily incidence.

For each noise level and series length, the simulation-grounded classifier
(trained on an equal mixture of the mechanisms) is compared on the same
held-out series with :class:`~sgnn_sklearn.baselines.AICModelSelector` under
AIC and under BIC, and with the Bayes-optimal classifier: the mechanism with
the largest marginal likelihood, integrated numerically over its prior (by
:func:`~sgnn_sklearn.experiments._evidence.grid_log_evidence`, a lattice
quadrature, for the growth laws, and by :func:`log_marginal_likelihood`,
importance sampling, for the epidemics). No method can beat the Bayes-optimal
error except by chance on a finite test set. The integral's convergence is
shown by the decisions that change with a quarter of the draws or nodes:
none of 400 in each growth setting, 16-23 s of CPU per setting for both
resolutions (seed 0); the epidemics' importance sampler changed 3.2-9.0%
of them at the last full run, above the 1% target.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy.special import gammaln, logsumexp

from ..baselines import AICModelSelector
from ..demo import log_counts
from ..estimators import SimulationGroundedClassifier
from ..simulators import (
    SEIR,
    SIR,
    ExponentialGrowth,
    GompertzGrowth,
    LogisticGrowth,
    MixtureSimulator,
)
from ..simulators._prior import as_generator
from ._evidence import (
    GRID_STEP,
    MAX_PROPOSAL_STD,
    _log_likelihood,
    _log_prior_logit,
    _ReportingRateIntegrated,
    _UniformBox,
    grid_log_evidence,
    laplace_at_mode,
)
from ._result import ExperimentResult
from ._ridge_evidence import RIDGE_STEP, ridge_log_evidence

# Budgets. Quick: one setting per task, 17 s on 2 idle cores. Full: two noise
# levels by two series lengths per task, 532 s on 2 idle cores with 1,000
# draws; the Bayes integral with 2,000 draws took 87 s and 120 s of CPU in the
# two Poisson epidemic settings (30 and 60 days), the growth laws' lattice
# quadrature 16-23 s per setting (both resolutions, 400 series).
QUICK: dict[str, Any] = {
    "noises": ("negbin k=10",),
    "growth_lengths": (30,),
    "epidemic_lengths": (60,),
    "n_simulations": 3_000,
    "max_epochs": 20,
    "n_test": 80,
    "n_draws": 400,
}
FULL: dict[str, Any] = {
    "noises": ("poisson", "negbin k=10"),
    "growth_lengths": (15, 30),
    "epidemic_lengths": (30, 60),
    "n_simulations": 20_000,
    "max_epochs": 30,
    "n_test": 400,
    "n_draws": 2_000,
}

# Observation models by label: the keyword arguments given to every simulator.
NOISES: dict[str, dict[str, Any]] = {
    "poisson": {"noise": "poisson"},
    "negbin k=10": {"noise": "negbin", "dispersion": 10.0},
    "negbin k=3": {"noise": "negbin", "dispersion": 3.0},
}

COLUMNS = [
    "task",
    "noise",
    "length",
    "n_test",
    "SGNN error",
    "AIC error",
    "BIC error",
    "Bayes error",
    "SGNN/AIC",
    "SGNN/Bayes",
    "Bayes error, 1/4 draws",
    "SGNN expected error",
    "Bayes expected error",
    "SGNN/Bayes expected",
]

# Share of the importance draws taken from the prior itself: it bounds each
# weight by 1 / DEFENSIVE times the likelihood, so a poor Laplace proposal
# costs variance, never bias or an infinite variance.
DEFENSIVE = 0.2
# Degrees of freedom of the Student-t proposal around the likelihood's peak.
PROPOSAL_DF = 3.0
# Smallest proposal standard deviation of an adapted component: a round whose
# weight sits on one draw must not collapse the next proposal onto it.
MIN_PROPOSAL_STD = 1e-3
# Adaptation rounds of the importance proposal, each of half the draws.
ADAPT_ROUNDS = 3
# t kernels of the adapted kernel-mixture proposal, at draws resampled by weight.
KERNELS = 100
# How each task's marginal likelihoods are integrated. The growth laws' (two or
# three parameters, compact posteriors) by the lattice quadrature: no decision
# of 400 per setting changed between its step and a quarter of the nodes
# (seed 0), against 0.0-3.2% between 500 and 2,000 importance draws. The
# epidemics' by importance sampling: their posterior is a thin curved ridge
# (growth rate known to 1%, R0 and the recovery rate not) that a lattice
# scaled at the mode does not resolve. The quadrature along the ridge
# ("ridge", ridge_log_evidence) changed as many decisions as the importance
# sampler (2 of the first 100 Poisson 30-day test series) at 15 times its CPU.
INTEGRAL = {"growth": "grid", "epidemic": "importance"}
# Share of series whose Bayes classification changes between the two
# resolutions above which the integral is reported as not converged.
MAX_BAYES_FLIPS = 0.01


def growth_candidates(length: int, noise: str) -> list[tuple[str, Any]]:
    """Exponential, logistic and Gompertz growth with default priors.

    Parameters
    ----------
    length : int
        Number of observation times.
    noise : str
        A key of ``NOISES``.

    Returns
    -------
    list of (str, simulator)

    Examples
    --------
    >>> [name for name, _ in growth_candidates(20, "poisson")]
    ['exponential', 'logistic', 'gompertz']
    """
    kwargs = NOISES[noise]
    return [
        ("exponential", ExponentialGrowth(length, **kwargs)),
        ("logistic", LogisticGrowth(length, **kwargs)),
        ("gompertz", GompertzGrowth(length, **kwargs)),
    ]


def epidemic_candidates(length: int, noise: str) -> list[tuple[str, Any]]:
    """SIR and SEIR with default priors.

    Parameters
    ----------
    length : int
        Number of observed days.
    noise : str
        A key of ``NOISES``.

    Returns
    -------
    list of (str, simulator)

    Examples
    --------
    >>> [name for name, _ in epidemic_candidates(30, "negbin k=10")]
    ['SIR', 'SEIR']
    """
    kwargs = NOISES[noise]
    return [("SIR", SIR(length, **kwargs)), ("SEIR", SEIR(length, **kwargs))]


def _log_student_t(
    z: np.ndarray, centers: np.ndarray, scale: np.ndarray, log_det: np.ndarray
) -> np.ndarray:
    """Log density of an equal mixture of multivariate t's sharing one scale.

    ``centers`` has shape (n_series, n_centers, n_free) (one center: a
    single t); each t has ``cov = scale @ scale.T`` and log-determinant of
    that covariance ``log_det``.
    """
    n_free = z.shape[2]
    df = PROPOSAL_DF
    constant = (
        gammaln((df + n_free) / 2)
        - gammaln(df / 2)
        - 0.5 * n_free * np.log(df * np.pi)
        - 0.5 * log_det[:, None]
        - np.log(centers.shape[1])
    )
    out = np.empty(z.shape[:2])
    # In blocks of series: the draws-by-centers distances are the big array.
    per_block = max(1, 4_000_000 // (z.shape[1] * centers.shape[1]))
    for start in range(0, len(z), per_block):
        rows = slice(start, start + per_block)
        white_z = np.linalg.solve(scale[rows, None], z[rows, ..., None])[..., 0]
        white_c = np.linalg.solve(scale[rows, None], centers[rows, ..., None])[..., 0]
        distance = np.sum((white_z[:, :, None] - white_c[:, None]) ** 2, axis=3)
        out[rows] = logsumexp(-0.5 * (df + n_free) * np.log1p(distance / df), axis=2)
    return out + constant


def log_marginal_likelihood(
    simulator: Any,
    X: Any,
    *,
    n_draws: int,
    proposal: str = "laplace",
    random_state: Any = None,
) -> np.ndarray:
    """Log marginal likelihood of each series, integrated over the prior.

    ``log p(x) = log E_prior[p(x | theta)]``, estimated by importance
    sampling with the simulator's own ``log_likelihood``. The free
    parameters must have uniform ``(low, high)`` priors (the built-in
    defaults). On the logit scale of the prior box, the proposal for each
    series is a defensive mixture: with probability 0.2 the prior itself,
    else Student-t components (3 degrees of freedom): one at the posterior
    mode with the Laplace covariance there (found by damped Newton steps
    from the maximum-likelihood point), and, refitted to the weighted draws
    in each of ``ADAPT_ROUNDS`` rounds of ``n_draws // 2`` draws (population
    Monte Carlo), one with their mean and widened covariance and a mixture
    of ``KERNELS`` narrow t kernels at draws resampled by weight (which
    follows curved and lopsided posteriors). Only the final ``n_draws``
    draws enter the estimate, which is therefore unbiased for ``p(x)``; the
    prior component bounds every weight. ``proposal="prior"`` draws from
    the prior only: plain Monte Carlo, which needs far more draws when the
    data are informative.

    For SIR and SEIR with Poisson noise and a free reporting rate ``rho``,
    ``rho`` is integrated exactly (an incomplete gamma function: the mean is
    linear in it) and the draws cover the other parameters: the ``rho``
    against ``i0`` ridge is what defeated the proposals before.

    Parameters
    ----------
    simulator : simulator with a likelihood
        Has ``log_likelihood(params, X)``, ``param_bounds()``,
        ``sample_params`` and uniform priors.
    X : array-like of shape (n_series, n_features)
        Observed series.
    n_draws : int
        Importance draws per series.
    proposal : {"laplace", "prior"}, default="laplace"
        The importance distribution.
    random_state : int, Generator, RandomState or None, default=None
        Seeds the draws and the maximum-likelihood starts.

    Returns
    -------
    ndarray of shape (n_series,)

    Examples
    --------
    With one observation ``x ~ Poisson(x0)`` and ``x0 ~ U(5, 20)`` the
    answer is known: ``(P(x + 1, 20) - P(x + 1, 5)) / 15`` with ``P`` the
    regularised lower incomplete gamma function.

    >>> import numpy as np
    >>> from scipy.special import gammainc
    >>> from sgnn_sklearn.simulators import ExponentialGrowth
    >>> sim = ExponentialGrowth(n_times=1, noise="poisson")
    >>> X = np.array([[8.0], [15.0]])
    >>> exact = np.log((gammainc(X[:, 0] + 1, 20) - gammainc(X[:, 0] + 1, 5)) / 15)
    >>> estimate = log_marginal_likelihood(sim, X, n_draws=4000, random_state=0)
    >>> bool(np.abs(estimate - exact).max() < 0.02)
    True
    """
    if proposal not in ("laplace", "prior"):
        raise ValueError(f"proposal must be 'laplace' or 'prior'; got {proposal!r}.")
    if not (isinstance(n_draws, int | np.integer) and n_draws >= 1):
        raise ValueError(f"n_draws must be a positive integer; got {n_draws!r}.")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_series, n_features); got {X.shape}.")
    rng = as_generator(random_state)
    if proposal == "prior":
        box = _UniformBox.of(simulator)
        if _ReportingRateIntegrated.applies(simulator):
            simulator = _ReportingRateIntegrated(simulator, box)
            box = box.fixing(simulator.column)
        prior_z = rng.logistic(size=(len(X), n_draws, len(box.free)))
        log_weights = _log_likelihood(simulator, box, X, prior_z)
        return logsumexp(log_weights, axis=1) - np.log(n_draws)

    simulator, box, center, scale, log_det = laplace_at_mode(simulator, X, rng)
    components = [(center[:, None], scale, log_det)]
    # Population Monte Carlo: each round refits a t component to the weighted
    # draws so far; only the last round's draws give the estimate, so the
    # adaptation biases nothing.
    for _ in range(ADAPT_ROUNDS):
        z, log_weights = _importance_draws(
            simulator, box, X, components, max(n_draws // 2, 2), rng
        )
        components = [components[0], *_weighted_components(z, log_weights, rng)]
    _, log_weights = _importance_draws(simulator, box, X, components, n_draws, rng)
    return logsumexp(log_weights, axis=1) - np.log(n_draws)


def _importance_draws(
    simulator: Any,
    box: _UniformBox,
    X: np.ndarray,
    components: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    n_draws: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draws from the defensive mixture, and their log importance weights."""
    n_series, n_free = len(X), len(box.free)
    shares = [DEFENSIVE] + [(1 - DEFENSIVE) / len(components)] * len(components)
    which = rng.choice(len(shares), size=(n_series, n_draws), p=shares)
    z = rng.logistic(size=(n_series, n_draws, n_free))
    for c, (centers, scale, _) in enumerate(components, start=1):
        pick = rng.integers(centers.shape[1], size=(n_series, n_draws))
        center = np.take_along_axis(centers, pick[..., None], axis=1)
        gauss = rng.standard_normal((n_series, n_draws, n_free))
        radius = np.sqrt(PROPOSAL_DF / rng.chisquare(PROPOSAL_DF, (n_series, n_draws)))
        t_z = center + np.einsum("nij,nsj->nsi", scale, gauss) * radius[..., None]
        z = np.where((which == c)[..., None], t_z, z)
    log_prior = _log_prior_logit(z)
    log_proposal = logsumexp(
        [np.log(shares[0]) + log_prior]
        + [
            np.log(share) + _log_student_t(z, *component)
            for share, component in zip(shares[1:], components, strict=True)
        ],
        axis=0,
    )
    log_weights = _log_likelihood(simulator, box, X, z) + log_prior - log_proposal
    return z, log_weights


def _weighted_components(
    z: np.ndarray, log_weights: np.ndarray, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Two proposals fitted to the weighted draws: a global t and a t kernel mixture.

    The global t has the weighted mean and (widened) covariance of the
    draws. The kernel mixture puts ``KERNELS`` t's at draws resampled by
    weight, each with that covariance shrunk by Silverman's bandwidth: it
    follows a curved or lopsided posterior that one ellipsoid covers only
    by being far too wide.
    """
    n_series, _, n_free = z.shape
    weights = np.exp(log_weights - logsumexp(log_weights, axis=1, keepdims=True))
    weights = np.nan_to_num(weights)
    center = np.einsum("ns,nsk->nk", weights, z)
    deviation = z - center[:, None]
    cov = np.einsum("ns,nsi,nsj->nij", weights, deviation, deviation)
    eigenvalues, vectors = np.linalg.eigh(cov)
    eigenvalues = np.clip(eigenvalues, MIN_PROPOSAL_STD**2, MAX_PROPOSAL_STD**2)
    # Widened: a proposal a little wider than the target costs little
    # variance, one narrower than it in some direction costs a lot.
    widened = vectors * np.sqrt(2.0 * eigenvalues)[:, None, :]
    log_det = np.sum(np.log(eigenvalues), axis=1)
    bandwidth = (4.0 / (n_free + 2) / KERNELS) ** (1.0 / (n_free + 4))
    narrow = vectors * (bandwidth * np.sqrt(eigenvalues))[:, None, :]
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= np.maximum(cumulative[:, -1:], 1e-300)
    picks = np.minimum(
        (cumulative[:, None, :] < rng.random((n_series, KERNELS, 1))).sum(axis=2),
        z.shape[1] - 1,
    )
    kernels = np.take_along_axis(z, picks[..., None], axis=1)
    return [
        (center[:, None], widened, log_det + n_free * np.log(2.0)),
        (kernels, narrow, log_det + 2 * n_free * np.log(bandwidth)),
    ]


def bayes_posterior(log_evidence: np.ndarray, weights: Any = None) -> np.ndarray:
    """Posterior probability of each mechanism from log marginal likelihoods.

    Parameters
    ----------
    log_evidence : ndarray of shape (n_series, n_mechanisms)
        ``log p(x | mechanism)``.
    weights : array-like of shape (n_mechanisms,), default=None
        Prior probabilities of the mechanisms; equal when None.

    Returns
    -------
    ndarray of shape (n_series, n_mechanisms)

    Examples
    --------
    >>> import numpy as np
    >>> bayes_posterior(np.log([[1.0, 3.0]])).round(2)
    array([[0.25, 0.75]])
    """
    log_evidence = np.asarray(log_evidence, dtype=float)
    n_mechanisms = log_evidence.shape[1]
    if weights is None:
        weights = np.full(n_mechanisms, 1.0 / n_mechanisms)
    log_joint = log_evidence + np.log(np.asarray(weights, dtype=float))
    return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))


def posterior_risk(posterior: np.ndarray, names: Any, predicted: Any) -> np.ndarray:
    """Posterior probability that each decision is wrong: 1 - p(decision | x).

    Its mean over test series estimates a classifier's error rate against
    the posterior itself, without the label noise of counting its mistakes
    on the series' true mechanisms (a series whose posterior is near 1/2
    adds about 1/2 either way, whatever mechanism drew it).

    Parameters
    ----------
    posterior : ndarray of shape (n_series, n_mechanisms)
        Posterior probability of each mechanism, columns in ``names`` order.
    names : sequence of str
        The mechanisms' names.
    predicted : array-like of shape (n_series,)
        The mechanism each series was assigned to.

    Returns
    -------
    ndarray of shape (n_series,)
        ``1 - posterior[i, predicted[i]]``.

    Examples
    --------
    >>> import numpy as np
    >>> posterior = np.array([[0.9, 0.1], [0.4, 0.6]])
    >>> posterior_risk(posterior, ["a", "b"], ["a", "a"]).round(2)
    array([0.1, 0.6])
    """
    names = list(names)
    predicted = np.asarray(predicted)
    unknown = sorted(set(predicted.tolist()) - set(names))
    if unknown:
        raise ValueError(f"predicted holds {unknown}, not among the names {names}.")
    columns = np.array([names.index(p) for p in predicted.tolist()], dtype=int)
    return 1.0 - posterior[np.arange(len(columns)), columns]


def bayes_errors(
    candidates: list[tuple[str, Any]],
    X: np.ndarray,
    truth: np.ndarray,
    n_draws: int,
    seed: int,
    *,
    method: str = "importance",
) -> dict[str, Any]:
    """Errors of the Bayes-optimal classifier from two resolutions of the integral.

    Parameters
    ----------
    candidates : list of (str, simulator)
        The mechanisms, equally likely a priori.
    X : ndarray of shape (n_series, n_features)
        Test series.
    truth : ndarray of shape (n_series,)
        The name of the mechanism that generated each series.
    n_draws : int
        Importance draws per series and mechanism of the full estimate (the
        second has a quarter of them); unused by the grid.
    seed : int
        Seeds both estimates (independently drawn).
    method : {"importance", "grid", "ridge"}, default="importance"
        ``"importance"``: :func:`log_marginal_likelihood` with ``n_draws``
        and ``n_draws // 4`` draws. ``"grid"``: :func:`grid_log_evidence`
        with its default step and a step ``4 ** (1 / d)`` times larger for a
        mechanism with ``d`` parameters to integrate (a quarter of the
        nodes a Gaussian posterior needs). ``"ridge"``: the same with
        :func:`~sgnn_sklearn.experiments._ridge_evidence.ridge_log_evidence`.

    Returns
    -------
    dict
        ``"full"`` and ``"quarter"``: the error, the expected error (mean of
        1 - max posterior), the predictions and the posterior probabilities
        (one column per candidate, in their order); ``"flips"``: the share of
        series whose prediction differs between the two; ``"max_delta"``:
        the largest difference of a log evidence between the two.

    Examples
    --------
    >>> import numpy as np
    >>> candidates = growth_candidates(10, "poisson")[:2]
    >>> X = np.array([[5.0 * 1.2**t for t in range(10)]]).round()
    >>> out = bayes_errors(candidates, X, np.array(["exponential"]), 40, 0)
    >>> sorted(out), out["full"]["predicted"].shape
    (['flips', 'full', 'max_delta', 'quarter'], (1,))
    """
    if method not in ("importance", "grid", "ridge"):
        raise ValueError(
            f"method must be 'importance', 'grid' or 'ridge'; got {method!r}."
        )
    names = np.asarray([name for name, _ in candidates])
    bayes: dict[str, Any] = {}
    evidences = []
    for label, draws in (("full", n_draws), ("quarter", n_draws // 4)):
        rng = np.random.default_rng([seed, draws])
        evidence = np.column_stack(
            [
                _log_evidence(simulator, X, method, label, draws, rng)
                for _, simulator in candidates
            ]
        )
        evidences.append(evidence)
        posterior = bayes_posterior(evidence)
        predicted = names[np.argmax(posterior, axis=1)]
        bayes[label] = {
            "error": float(np.mean(predicted != truth)),
            "expected": float(np.mean(1.0 - posterior.max(axis=1))),
            "predicted": predicted,
            "posterior": posterior,
        }
    bayes["flips"] = float(
        np.mean(bayes["full"]["predicted"] != bayes["quarter"]["predicted"])
    )
    bayes["max_delta"] = float(np.abs(evidences[0] - evidences[1]).max())
    return bayes


def _log_evidence(
    simulator: Any,
    X: np.ndarray,
    method: str,
    label: str,
    n_draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """One mechanism's log evidence at the full or the quarter resolution."""
    if method == "importance":
        return log_marginal_likelihood(simulator, X, n_draws=n_draws, random_state=rng)
    step = GRID_STEP if method == "grid" else RIDGE_STEP
    if label == "quarter":
        n_free = len(_UniformBox.of(simulator).free)
        n_free -= int(_ReportingRateIntegrated.applies(simulator))
        step *= 4.0 ** (1.0 / n_free)
    integral = grid_log_evidence if method == "grid" else ridge_log_evidence
    return integral(simulator, X, step=step, random_state=rng)


def _run_setting(
    task: str,
    candidates: list[tuple[str, Any]],
    budget: dict[str, Any],
    seed: int,
) -> dict[str, Any]:
    """Fit and score every method on one task, noise level and length."""
    seeds = np.random.SeedSequence(seed).generate_state(4)
    mixture = MixtureSimulator(candidates)
    test = mixture.simulate(budget["n_test"], random_state=int(seeds[0]))
    truth = np.asarray(test.mechanism)
    seconds = {}

    start = time.perf_counter()
    sgnn = SimulationGroundedClassifier(
        mixture,
        n_simulations=budget["n_simulations"],
        max_epochs=budget["max_epochs"],
        preprocessor=log_counts(),
        memory_bank_size=0,
        random_state=int(seeds[1]),
    ).fit()
    sgnn_predicted = sgnn.predict(test.X)
    errors = {"SGNN": float(np.mean(sgnn_predicted != truth))}
    seconds["SGNN"] = time.perf_counter() - start

    for criterion in ("aic", "bic"):
        start = time.perf_counter()
        selector = AICModelSelector(
            candidates, criterion=criterion, random_state=int(seeds[2])
        ).fit(test.X)
        errors[criterion.upper()] = float(np.mean(selector.predict(test.X) != truth))
        seconds[criterion.upper()] = time.perf_counter() - start

    start = time.perf_counter()
    bayes = bayes_errors(
        candidates,
        test.X,
        truth,
        budget["n_draws"],
        int(seeds[3]),
        method=INTEGRAL[task],
    )
    seconds["Bayes"] = time.perf_counter() - start
    posterior = bayes["full"]["posterior"]
    names = [name for name, _ in candidates]
    sgnn_risk = posterior_risk(posterior, names, sgnn_predicted)
    excess = sgnn_risk - (1.0 - posterior.max(axis=1))
    return {
        "task": task,
        "errors": errors,
        "bayes": bayes,
        "expected": {
            "SGNN": float(np.mean(sgnn_risk)),
            "Bayes": bayes["full"]["expected"],
            "excess_se": float(np.std(excess, ddof=1) / np.sqrt(len(excess))),
        },
        "seconds": seconds,
    }


def run(*, quick: bool, seed: int) -> ExperimentResult:
    """Run the model-selection experiment.

    Parameters
    ----------
    quick : bool
        Small budgets (``QUICK``) instead of the full ones (``FULL``).
    seed : int
        Seeds test sets, training simulations, networks and integrators.

    Returns
    -------
    ExperimentResult
    """
    budget = QUICK if quick else FULL
    settings: list[tuple[str, str, int, list[tuple[str, Any]]]] = []
    for noise in budget["noises"]:
        for length in budget["growth_lengths"]:
            settings.append(("growth", noise, length, growth_candidates(length, noise)))
    for noise in budget["noises"]:
        for length in budget["epidemic_lengths"]:
            settings.append(
                ("epidemic", noise, length, epidemic_candidates(length, noise))
            )
    rows, outcomes, notes = [], [], []
    for k, (task, noise, length, candidates) in enumerate(settings):
        outcome = _run_setting(task, candidates, budget, seed * 1000 + k)
        outcome.update(noise=noise, length=length)
        outcomes.append(outcome)
        errors, bayes = outcome["errors"], outcome["bayes"]
        n_test = budget["n_test"]
        floor = 1.0 / n_test
        rows.append(
            [
                task,
                noise,
                length,
                n_test,
                errors["SGNN"],
                errors["AIC"],
                errors["BIC"],
                bayes["full"]["error"],
                errors["SGNN"] / max(errors["AIC"], floor),
                errors["SGNN"] / max(bayes["full"]["error"], floor),
                bayes["quarter"]["error"],
                outcome["expected"]["SGNN"],
                outcome["expected"]["Bayes"],
                outcome["expected"]["SGNN"] / max(outcome["expected"]["Bayes"], floor),
            ]
        )
        notes.append(_verdict(outcome, n_test))
    notes += _method_notes(budget)
    return ExperimentResult(
        name="model-selection",
        columns=list(COLUMNS),
        rows=rows,
        settings={
            "seed": seed,
            "mode": "quick" if quick else "full",
            **{k: v for k, v in budget.items() if k not in ("noises",)},
            "noises": list(budget["noises"]),
        },
        notes=notes,
        figure=_figure(outcomes),
    )


def _verdict(outcome: dict[str, Any], n_test: int) -> str:
    errors, bayes = outcome["errors"], outcome["bayes"]
    sgnn, aic, limit = errors["SGNN"], errors["AIC"], bayes["full"]["error"]
    # Binomial standard error of the SGNN's error rate on n_test series.
    se = np.sqrt(max(sgnn * (1 - sgnn), 1.0 / n_test) / n_test)
    half = "holds" if sgnn <= 0.5 * aic else "fails"
    near = "holds" if sgnn <= 1.05 * limit else "fails"
    convergence = (
        f"The Bayes classifiers from all and a quarter of the draws (or lattice "
        f"nodes) disagree on "
        f"{bayes['flips']:.1%} of the series"
    )
    if bayes["flips"] > MAX_BAYES_FLIPS:
        convergence += (
            ": the integral may not have converged (a flip of a series whose "
            "posterior is near 1/2 costs little error), so the comparison with "
            "the Bayes error is uncertain"
        )
    expected = outcome["expected"]
    within = expected["SGNN"] <= 1.05 * expected["Bayes"]
    against_posterior = (
        f"Against the posterior itself (mean over series of the posterior "
        f"probability that the decision is wrong, free of label noise): SGNN "
        f"{expected['SGNN']:.4f} vs Bayes {expected['Bayes']:.4f}, ratio "
        f"{expected['SGNN'] / max(expected['Bayes'], 1 / n_test):.3f} (target "
        f"<= 1.05 {'holds' if within else 'fails'}), excess "
        f"{expected['SGNN'] - expected['Bayes']:.4f} "
        f"(s.e. {expected['excess_se']:.4f})"
    )
    return (
        f"{outcome['task']}, {outcome['noise']}, length {outcome['length']}: "
        f"SGNN {sgnn:.3f} vs AIC {aic:.3f} (ratio {sgnn / max(aic, 1 / n_test):.2f}; "
        f"target <= 0.5 {half}), vs Bayes {limit:.3f} (ratio "
        f"{sgnn / max(limit, 1 / n_test):.2f}; target <= 1.05 {near}); "
        f"binomial s.e. of the SGNN error about {se:.3f}. Expected Bayes error "
        f"(mean of 1 - max posterior) {bayes['full']['expected']:.3f}. "
        f"{against_posterior}. {convergence}. Seconds: "
        + ", ".join(f"{m} {s:.0f}" for m, s in outcome["seconds"].items())
        + "."
    )


def _method_notes(budget: dict[str, Any]) -> list[str]:
    return [
        "Priors are the simulators' defaults, mechanisms equally likely; all "
        "methods are scored on the same held-out series.",
        f"SGNN: SimulationGroundedClassifier on log1p counts, "
        f"{budget['n_simulations']} simulations, at most {budget['max_epochs']} "
        "epochs with early stopping. AIC and BIC: AICModelSelector with default "
        "optimiser settings.",
        "Bayes: argmax of the posterior from marginal likelihoods integrated "
        "over each prior. Growth: trapezoid rule on a lattice of step 0.7 "
        "Laplace sds on the prior's logit scale, grown from the posterior mode "
        "through every node within e^-14 of the peak. Epidemics: defensive "
        f"importance sampling ({budget['n_draws']} draws per series and "
        "mechanism; t proposals at the posterior mode (Laplace) and refitted to "
        "the weighted draws, with a t-kernel mixture at resampled draws, 20% "
        "prior draws; for Poisson epidemics the reporting rate integrated "
        "exactly). The last column repeats it with a quarter of the draws "
        "(independently drawn) or of the lattice's nodes (step 4^(1/d) times "
        "larger with d parameters): agreement shows convergence (target: under "
        f"{MAX_BAYES_FLIPS:.0%} of decisions change).",
        "Expected errors: the mean over the test series of the Bayes "
        "posterior probability (full resolution) that a decision is wrong, "
        "1 - p(decision | x); for the Bayes classifier 1 - max posterior. "
        "They estimate the same error rates as the counts of mistakes, "
        "without the noise of which mechanism happened to draw each series, "
        "and are as good as the integral (see its convergence above).",
    ]


def _figure(outcomes: list[dict[str, Any]]) -> Any:
    from matplotlib.figure import Figure

    tasks = sorted({o["task"] for o in outcomes}, key=["growth", "epidemic"].index)
    fig = Figure(figsize=(5.5 * len(tasks), 4))
    axes = fig.subplots(1, len(tasks), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        rows = [o for o in outcomes if o["task"] == task]
        x = np.arange(len(rows))
        for method, marker in (("SGNN", "o"), ("AIC", "s"), ("BIC", "^")):
            ax.plot(x, [o["errors"][method] for o in rows], marker=marker, label=method)
        ax.plot(
            x,
            [o["bayes"]["full"]["error"] for o in rows],
            "k--",
            marker="x",
            label="Bayes-optimal",
        )
        ax.set_xticks(x, [f"{o['noise']}\nn={o['length']}" for o in rows], fontsize=8)
        ax.set_ylabel("misclassification rate")
        ax.set_title(task)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
