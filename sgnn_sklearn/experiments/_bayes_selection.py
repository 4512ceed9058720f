"""The Bayes-optimal choice of mechanism, from each mechanism's evidence.

The yardstick of the model-selection experiment: the posterior probability
of each mechanism from its log marginal likelihood (integrated by the
lattice quadrature, importance sampling or the quadrature along the ridge),
the errors of deciding by it at two resolutions of the integral, and the
posterior probability that any classifier's decision is wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logsumexp

from ._evidence import _ReportingRateIntegrated, _UniformBox
from ._grid_evidence import GRID_STEP, grid_log_evidence
from ._importance_evidence import log_marginal_likelihood
from ._ridge_evidence import RIDGE_STEP, ridge_log_evidence


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
    >>> from sgnn_sklearn.experiments._model_selection import growth_candidates
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
