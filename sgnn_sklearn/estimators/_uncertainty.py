"""The regressor's uncertainty: its heads trained, its quantiles and intervals."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import norm

from ._batches import PREDICT_BATCH_SIZE
from ._heads import FrozenNetwork, HeadTraining
from ._inference import run_in_batches
from ._interrupts import warn_interrupted_step
from ._mixture import (
    fit_mixture_head,
    learnt_mixture,
    mixture_gain,
    pooled_quantiles,
    prefers_mixture,
)
from ._quantiles import (
    check_quantile_levels,
    fit_quantile_head,
    interpolate_levels,
    learnt_quantiles,
)
from ._threads import uses_torch_threads
from ._variance import MAX_UNTRAINED_ROWS, check_coverage, fit_variance_head


class UncertaintyMixin:
    """Train the variance and quantile heads; predict quantiles and intervals."""

    # Set by the regressor (its parameters and fit) that inherits this mixin.
    interval_method: str
    interval_method_: str
    max_epochs: int
    lr: float
    batch_size: int
    early_stopping: bool
    target_scaler_: Any
    _y_ndim: int
    _interrupted: bool

    # Provided by the regressor and the mixins it inherits.
    predict: Callable[..., Any]
    _network_inputs: Callable[[Any], np.ndarray]
    _members: Callable[[], list[Any]]
    _member_seeds: Callable[[int], list[int]]
    _patience: Callable[[], int]

    def _fit_uncertainty(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        train: np.ndarray,
        valid: np.ndarray | None,
        finetune: bool = False,
    ) -> None:
        heads = [fit_variance_head]
        if self.interval_method == "pinball":
            heads.append(fit_quantile_head)
        elif self.interval_method in ("mixture", "auto"):
            heads.append(fit_mixture_head)
        # interval_method="auto": each member's mixture against its Gaussian on
        # the held-out rows, row by row.
        gains: list[np.ndarray] = []
        max_epochs, untrained = self.max_epochs, self._interrupted
        if untrained:
            # Honour the user's Ctrl-C promptly: the heads are set from the
            # residuals of a few rows, not trained.
            rows = train[:MAX_UNTRAINED_ROWS]
            inputs, targets, valid = inputs[rows], targets[rows], None
            train, max_epochs = np.arange(len(rows)), 0
        try:
            for net, seed in zip(
                self._members(), self._member_seeds(2 + int(finetune)), strict=True
            ):
                # The residuals and hidden layer are computed once per network
                # and read by every head.
                frozen = FrozenNetwork(
                    net.module_, inputs, targets, self.batch_size, net.device
                )
                training = HeadTraining(
                    train,
                    valid,
                    lr=self.lr,
                    batch_size=self.batch_size,
                    max_epochs=max_epochs,
                    patience=self._patience() if self.early_stopping else None,
                    seed=seed,
                    warm_start=finetune,
                )
                for fit_head in heads:
                    fit_head(frozen, training)
                if self.interval_method == "auto" and valid is not None and len(valid):
                    gains.append(mixture_gain(frozen, valid))
        except KeyboardInterrupt:
            self._interrupted = True
            self.interval_method_ = self._chosen_interval_method([], finetune)
            warn_interrupted_step(
                type(self).__name__,
                "the training of the uncertainty heads",
                "each keeps its best so far",
            )
            return
        self.interval_method_ = self._chosen_interval_method(gains, finetune)
        if untrained and not finetune:
            warnings.warn(
                f"{type(self).__name__}: the uncertainty heads were not trained, "
                "as training was interrupted: predict(return_std=True) gives the "
                "overall spread of the training residuals for every row.",
                UserWarning,
                stacklevel=4,
            )

    def _chosen_interval_method(self, gains: list[np.ndarray], finetune: bool) -> str:
        """``interval_method``, or with ``"auto"`` the one the held-out rows chose.

        The mixture is chosen when its log-likelihood on the held-out rows
        (averaged over an ensemble's members row by row) beats the Gaussian's
        by more than two standard errors (see ``_mixture.prefers_mixture``);
        without held-out rows (an interrupted fit, fewer than 20 samples),
        the Gaussian. Fine-tuning keeps the choice made on the simulations.
        """
        if self.interval_method != "auto":
            return self.interval_method
        if finetune and getattr(self, "interval_method_", None) is not None:
            return str(self.interval_method_)
        if not gains:
            return "gaussian"
        return "mixture" if prefers_mixture(np.mean(gains, axis=0)) else "gaussian"

    def _mean_and_std(
        self, net: Any, inputs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One member's mean and standard deviation, in the scaled target space."""
        module = net.module_
        mean, log_var = (
            t.astype(np.float64)
            for t in run_in_batches(
                module,
                module.mean_and_log_variance,
                inputs,
                max(self.batch_size, PREDICT_BATCH_SIZE),
                net.device,
            )
        )
        return mean, np.exp(0.5 * log_var)

    @uses_torch_threads
    def predict_quantiles(self, X: Any, quantiles: Any) -> np.ndarray:
        """Predict quantiles of the posterior of each target.

        With ``interval_method="gaussian"`` the quantiles are those of the
        Gaussian with the predicted mean and standard deviation
        (``predict(X, return_std=True)``). With ``"pinball"`` they are the
        learnt quantile heads' (averaged level by level over an ensemble's
        members), non-crossing, interpolated linearly in normal scores
        between the 25 learnt levels; levels outside [0.005, 0.995] are then
        an error. With ``"mixture"`` they are those of the learnt Gaussian
        mixture (for an ensemble, the members' mixtures pooled with equal
        weights), at any level. With ``"auto"``, those of the method the fit
        kept (``interval_method_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        quantiles : float or array-like of float in (0, 1)
            The quantile levels.

        Returns
        -------
        ndarray of shape (n_samples, n_quantiles) or (n_samples, n_targets, n_quantiles)
            The quantiles, last axis in the order of ``quantiles``; the target
            axis is present when the training targets were 2-D.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0).fit(sim)
        >>> q = est.predict_quantiles(sim.simulate(4, random_state=1).X,
        ...                           [0.1, 0.5, 0.9])
        >>> q.shape, bool((q[:, 0] < q[:, 2]).all())
        ((4, 3), True)
        """
        levels = check_quantile_levels(quantiles)
        method = self.interval_method
        if method == "auto":
            method = getattr(self, "interval_method_", "gaussian")
        if method == "gaussian":
            mean, std = self.predict(X, return_std=True)
            return mean[..., None] + std[..., None] * norm.ppf(levels)
        inputs = self._network_inputs(X)
        batch_size = max(self.batch_size, PREDICT_BATCH_SIZE)
        scale = self.target_scaler_.scale_[:, None]
        shift = self.target_scaler_.mean_[:, None]
        if method == "mixture":
            mixtures = [
                learnt_mixture(net.module_, inputs, batch_size, net.device)
                for net in self._members()
            ]
            values = pooled_quantiles(mixtures, levels) * scale + shift
        else:
            # Members' quantiles averaged level by level (Vincentisation).
            grid = np.mean(
                [
                    learnt_quantiles(net.module_, inputs, batch_size, net.device)
                    for net in self._members()
                ],
                axis=0,
            )
            values = interpolate_levels(grid * scale + shift, levels)
        return values[:, 0] if self._y_ndim == 1 else values

    def predict_interval(
        self, X: Any, coverage: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predict a central posterior interval for each target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        coverage : float in (0, 1), default=0.9
            Posterior probability that the interval holds the target: the
            interval runs from the ``(1 - coverage) / 2`` to the
            ``(1 + coverage) / 2`` quantile.

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The interval's bounds, shaped like ``predict(X)``.

        Examples
        --------
        >>> from sgnn_sklearn import SimulationGroundedRegressor
        >>> from sgnn_sklearn.simulators import LinearGaussian
        >>> sim = LinearGaussian(n_features=3)
        >>> est = SimulationGroundedRegressor(n_simulations=500, max_epochs=5,
        ...                                   random_state=0).fit(sim)
        >>> lower, upper = est.predict_interval(sim.simulate(4, random_state=1).X)
        >>> bool((lower < upper).all())
        True
        """
        tail = (1 - check_coverage(coverage)) / 2
        bounds = self.predict_quantiles(X, [tail, 1 - tail])
        return bounds[..., 0], bounds[..., 1]
