"""A variance head for the regressor that leaves the posterior mean untouched.

The network is trained with squared error exactly as a plain network; then a
small head on its last hidden layer, with the body and the mean frozen,
learns the log-variance of the residuals by Gaussian negative
log-likelihood (a proper scoring rule), with early stopping of its own. The
mean is therefore the squared-loss network's, bit for bit.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import torch
from torch import nn

from ._heads import FrozenNetwork, HeadTraining, embedding_width, train_head
from ._seeding import fork_rng

# Bounds on the log-variance of standardised targets: exp(-20) to exp(10)
# covers any posterior the network can express and keeps exp() finite.
LOG_VARIANCE_BOUNDS = (-20.0, 10.0)
# After an interrupt the heads are set, untrained, from this many training
# rows at most: enough for the residuals' spread, quick whatever the budget.
MAX_UNTRAINED_ROWS = 8192


def check_coverage(coverage: Any) -> float:
    """Return ``coverage`` as a float, or raise when it is not in (0, 1).

    Examples
    --------
    >>> check_coverage(0.9)
    0.9
    >>> check_coverage(1)
    Traceback (most recent call last):
    ...
    ValueError: coverage must be a number strictly between 0 and 1; got 1.
    """
    if (
        isinstance(coverage, bool)
        or not isinstance(coverage, Real)
        or not (0 < float(coverage) < 1)
    ):
        raise ValueError(
            f"coverage must be a number strictly between 0 and 1; got {coverage!r}."
        )
    return float(coverage)


class GaussianHead(nn.Module):
    """Wrap a network so that it can predict a log-variance per target too.

    ``forward`` returns the mean network's output unchanged, so squared-loss
    training is that of the plain network; :meth:`mean_and_log_variance`
    adds the variance head, which reads the last hidden layer.

    Parameters
    ----------
    base : torch.nn.Module class
        The network of the mean, called with ``n_features``, ``n_outputs`` and
        ``**base_kwargs``; it must have ``embed(X)``. When it has a ``head``
        module, the mean is ``head(embed(X))`` (the built-in networks'
        forward); otherwise ``base(X)``.
    n_features : int
        Input dimension.
    n_outputs : int
        Number of targets.
    **base_kwargs
        Passed on to ``base``.

    Examples
    --------
    >>> import torch
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> net = GaussianHead(MLP, n_features=4, n_outputs=2, hidden_layer_sizes=(8,))
    >>> mean, log_var = net.mean_and_log_variance(torch.zeros(3, 4))
    >>> net(torch.zeros(3, 4)).shape, log_var.shape
    (torch.Size([3, 2]), torch.Size([3, 2]))
    """

    def __init__(
        self, base: Any, n_features: int, n_outputs: int, **base_kwargs: Any
    ) -> None:
        super().__init__()
        self.base = base(n_features=n_features, n_outputs=n_outputs, **base_kwargs)
        # The head draws its initial weights from a forked generator, so the
        # training's generator (which seeds the shuffling) continues exactly as
        # for the plain network: the mean is trained bit for bit the same.
        with fork_rng():
            width = embedding_width(self.base, n_features)
            final = nn.Linear(width, n_outputs)
            self.log_variance = nn.Sequential(nn.Linear(width, width), nn.ReLU(), final)
            nn.init.zeros_(final.weight)
            nn.init.zeros_(final.bias)
        # Set by fit_quantile_head and fit_mixture_head when the estimator
        # learns quantiles or a mixture (interval_method).
        self.quantile_head: nn.Module | None = None
        self.mixture_head: nn.Module | None = None

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """The last hidden layer of the mean network."""
        return self.base.embed(X)

    def mean_and_hidden(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The mean and the last hidden layer, in one pass when possible."""
        hidden = self.base.embed(X)
        head = getattr(self.base, "head", None)
        mean = head(hidden) if isinstance(head, nn.Module) else self.base(X)
        return mean, hidden

    def log_variance_of(self, hidden: torch.Tensor) -> torch.Tensor:
        """The variance head's log-variance for a last hidden layer."""
        return self.log_variance(hidden.flatten(1)).clamp(*LOG_VARIANCE_BOUNDS)

    def mean_and_log_variance(
        self, X: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The predicted mean and log-variance of each target."""
        mean, hidden = self.mean_and_hidden(X)
        return mean, self.log_variance_of(hidden)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.mean_and_hidden(X)[0]


def gaussian_nll(log_var: torch.Tensor, squared_residual: torch.Tensor) -> torch.Tensor:
    """Mean Gaussian negative log-likelihood, up to a constant.

    Examples
    --------
    >>> import torch
    >>> float(gaussian_nll(torch.zeros(2, 1), torch.ones(2, 1)))
    0.5
    """
    return 0.5 * twice_gaussian_nll(log_var, squared_residual).mean()


def twice_gaussian_nll(
    log_var: torch.Tensor, squared_residual: torch.Tensor
) -> torch.Tensor:
    """Twice each value's Gaussian negative log-likelihood, up to a constant.

    ``log(2 pi)`` less than twice the negative log-density, value by value.

    Examples
    --------
    >>> import torch
    >>> twice_gaussian_nll(torch.zeros(1, 2), torch.tensor([[0.0, 4.0]])).tolist()
    [[0.0, 4.0]]
    """
    return log_var + squared_residual * torch.exp(-log_var)


def fit_variance_head(frozen: FrozenNetwork, training: HeadTraining) -> None:
    """Train the variance head of ``frozen.module`` on its residuals.

    The head is fitted by Adam on Gaussian NLL (see :func:`train_head` for
    the rows, early stopping and the best weights kept). Unless
    ``training.warm_start``, it starts from the constant log-variance of the
    training residuals.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> net = GaussianHead(MLP, n_features=2, n_outputs=1, hidden_layer_sizes=(4,))
    >>> X = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    >>> y = np.full((50, 1), 3.0, np.float32)
    >>> frozen = FrozenNetwork(net, X, y, batch_size=16, device="cpu")
    >>> fit_variance_head(frozen, HeadTraining(np.arange(40), np.arange(40, 50),
    ...     lr=1e-2, batch_size=16, max_epochs=5, patience=2, seed=0))
    >>> with torch.no_grad():
    ...     mean, log_var = net.mean_and_log_variance(torch.as_tensor(X))
    >>> residual_variance = float(((torch.as_tensor(y) - mean) ** 2).mean())
    >>> bool(abs(float(log_var.mean()) - np.log(residual_variance)) < 0.2)
    True
    """
    module, device = frozen.module, frozen.device
    squared = torch.as_tensor(frozen.residual**2)
    head = module.log_variance
    if not training.warm_start:
        final = head[-1]
        assert isinstance(final, nn.Linear)
        with torch.no_grad():
            floor = float(np.exp(LOG_VARIANCE_BOUNDS[0]))
            initial = squared[training.train].mean(dim=0).clamp_min(floor).log()
            final.bias.copy_(initial.to(final.bias.device))

    def loss(hidden: torch.Tensor, rows: Any) -> torch.Tensor:
        log_var = module.log_variance_of(hidden.to(device))
        return gaussian_nll(log_var, squared[rows].to(device))

    train_head(head, loss, frozen.hidden, training, frozen.block_rows)
