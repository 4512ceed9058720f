"""Refinement around given observations: rounds of simulation from a truncated prior.

An amortised network spreads its accuracy over the whole prior. For the few
series a user cares about, each round draws fresh simulations from the prior
truncated to a box where the current posterior puts (almost) all its mass,
for every given observation, and trains a new network on them (truncated
sequential neural posterior estimation, Deistler et al. 2022, with the
posterior mean and spread of this package's networks in place of a density
estimator). A prior truncated to a region holding the whole posterior leaves
the posterior unchanged there, so the refined answer is the posterior under
the original prior, with the network's capacity spent where it matters.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..simulators import TruncatedSimulator

if TYPE_CHECKING:
    from ._regressor import SimulationGroundedRegressor

# Below this many simulations a round cannot hold out early stopping's share.
MIN_ROUND_SIMULATIONS = 20
# Networks in the final round's ensemble unless the estimator has more. Once
# the prior is narrowed to the posterior, what is left of a single network's
# error is mostly its training noise: on the boarding-school SIR (posterior
# sd 4-5% of the prior's, 5,000 simulations in the box) three seeds of one
# network missed the exact posterior mean by up to 0.8 posterior sd, five
# members by at most 0.25 (benchmarks/refinement.py). Members cost CPU time,
# not simulations, which is the budget refinement is judged by.
FINAL_MEMBERS = 5


def truncation_box(
    mean: np.ndarray, std: np.ndarray, names: list[str], width: float
) -> dict[str, tuple[float, float]]:
    """The box ``mean +- width * std`` over all rows, per named target.

    Examples
    --------
    >>> truncation_box(np.array([[1.0], [2.0]]), np.array([[0.1], [0.2]]),
    ...                ["theta"], 3.0)
    {'theta': (0.7, 2.6)}
    """
    low = (mean - width * std).min(axis=0)
    high = (mean + width * std).max(axis=0)
    # A spread of zero would make an empty box: keep a sliver around the mean.
    pad = 1e-9 * np.maximum(np.abs(high), 1.0)
    return {
        name: (round(float(low[j] - pad[j]), 12), round(float(high[j] + pad[j]), 12))
        for j, name in enumerate(names)
    }


def refine_around(
    estimator: Any,
    X: Any,
    n_rounds: Any = 2,
    n_simulations: Any = None,
    width: Any = 5.0,
    n_estimators: Any = None,
) -> Any:
    """Rounds of truncated-prior simulation and training; see ``refine``."""
    simulator = estimator.simulator_
    if simulator is None:
        raise ValueError(
            "refine needs an estimator fitted on a simulator; this one was fitted "
            "on labelled data only (fit(X, y) with simulator=None)."
        )
    if isinstance(n_rounds, bool) or not isinstance(n_rounds, Integral) or n_rounds < 1:
        raise ValueError(f"n_rounds must be a positive integer; got {n_rounds!r}.")
    if isinstance(width, bool) or not isinstance(width, Real) or not float(width) > 0:
        raise ValueError(f"width must be a positive number; got {width!r}.")
    if n_simulations is None:
        n_simulations = max(estimator.n_simulations // n_rounds, MIN_ROUND_SIMULATIONS)
    if (
        isinstance(n_simulations, bool)
        or not isinstance(n_simulations, Integral)
        or n_simulations < 1
    ):
        raise ValueError(
            f"n_simulations must be a positive integer; got {n_simulations!r}."
        )
    if n_estimators is None:
        n_estimators = max(int(estimator.n_estimators), FINAL_MEMBERS)
    if (
        isinstance(n_estimators, bool)
        or not isinstance(n_estimators, Integral)
        or n_estimators < 1
    ):
        raise ValueError(
            f"n_estimators must be a positive integer; got {n_estimators!r}."
        )
    original = (
        simulator.simulator if isinstance(simulator, TruncatedSimulator) else simulator
    )
    names = list(estimator.target_names_)
    params = list(getattr(original, "param_names", ()))
    missing = [name for name in names if name not in params]
    if missing:
        raise ValueError(
            f"refine truncates the prior of the targets, so every target must be a "
            f"parameter of the simulator; {missing} are not among "
            f"{type(original).__name__}'s parameters {params}."
        )
    rng = check_random_state(estimator.random_state)
    current = estimator
    for round_ in range(n_rounds):
        mean, std = (
            np.asarray(a, dtype=float).reshape(len(a), -1)
            for a in current.predict(X, return_std=True)
        )
        box = truncation_box(mean, std, names, float(width))
        # Earlier rounds only place the next box; the last one is the answer.
        members = n_estimators if round_ == n_rounds - 1 else estimator.n_estimators
        current = clone(estimator).set_params(
            simulator=TruncatedSimulator(original, box),
            n_simulations=n_simulations,
            n_estimators=members,
            random_state=int(rng.randint(np.iinfo(np.int32).max)),
        )
        current.fit()
    _warn_if_posterior_leaves_box(current, X, names, float(width))
    return current


def _warn_if_posterior_leaves_box(
    estimator: Any, X: Any, names: list[str], width: float
) -> None:
    """Warn when the refined posterior reaches the box's edge (it may be cut)."""
    mean, std = (
        np.asarray(a, dtype=float).reshape(len(a), -1)
        for a in estimator.predict(X, return_std=True)
    )
    bounds = estimator.simulator_.bounds
    low = np.array([bounds[name][0] for name in names])
    high = np.array([bounds[name][1] for name in names])
    reach = width / 2 * std
    outside = (mean - reach < low) | (mean + reach > high)
    if outside.any():
        rows = np.flatnonzero(outside.any(axis=1))
        warnings.warn(
            f"For {len(rows)} of {len(mean)} observations the refined posterior "
            f"(mean +- {width / 2:g} sd) reaches the edge of the truncated prior "
            f"{bounds}: there the truncation may cut the posterior. Refine with "
            "more rounds or a larger width, or refine those rows apart.",
            UserWarning,
            # warn <- _warn_if_posterior_leaves_box <- refine_around <- refine:
            # the caller's line of est.refine(...).
            stacklevel=4,
        )


