"""`AICModelSelector`: pick the mechanism with the lowest AIC or BIC per series."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

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
    fit_xy=_docs.FIT_XY,
)
class AICModelSelector(ClassifierMixin, BaseEstimator):
    """Select each series' mechanism by maximum likelihood and AIC (or BIC).

    The classical comparator of a simulation-grounded classifier: for each
    input series, every candidate mechanism is fitted by maximum likelihood
    under its own observation model, and the mechanism with the lowest
    information criterion is predicted,

    - AIC: ``2 k - 2 log L``,
    - BIC: ``k log(n) - 2 log L``,

    with ``k`` the candidate's number of free parameters and ``n`` the
    number of observations in the series (its features).

    Parameters
    ----------
    candidates : list of (str, simulator) tuples
        The mechanisms, named. Each simulator needs ``log_likelihood(params,
        X)``, ``param_bounds()`` and ``sample_params(n, random_state)`` (the
        built-in growth and epidemic simulators have them). A
        :class:`~sgnn_sklearn.simulators.MixtureSimulator`'s ``simulators``
        list can be passed as is.
    criterion : {"aic", "bic"}, default="aic"
        The information criterion.
    %(optimiser)s
    %(n_jobs)s
    %(random_state)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_candidates,)
        The candidate names, sorted; the columns of ``predict_proba``.
    n_free_params_ : dict of str to int
        Number of free parameters of each candidate (``k``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sgnn_sklearn.SimulationGroundedClassifier : Amortised model selection.
    MaximumLikelihoodRegressor : The same fits, for parameter estimation.

    Notes
    -----
    %(notes)s

    A failed candidate fit leaves its criterion NaN in
    :meth:`information_criterion`; the series is then assigned among the
    candidates that succeeded (a warning says how many), and gets equal
    probabilities if every candidate failed.

    ``predict_proba`` returns Akaike (or Schwarz) weights,
    ``exp(-delta / 2)`` normalised over the candidates, where ``delta`` is
    each criterion minus the smallest: an approximation of the posterior
    probabilities of the mechanisms under equal prior weights.

    Examples
    --------
    >>> from sgnn_sklearn.baselines import AICModelSelector
    >>> from sgnn_sklearn.simulators import ExponentialGrowth, LogisticGrowth
    >>> candidates = [("exponential", ExponentialGrowth(n_times=20)),
    ...               ("logistic", LogisticGrowth(n_times=20))]
    >>> X = LogisticGrowth(n_times=20, r=0.4).simulate(4, random_state=0).X
    >>> selector = AICModelSelector(candidates, random_state=0).fit(X)
    >>> selector.predict(X).tolist()
    ['logistic', 'logistic', 'logistic', 'logistic']
    >>> selector.predict_proba(X).shape
    (4, 2)
    """

    _parameter_constraints: dict = {
        "candidates": [list, tuple],
        "criterion": [StrOptions({"aic", "bic"})],
        **OPTIMISER_CONSTRAINTS,
    }

    def __init__(
        self,
        candidates: list[tuple[str, Any]],
        criterion: str = "aic",
        *,
        n_init: int = 50,
        n_starts: int = 2,
        max_iter: int = 200,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.candidates = candidates
        self.criterion = criterion
        self.n_init = n_init
        self.n_starts = n_starts
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _checked_candidates(self) -> list[tuple[str, Any]]:
        if not self.candidates:
            raise ValueError(
                "candidates must be a non-empty list of (name, simulator) tuples; "
                f"got {self.candidates!r}."
            )
        checked = []
        for item in self.candidates:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise ValueError(
                    f"Each candidate must be a (name, simulator) tuple; got {item!r}."
                )
            name, simulator = item
            if not isinstance(name, str) or not name:
                raise ValueError(
                    f"Candidate names must be non-empty strings; got {name!r}."
                )
            check_likelihood_simulator(simulator, name)
            checked.append((name, simulator))
        names = [name for name, _ in checked]
        if len(set(names)) != len(names):
            raise ValueError(f"Candidate names must be unique; got {names}.")
        return checked

    @substitute_doc(fit_xy=_docs.FIT_XY)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> AICModelSelector:
        """Check the candidates and the shape of the data; nothing is learned.

        Parameters
        ----------
        %(fit_xy)s

        Returns
        -------
        self
            The fitted selector.

        Examples
        --------
        >>> from sgnn_sklearn.baselines import AICModelSelector
        >>> from sgnn_sklearn.simulators import SIR, SEIR
        >>> X = SIR(n_days=30).simulate(3, random_state=0).X
        >>> sel = AICModelSelector([("sir", SIR(n_days=30)),
        ...                         ("seir", SEIR(n_days=30))]).fit(X)
        >>> sel.classes_.tolist(), sel.n_free_params_
        (['seir', 'sir'], {'sir': 4, 'seir': 5})
        """
        candidates = self._checked_candidates()
        validate_fit_data(
            self, X, y, {f"candidate {name!r}": sim for name, sim in candidates}
        )
        self.classes_ = np.array(sorted(name for name, _ in candidates))
        self.n_free_params_ = {
            name: int(sum(low < high for low, high in simulator.param_bounds()))
            for name, simulator in candidates
        }
        return self

    def information_criterion(self, X: Any) -> np.ndarray:
        """Each candidate's AIC (or BIC) at its maximum likelihood, per series.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observed series.

        Returns
        -------
        ndarray of shape (n_samples, n_candidates)
            Columns in the order of ``classes_``; NaN where the fit failed.

        Examples
        --------
        >>> from sgnn_sklearn.baselines import AICModelSelector
        >>> from sgnn_sklearn.simulators import ExponentialGrowth, LogisticGrowth
        >>> X = ExponentialGrowth(n_times=15).simulate(2, random_state=0).X
        >>> sel = AICModelSelector([("exp", ExponentialGrowth(n_times=15)),
        ...                         ("log", LogisticGrowth(n_times=15))],
        ...                        criterion="bic", random_state=0).fit(X)
        >>> sel.information_criterion(X).shape
        (2, 2)
        """
        X = validate_predict_data(self, X)
        candidates = dict(self._checked_candidates())
        # Each candidate draws its own base seed from the same generator.
        rng = check_random_state(self.random_state)
        penalty_per_param = 2.0 if self.criterion == "aic" else np.log(X.shape[1])
        criteria = np.empty((len(X), len(self.classes_)))
        failures = {}
        for j, name in enumerate(self.classes_):
            fit = maximize_likelihood(
                candidates[name],
                X,
                n_init=self.n_init,
                n_starts=self.n_starts,
                max_iter=self.max_iter,
                random_state=rng,
                stream=j,
                n_jobs=self.n_jobs,
            )
            criteria[:, j] = penalty_per_param * fit.n_free - 2.0 * fit.log_likelihood
            if fit.errors:
                failures[str(name)] = fit.errors
        if failures:
            self._warn_failures(failures, criteria)
        return criteria

    def _warn_failures(
        self, failures: dict[str, dict[int, str]], criteria: np.ndarray
    ) -> None:
        counts = ", ".join(f"{name!r}: {len(errs)}" for name, errs in failures.items())
        name, errors = next(iter(failures.items()))
        row, reason = next(iter(errors.items()))
        all_failed = int(np.isnan(criteria).all(axis=1).sum())
        warnings.warn(
            f"{type(self).__name__}: the likelihood could not be maximised for "
            f"some series (failed fits per candidate: {counts}; e.g. {name!r} on "
            f"row {row}: {reason}). Those series are assigned among the "
            f"candidates whose fit succeeded; {all_failed} series on which every "
            "candidate failed get equal probabilities.",
            LikelihoodFitWarning,
            stacklevel=3,
        )

    def predict_proba(self, X: Any) -> np.ndarray:
        """Akaike (or Schwarz) weights of the candidates, per series.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observed series.

        Returns
        -------
        ndarray of shape (n_samples, n_candidates)
            Weights ``exp(-delta / 2)``, normalised; columns in the order of
            ``classes_``. A failed fit gets weight 0.

        Examples
        --------
        >>> import numpy as np
        >>> from sgnn_sklearn.baselines import AICModelSelector
        >>> from sgnn_sklearn.simulators import ExponentialGrowth, GompertzGrowth
        >>> X = GompertzGrowth(n_times=15).simulate(3, random_state=0).X
        >>> sel = AICModelSelector([("exp", ExponentialGrowth(n_times=15)),
        ...                         ("gompertz", GompertzGrowth(n_times=15))],
        ...                        random_state=0).fit(X)
        >>> np.allclose(sel.predict_proba(X).sum(axis=1), 1.0)
        True
        """
        return criterion_weights(self.information_criterion(X))

    def predict(self, X: Any) -> np.ndarray:
        """The candidate with the lowest criterion, per series.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observed series.

        Returns
        -------
        ndarray of shape (n_samples,)
            Candidate names, from ``classes_``.

        Examples
        --------
        >>> from sgnn_sklearn.baselines import AICModelSelector
        >>> from sgnn_sklearn.simulators import ExponentialGrowth, LogisticGrowth
        >>> X = ExponentialGrowth(n_times=20).simulate(2, random_state=0).X
        >>> sel = AICModelSelector([("exp", ExponentialGrowth(n_times=20)),
        ...                         ("log", LogisticGrowth(n_times=20))],
        ...                        random_state=0).fit(X)
        >>> sel.predict(X).tolist()
        ['exp', 'exp']
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def criterion_weights(criteria: np.ndarray) -> np.ndarray:
    """Akaike weights from criteria: ``exp(-delta / 2)`` normalised per row.

    NaN criteria (failed fits) get weight 0; a row with no finite criterion
    gets equal weights.

    Parameters
    ----------
    criteria : ndarray of shape (n_samples, n_candidates)

    Returns
    -------
    ndarray of shape (n_samples, n_candidates)

    Examples
    --------
    >>> import numpy as np
    >>> criterion_weights(np.array([[10.0, 12.0], [np.nan, 3.0]])).round(3)
    array([[0.731, 0.269],
           [0.   , 1.   ]])
    """
    criteria = np.where(np.isnan(criteria), np.inf, criteria)
    best = criteria.min(axis=1, keepdims=True)
    none = ~np.isfinite(best[:, 0])
    with np.errstate(invalid="ignore"):
        weights = np.exp(-0.5 * (criteria - np.where(none[:, None], 0.0, best)))
    weights[none] = 1.0
    return weights / weights.sum(axis=1, keepdims=True)
