"""Classical comparators of the simulation-grounded estimators.

Each is a scikit-learn estimator, so it drops into ``cross_val_score`` and
comparison code next to an SGNN:

- :class:`AICModelSelector`: per-series maximum likelihood of each candidate
  mechanism, and the one with the lowest AIC or BIC;
- :class:`MaximumLikelihoodRegressor`: per-series maximum-likelihood
  estimates of the latent targets;
- :class:`RejectionABCRegressor`: rejection approximate Bayesian computation.

The likelihood-based ones need simulators with ``log_likelihood``, as the
built-in growth and epidemic simulators have.
"""

from ._abc import RejectionABCRegressor
from ._aic import AICModelSelector
from ._likelihood import LikelihoodFitWarning
from ._mle import MaximumLikelihoodRegressor

__all__ = [
    "AICModelSelector",
    "LikelihoodFitWarning",
    "MaximumLikelihoodRegressor",
    "RejectionABCRegressor",
]
