"""`RejectionABCRegressor`: approximate Bayesian computation by rejection."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import validate_data

from ..estimators._inputs import refuse_masked_values
from ..simulators import simulate_chunked
from ..simulators._trajectory import substitute_doc
from . import _docs
from ._validation import validate_fit_data, validate_predict_data


@substitute_doc(n_jobs=_docs.N_JOBS)
class RejectionABCRegressor(RegressorMixin, BaseEstimator):
    """Posterior mean of the targets by rejection ABC on standardised features.

    Approximate Bayesian computation, the classical likelihood-free method:
    ``fit`` simulates a reference table of ``n_simulations`` draws from the
    simulator under its prior; ``predict`` accepts, for each observed series,
    the simulations closest to it (Euclidean distance between standardised,
    optionally preprocessed, features) and returns the mean of their targets,
    an estimate of the posterior mean.

    Parameters
    ----------
    simulator : object with ``simulate(n_samples, random_state)`` or None, \
            default=None
        The simulator; its ``y`` are the targets. None: ``fit(X, y)`` takes
        the labelled ``(X, y)`` as the reference table (simulations made
        elsewhere, or any labelled data), which makes the estimator a
        nearest-neighbour regressor on standardised features.
    n_simulations : int, default=10_000
        Size of the reference table (unused without a simulator).
    quantile : float, default=0.01
        Share of the reference table accepted for each series (the
        tolerance, as a quantile of the distances). Ignored when ``n_accept``
        is set.
    n_accept : int, default=None
        Number of simulations accepted for each series, instead of
        ``quantile``.
    preprocessor : scikit-learn transformer, default=None
        Applied to the simulated and observed features before
        standardisation, e.g. ``FunctionTransformer(np.log1p)`` for counts.
    %(n_jobs)s
    random_state : int, RandomState instance or None, default=None
        Seeds the reference table. An int gives identical results.

    Attributes
    ----------
    n_accept_ : int
        Number of simulations accepted per series.
    reference_y_ : ndarray of shape (n_simulations, n_targets)
        Targets of the reference table.
    preprocessor_ : transformer or None
        The fitted clone of ``preprocessor``.
    scaler_ : sklearn.preprocessing.StandardScaler
        Standardises the (preprocessed) features, fitted on the table.
    neighbors_ : sklearn.neighbors.NearestNeighbors
        Finds the accepted simulations.
    target_names_ : tuple of str
        Names of the targets.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sgnn_sklearn.SimulationGroundedRegressor : Learns the posterior mean.
    MaximumLikelihoodRegressor : Per-series maximum likelihood.

    Notes
    -----
    Accepting a fixed share of the nearest simulations is rejection ABC with
    the tolerance set as a quantile of the distances (nearest-neighbour
    ABC). Its error has two parts: the tolerance (accepted draws come from a
    neighbourhood, not from the observation itself) and the Monte Carlo
    error of averaging ``n_accept_`` draws; with many features the
    neighbourhood must be wide, which is ABC's curse of dimensionality.
    Simulations with non-finite features are left out of the table, with a
    warning that counts them.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.baselines import RejectionABCRegressor
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian(n_features=2)
    >>> abc = RejectionABCRegressor(sim, n_simulations=5000, random_state=0)
    >>> test = sim.simulate(200, random_state=1)
    >>> pred = abc.fit(test.X).predict(test.X)
    >>> exact = sim.posterior_mean(test.X)
    >>> bool(np.mean((pred - exact) ** 2) < 0.05)
    True
    """

    _parameter_constraints: dict = {
        "simulator": [HasMethods(["simulate"]), None],
        "n_simulations": [Interval(Integral, 1, None, closed="left")],
        "quantile": [Interval(Real, 0, 1, closed="right")],
        "n_accept": [Interval(Integral, 1, None, closed="left"), None],
        "preprocessor": [HasMethods(["fit", "transform"]), None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        simulator: Any = None,
        n_simulations: int = 10_000,
        *,
        quantile: float = 0.01,
        n_accept: int | None = None,
        preprocessor: Any = None,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.simulator = simulator
        self.n_simulations = n_simulations
        self.quantile = quantile
        self.n_accept = n_accept
        self.preprocessor = preprocessor
        self.n_jobs = n_jobs
        self.random_state = random_state

    @substitute_doc(fit_xy=_docs.FIT_XY)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> RejectionABCRegressor:
        """Build the reference table: simulated, or the labelled ``(X, y)``.

        With a simulator, ``X`` is only checked and ``y`` ignored; without
        one, ``(X, y)`` is the table.

        Parameters
        ----------
        %(fit_xy)s

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> from sgnn_sklearn.baselines import RejectionABCRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> abc = RejectionABCRegressor(sim, 1000, quantile=0.05, random_state=0)
        >>> abc.fit(sim.simulate(2).X).n_accept_
        50
        """
        if self.simulator is None:
            features, table_y, target_names = self._labelled_table(X, y)
        else:
            features, table_y, target_names = self._simulated_table(X, y)
        n_table = len(features)
        if self.preprocessor is None:
            self.preprocessor_ = None
        else:
            self.preprocessor_ = clone(self.preprocessor).fit(features)
            features = self.preprocessor_.transform(features)
        targets = np.asarray(table_y, dtype=float).reshape(len(features), -1)
        finite = np.isfinite(features).all(axis=1) & np.isfinite(targets).all(axis=1)
        if not finite.all():
            warnings.warn(
                f"{type(self).__name__}: {int((~finite).sum())} of {len(finite)} "
                "simulations have non-finite features or targets and are left out "
                "of the reference table.",
                UserWarning,
                stacklevel=2,
            )
            features, targets = features[finite], targets[finite]
        if not len(features):
            raise ValueError(
                f"{type(self).__name__}: no simulation has finite features and "
                "targets; check the simulator and its priors."
            )
        self.scaler_ = StandardScaler().fit(features)
        self.reference_y_ = targets
        self._y_ndim = np.ndim(table_y)
        self.target_names_ = target_names
        wanted = (
            self.n_accept
            if self.n_accept is not None
            else int(round(self.quantile * n_table))
        )
        self.n_accept_ = int(min(max(wanted, 1), len(features)))
        self.neighbors_ = NearestNeighbors(n_neighbors=self.n_accept_).fit(
            self.scaler_.transform(features)
        )
        return self

    def _simulated_table(
        self, X: Any, y: Any
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Simulate the reference table; check X against it."""
        X = validate_fit_data(self, X, y, {"the simulator": self.simulator})
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        table = simulate_chunked(
            self.simulator, self.n_simulations, random_state=seed, n_jobs=self.n_jobs
        )
        if table.X.shape[1] != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the simulator "
                f"({type(self.simulator).__name__}) produces {table.X.shape[1]}."
            )
        if table.y is None:
            raise ValueError(
                f"{type(self).__name__}: the simulation has no targets y (a mixture "
                "whose mechanisms have different target_names?)."
            )
        return table.X, table.y, tuple(table.target_names)

    def _labelled_table(
        self, X: Any, y: Any
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """The labelled data as the reference table."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None: with no simulator, fit(X, y) takes the labelled (X, y) "
                "as its reference table. Or pass simulator=... to simulate it."
            )
        X, y = refuse_masked_values(X, "X"), refuse_masked_values(y, "y")
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
        names = tuple(f"y{j}" for j in range(1 if y.ndim == 1 else y.shape[1]))
        return X, y, names

    def predict(self, X: Any) -> np.ndarray:
        """Mean of the targets of the accepted simulations, per series.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observed series.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            Shaped like the simulator's ``y``.

        Examples
        --------
        >>> from sgnn_sklearn.baselines import RejectionABCRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> X = sim.simulate(4, random_state=0).X
        >>> RejectionABCRegressor(sim, 500, random_state=0).fit(X).predict(X).shape
        (4,)
        """
        X = validate_predict_data(self, X)
        features = X if self.preprocessor_ is None else self.preprocessor_.transform(X)
        if not np.isfinite(features).all():
            raise ValueError(
                f"{type(self).__name__}: the preprocessor turned X into non-finite "
                "features; the inputs are outside its domain."
            )
        accepted = self.neighbors_.kneighbors(
            self.scaler_.transform(features), return_distance=False
        )
        mean = self.reference_y_[accepted].mean(axis=1)
        return mean[:, 0] if self._y_ndim == 1 else mean

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.simulator is None
        tags.target_tags.multi_output = True
        return tags
