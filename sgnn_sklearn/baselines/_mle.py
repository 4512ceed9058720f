"""`MaximumLikelihoodRegressor`: per-series maximum-likelihood estimates of targets."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import HasMethods

from ..simulators._trajectory import substitute_doc
from . import _docs
from ._likelihood import (
    OPTIMISER_CONSTRAINTS,
    LikelihoodFitWarning,
    check_likelihood_simulator,
    maximize_likelihood,
)
from ._validation import validate_fit_data, validate_predict_data


@substitute_doc(
    optimiser=_docs.OPTIMISER,
    n_jobs=_docs.N_JOBS,
    random_state=_docs.RANDOM_STATE,
    notes=_docs.LIKELIHOOD_NOTES,
)
class MaximumLikelihoodRegressor(RegressorMixin, BaseEstimator):
    """Estimate each series' latent targets by maximum likelihood.

    The classical comparator of a simulation-grounded regressor: for each
    input series, the simulator's parameters are fitted by maximum
    likelihood under its own observation model, and its targets are read at
    the fitted parameters (the plug-in estimate).

    Parameters
    ----------
    simulator : simulator with a likelihood
        Needs ``log_likelihood(params, X)``, ``param_bounds()``,
        ``sample_params(n, random_state)`` and ``simulate_from_params``, as
        the built-in growth and epidemic simulators have. Its
        ``target_names`` are the targets predicted.
    %(optimiser)s
    %(n_jobs)s
    %(random_state)s

    Attributes
    ----------
    target_names_ : tuple of str
        The simulator's target names, the columns of ``predict``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sgnn_sklearn.SimulationGroundedRegressor : The posterior mean, amortised.
    RejectionABCRegressor : Approximate Bayesian computation by rejection.
    AICModelSelector : The same fits, to choose between mechanisms.

    Notes
    -----
    %(notes)s

    Targets that are parameters are their estimates; derived targets (such
    as an epidemic's ``beta`` or ``total_infections``) are computed by the
    simulator's own code, ``simulate_from_params`` at the estimates, so they
    must be deterministic functions of the parameters, as in the built-in
    simulators. A failed series gets NaN targets.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.baselines import MaximumLikelihoodRegressor
    >>> from sgnn_sklearn.simulators import LogisticGrowth
    >>> sim = LogisticGrowth(n_times=30, noise="poisson", targets=("r", "K"))
    >>> data = sim.simulate(5, random_state=0)
    >>> mle = MaximumLikelihoodRegressor(sim, random_state=0).fit(data.X)
    >>> estimate = mle.predict(data.X)
    >>> estimate.shape
    (5, 2)
    >>> bool(np.median(np.abs(estimate[:, 0] / data.y[:, 0] - 1)) < 0.1)
    True
    """

    _parameter_constraints: dict = {
        "simulator": [HasMethods(["simulate_from_params"])],
        **OPTIMISER_CONSTRAINTS,
    }

    def __init__(
        self,
        simulator: Any,
        *,
        n_init: int = 50,
        n_starts: int = 2,
        max_iter: int = 200,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.simulator = simulator
        self.n_init = n_init
        self.n_starts = n_starts
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state

    @substitute_doc(fit_xy=_docs.FIT_XY)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> MaximumLikelihoodRegressor:
        """Check the simulator and the shape of the data; nothing is learned.

        Parameters
        ----------
        %(fit_xy)s

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> from sgnn_sklearn.baselines import MaximumLikelihoodRegressor
        >>> from sgnn_sklearn.simulators import SIR
        >>> sim = SIR(n_days=20, targets=("R0", "total_infections"))
        >>> MaximumLikelihoodRegressor(sim).fit(sim.simulate(2).X).target_names_
        ('R0', 'total_infections')
        """
        check_likelihood_simulator(self.simulator, "simulator")
        validate_fit_data(self, X, y, {"the simulator": self.simulator})
        self.target_names_ = tuple(self.simulator.target_names)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Maximum-likelihood estimates of the targets, per series.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observed series.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            1-D when the simulator has one target; NaN for failed series.

        Examples
        --------
        >>> from sgnn_sklearn.baselines import MaximumLikelihoodRegressor
        >>> from sgnn_sklearn.simulators import ExponentialGrowth
        >>> sim = ExponentialGrowth(n_times=10)
        >>> X = sim.simulate(3, random_state=0).X
        >>> MaximumLikelihoodRegressor(sim, random_state=0).fit(X).predict(X).shape
        (3,)
        """
        X = validate_predict_data(self, X)
        fit = maximize_likelihood(
            self.simulator,
            X,
            n_init=self.n_init,
            n_starts=self.n_starts,
            max_iter=self.max_iter,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )
        ok = ~fit.failed
        n_targets = len(self.target_names_)
        targets = np.full((len(X), n_targets), np.nan)
        if ok.any():
            targets[ok] = self._targets_at(fit.params[ok])
        if fit.errors:
            row, reason = next(iter(fit.errors.items()))
            warnings.warn(
                f"{type(self).__name__}: the likelihood could not be maximised "
                f"for {len(fit.errors)} of {len(X)} series (e.g. row {row}: "
                f"{reason}); their predictions are NaN.",
                LikelihoodFitWarning,
                stacklevel=2,
            )
        return targets[:, 0] if n_targets == 1 else targets

    def _targets_at(self, params: np.ndarray) -> np.ndarray:
        """The targets at given parameters, by the simulator's own code."""
        names = tuple(self.simulator.param_names)
        if set(self.target_names_) <= set(names):
            return params[:, [names.index(t) for t in self.target_names_]]
        simulation = self.simulator.simulate_from_params(params, random_state=0)
        return np.asarray(simulation.y, dtype=float).reshape(len(params), -1)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.target_tags.multi_output = True
        return tags