class RefineMixin:
    """Refine the regressor's posterior around given observations."""

    def refine(
        self,
        X: Any,
        n_rounds: int = 2,
        *,
        n_simulations: int | None = None,
        width: float = 5.0,
        n_estimators: int | None = None,
    ) -> SimulationGroundedRegressor:
        """Refine the posterior around given observations; return a new estimator.

        An amortised network spreads its accuracy over the whole prior. For
        the series in ``X``, each of ``n_rounds`` rounds truncates the prior
        of the targets to the box ``mean +- width * std`` of the current
        posterior (over all rows of ``X``), draws ``n_simulations`` fresh
        simulations from it and trains a clone of this estimator on them
        (truncated sequential neural posterior estimation, Deistler et al.
        2022). With ``preprocessor="auto"`` each round chooses its inputs
        on its own simulations: counts that vary by a small factor around
        a narrow posterior stay raw (see
        :func:`~sgnn_sklearn.preprocessing.auto_preprocessor`). The
        truncation keeps the posterior of the refined series
        unbiased as long as the box holds the whole of it: a prior truncated
        to a region is the same prior there, so the posterior is too. A
        warning says when the refined posterior reaches the box's edge.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The observations to refine for (typically one real series, or a
            few alike: the box covers all of them).
        n_rounds : int, default=2
            Number of rounds of truncation and training.
        n_simulations : int, default=None
            Simulations per round; None gives ``n_simulations // n_rounds``,
            so refinement costs as many simulations as the amortised fit.
        width : float, default=5.0
            Half-width of the box in posterior standard deviations (5 leaves
            out less than 1e-6 of a Gaussian posterior's mass per target).
        n_estimators : int, default=None
            Networks in the ensemble of the last round, whose estimator is
            returned; None gives ``max(self.n_estimators, 5)``. Earlier
            rounds, which only place the next box, train
            ``self.n_estimators``. Once the prior is narrowed, a single
            network's training noise is most of its error; members cost
            training time, not simulations.

        Returns
        -------
        SimulationGroundedRegressor
            A fitted clone (with ``n_estimators`` members) whose
            ``simulator_`` is a
            :class:`~sgnn_sklearn.simulators.TruncatedSimulator`: its
            ``bounds`` are the prior the answer is conditioned on. Valid for
            observations whose posterior lies inside the box (those in ``X``);
            for others use the amortised estimator. Every target must be a
            parameter of the simulator (its prior is what is truncated).

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(noise_std=0.02)
        >>> est = SimulationGroundedRegressor(sim, 1000, max_epochs=20,
        ...                                   random_state=0).fit()
        >>> x = sim.simulate(1, random_state=3).X
        >>> refined = est.refine(x, n_rounds=1)
        >>> low, high = refined.simulator_.bounds["theta0"]  # the prior it used
        >>> bool(low < sim.posterior_mean(x)[0] < high), bool(high - low < 0.5)
        (True, True)
        """
        check_is_fitted(self)
        return refine_around(self, X, n_rounds, n_simulations, width, n_estimators)
