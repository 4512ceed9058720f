"""Simulation-based calibration: ranks of the truth among posterior draws."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chisquare

from ..simulators._prior import as_generator
from ..simulators._validation import check_n_samples


@dataclass(frozen=True)
class SBCRanks:
    """Rank of each true value among its posterior draws.

    Returned by :func:`sbc_ranks`. For a calibrated posterior and truths drawn
    from the prior, ranks are uniform on ``0, ..., n_draws`` (Talts et al.,
    2018): a U shape means the posterior is too narrow, a hump too wide, a
    slope a bias.

    Parameters
    ----------
    ranks : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Number of draws below the true value.
    n_draws : int
        Number of draws per sample.

    Examples
    --------
    >>> import numpy as np
    >>> sbc = SBCRanks(np.array([0, 1, 2, 3] * 25), n_draws=3)
    >>> sbc.histogram(n_bins=4).tolist(), sbc.pvalue(n_bins=4)
    ([25, 25, 25, 25], 1.0)
    """

    ranks: np.ndarray
    n_draws: int

    def histogram(self, n_bins: int = 10) -> np.ndarray:
        """Counts of ranks in ``n_bins`` equal bins of ``0, ..., n_draws``.

        Parameters
        ----------
        n_bins : int, default=10
            Number of bins.

        Returns
        -------
        ndarray of shape (n_bins,) or (n_bins, n_targets)
            The number of ranks in each bin, per target when there are several.

        Examples
        --------
        >>> import numpy as np
        >>> SBCRanks(np.array([0, 0, 1, 3]), n_draws=3).histogram(n_bins=2).tolist()
        [3, 1]
        """
        edges = np.linspace(0, self.n_draws + 1, n_bins + 1)
        ranks = self.ranks.reshape(len(self.ranks), -1)
        counts = np.stack(
            [np.histogram(ranks[:, j], bins=edges)[0] for j in range(ranks.shape[1])],
            axis=1,
        )
        return counts[:, 0] if self.ranks.ndim == 1 else counts

    def pvalue(self, n_bins: int = 10) -> float | np.ndarray:
        """The p-value of a chi-square test that the ranks are uniform.

        Parameters
        ----------
        n_bins : int, default=10
            Number of bins the ranks are counted in.

        Returns
        -------
        float or ndarray of shape (n_targets,)
            The p-value, per target when there are several; small values
            reject uniform ranks, a sign of a miscalibrated posterior.

        Examples
        --------
        >>> import numpy as np
        >>> bool(SBCRanks(np.zeros(100, int), n_draws=9).pvalue() < 1e-6)
        True
        """
        edges = np.linspace(0, self.n_draws + 1, n_bins + 1)
        integers = np.arange(self.n_draws + 1)
        share = np.histogram(integers, bins=edges)[0] / (self.n_draws + 1)
        counts = self.histogram(n_bins).reshape(n_bins, -1)
        expected = share[:, None] * counts.sum(axis=0)
        pvalues = chisquare(counts, expected, axis=0).pvalue
        return float(pvalues[0]) if self.ranks.ndim == 1 else pvalues

    def plot(self, n_bins: int = 10, ax: Any = None) -> Any:
        """Histogram of the ranks with the band expected under uniformity.

        See :func:`sgnn_sklearn.plotting.plot_sbc_ranks`.

        Parameters
        ----------
        n_bins : int, default=10
            Number of bins.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw into; new ones when None.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn into.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> SBCRanks(np.arange(100) % 10, n_draws=9).plot().get_xlabel()
        'rank of the true value among 9 draws'
        """
        from ..plotting import plot_sbc_ranks

        return plot_sbc_ranks(self, n_bins=n_bins, ax=ax)


def sbc_ranks(y_true: Any, draws: Any) -> SBCRanks:
    """Simulation-based calibration ranks of true values among posterior draws.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        True values, from simulations whose parameters were drawn from the
        prior.
    draws : array-like of shape (n_samples, n_draws) or (n_samples, n_draws, n_targets)
        Posterior draws for each sample, e.g. from :func:`posterior_draws`.

    Returns
    -------
    SBCRanks
        The rank of each true value among its draws.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.normal(size=2000)       # prior draws
    >>> x = theta + rng.normal(size=2000)   # one observation each
    >>> post = x[:, None] / 2 + np.sqrt(0.5) * rng.normal(size=(2000, 99))
    >>> bool(sbc_ranks(theta, post).pvalue() > 0.001)
    True
    """
    y_true = np.asarray(y_true, dtype=float)
    draws = np.asarray(draws, dtype=float)
    if (
        draws.ndim != y_true.ndim + 1
        or draws.shape[0] != len(y_true)
        or (draws.shape[2:] != y_true.shape[1:])
    ):
        raise ValueError(
            "draws must have shape (n_samples, n_draws) for y_true of shape "
            "(n_samples,), or (n_samples, n_draws, n_targets) for y_true of shape "
            f"(n_samples, n_targets); got draws {draws.shape} and y_true "
            f"{y_true.shape}."
        )
    if not (np.all(np.isfinite(draws)) and np.all(np.isfinite(y_true))):
        raise ValueError(
            "sbc_ranks needs finite true values and draws; got NaN or infinite "
            "entries (a parameter that some samples' mechanism lacks?)."
        )
    ranks = (draws < y_true[:, None]).sum(axis=1)
    return SBCRanks(ranks, draws.shape[1])


def posterior_draws(
    estimator: Any,
    X: Any,
    n_draws: int = 99,
    *,
    method: str = "gaussian",
    random_state: Any = None,
) -> np.ndarray:
    """Draws from an estimator's approximate posterior for each row of ``X``.

    Parameters
    ----------
    estimator : fitted simulation-grounded estimator
        A regressor for ``method="gaussian"``; either estimator, fitted on a
        simulator, for ``method="neighbors"``.
    X : array-like of shape (n_samples, n_features)
        Observations.
    n_draws : int, default=99
        Draws per row.
    method : {"gaussian", "neighbors"}, default="gaussian"
        ``"gaussian"``: from the normal with the regressor's predicted mean and
        standard deviation, shaped like its targets. ``"neighbors"``: the
        latent parameters of the ``n_draws`` nearest training simulations
        (see :func:`~sgnn_sklearn.attribution.explain_mechanism`).
    random_state : int, Generator, RandomState or None, default=None
        Seeds the Gaussian draws.

    Returns
    -------
    ndarray of shape (n_samples, n_draws) or (n_samples, n_draws, n_targets)
        With ``"neighbors"``, the last axis holds the parameters (always 3-D).

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedRegressor
    >>> from sgnn_sklearn.diagnostics import posterior_draws, sbc_ranks
    >>> from sgnn_sklearn.simulators import LinearGaussian
    >>> sim = LinearGaussian()
    >>> est = SimulationGroundedRegressor(sim, n_simulations=1000, max_epochs=10,
    ...                                   random_state=0).fit()
    >>> test = sim.simulate(300, random_state=1)
    >>> posterior_draws(est, test.X, n_draws=49, random_state=0).shape
    (300, 49)
    >>> posterior_draws(est, test.X, n_draws=49, method="neighbors").shape
    (300, 49, 1)
    """
    n_draws = check_n_samples(n_draws, "n_draws")
    if method == "neighbors":
        from ..attribution import explain_mechanism

        return explain_mechanism(estimator, X, n_neighbors=n_draws).neighbor_params
    if method != "gaussian":
        raise ValueError(f"method must be 'gaussian' or 'neighbors'; got {method!r}.")
    if not hasattr(estimator, "predict_interval"):
        raise TypeError(
            f"method='gaussian' needs a regressor with predict(X, return_std=True); "
            f"{type(estimator).__name__} has none. Use method='neighbors'."
        )
    mean, std = estimator.predict(X, return_std=True)
    rng = as_generator(random_state)
    noise = rng.standard_normal((len(mean), n_draws, *mean.shape[1:]))
    return mean[:, None] + std[:, None] * noise
