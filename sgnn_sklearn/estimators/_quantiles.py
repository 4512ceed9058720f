"""Posterior quantiles learnt with the pinball loss, for the regressor.

The minimiser of the expected pinball loss at level tau is the tau-quantile
of the target's conditional distribution: trained on simulations, a head
under this loss learns the posterior quantile, whatever the posterior's
shape. As for the variance head, the network's body and mean are frozen: the
head reads the last hidden layer and predicts the residual's quantiles at
fixed levels, as a lowest quantile plus non-negative increments (softplus),
so the quantiles never cross. Levels between the fixed ones are interpolated
linearly in normal scores, which is exact when the posterior is Gaussian.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.stats import norm
from torch import nn

from ._heads import FrozenNetwork, HeadTraining, train_head
from ._inference import run_in_batches
from ._seeding import DrawsFromFitGenerator, fit_generator
from ._variance import GaussianHead

# The levels the heads learn: dense in the tails, where intervals end.
QUANTILE_LEVELS = np.array(
    [0.005, 0.01, 0.025, 0.05]
    + [round(0.1 + 0.05 * k, 2) for k in range(17)]
    + [0.95, 0.975, 0.99, 0.995]
)


def check_quantile_levels(quantiles: Any) -> np.ndarray:
    """The quantile levels as a 1-D float array, or a clear error.

    Examples
    --------
    >>> check_quantile_levels(0.5)
    array([0.5])
    >>> check_quantile_levels([0.1, 1.0])
    Traceback (most recent call last):
    ...
    ValueError: quantiles must be a number or a 1-D array of numbers strictly between 0 and 1; got [0.1, 1.0].
    """  # noqa: E501
    levels = np.atleast_1d(np.asarray(quantiles, dtype=float))
    if levels.ndim != 1 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(
            "quantiles must be a number or a 1-D array of numbers strictly "
            f"between 0 and 1; got {quantiles!r}."
        )
    return levels


class QuantileHead(nn.Module):
    """Non-crossing quantiles of the residual at fixed levels, from a hidden layer.

    Parameters
    ----------
    width : int
        Width of the hidden layer read.
    n_outputs : int
        Number of targets.
    initial : ndarray of shape (n_outputs, n_levels)
        Increasing residual quantiles the head starts from (those of the
        training residuals): it starts as a constant, like the variance head.

    Examples
    --------
    >>> import numpy as np, torch
    >>> head = QuantileHead(4, 2, np.tile([-1.0, 0.0, 1.0], (2, 1)))
    >>> q = head(torch.randn(5, 4))
    >>> q.shape, bool((q.diff(dim=-1) > 0).all())
    (torch.Size([5, 2, 3]), True)
    """

    def __init__(self, width: int, n_outputs: int, initial: np.ndarray) -> None:
        super().__init__()
        n_levels = initial.shape[1]
        self.n_outputs, self.n_levels = n_outputs, n_levels
        self.hidden = nn.Sequential(nn.Linear(width, width), nn.ReLU())
        self.lowest = nn.Linear(width, n_outputs)
        self.increments = nn.Linear(width, n_outputs * (n_levels - 1))
        gaps = np.maximum(np.diff(initial, axis=1), 1e-6)
        with torch.no_grad():
            for layer in (self.lowest, self.increments):
                nn.init.zeros_(layer.weight)
            self.lowest.bias.copy_(torch.as_tensor(initial[:, 0]))
            # softplus^-1(g) = log(expm1(g)), so the head starts at ``initial``.
            inverse = np.log(np.expm1(gaps))
            self.increments.bias.copy_(torch.as_tensor(inverse.ravel()))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        h = self.hidden(hidden.flatten(1))
        lowest = self.lowest(h).unsqueeze(-1)
        steps = nn.functional.softplus(self.increments(h))
        steps = steps.view(-1, self.n_outputs, self.n_levels - 1)
        return torch.cat([lowest, lowest + torch.cumsum(steps, dim=-1)], dim=-1)


def pinball_loss(
    quantiles: torch.Tensor, residual: torch.Tensor, levels: torch.Tensor
) -> torch.Tensor:
    """Mean pinball loss of ``quantiles`` (n, targets, levels) for ``residual``.

    Examples
    --------
    >>> import torch
    >>> float(pinball_loss(torch.zeros(1, 1, 2), torch.ones(1, 1),
    ...                    torch.tensor([0.1, 0.9])))
    0.5
    """
    error = residual.unsqueeze(-1) - quantiles
    return torch.maximum(levels * error, (levels - 1) * error).mean()


def fit_quantile_head(frozen: FrozenNetwork, training: HeadTraining) -> None:
    """Train ``frozen.module.quantile_head`` with the pinball loss.

    Unless ``training.warm_start``, a new head is made, starting from the
    empirical quantiles of the training residuals at ``QUANTILE_LEVELS``.
    Early stopping as for the variance head (see :func:`train_head`).

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> net = GaussianHead(MLP, n_features=2, n_outputs=1, hidden_layer_sizes=(4,))
    >>> X = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    >>> y = np.random.default_rng(1).exponential(size=(200, 1)).astype(np.float32)
    >>> frozen = FrozenNetwork(net, X, y, batch_size=32, device="cpu")
    >>> fit_quantile_head(frozen, HeadTraining(np.arange(150), np.arange(150, 200),
    ...     lr=1e-2, batch_size=32, max_epochs=5, patience=2, seed=0))
    >>> net.quantile_head.n_levels == len(QUANTILE_LEVELS)
    True
    """
    module, device = frozen.module, frozen.device
    residual = torch.as_tensor(frozen.residual)
    if not training.warm_start or getattr(module, "quantile_head", None) is None:
        initial = np.quantile(
            residual[training.train].numpy(), QUANTILE_LEVELS, axis=0
        ).T
        # Drawn from a generator of its own, seeded as the global one was,
        # so that fits in threads at once do not share draws (see _seeding).
        with fit_generator(training.seed), DrawsFromFitGenerator():
            module.quantile_head = QuantileHead(
                frozen.width, residual.shape[1], initial
            ).to(device)
    head = module.quantile_head
    assert head is not None
    levels = torch.as_tensor(QUANTILE_LEVELS, dtype=torch.float32).to(device)

    def loss(hidden: torch.Tensor, rows: Any) -> torch.Tensor:
        predicted = head(hidden.to(device))
        return pinball_loss(predicted, residual[rows].to(device), levels)

    train_head(head, loss, frozen.hidden, training, frozen.block_rows)


def learnt_quantiles(
    module: GaussianHead, inputs: np.ndarray, batch_size: int, device: str
) -> np.ndarray:
    """Quantiles at ``QUANTILE_LEVELS`` in the network's (scaled) target space.

    Returns an array of shape (n_samples, n_targets, n_levels).

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> net = GaussianHead(MLP, n_features=2, n_outputs=1, hidden_layer_sizes=(4,))
    >>> net.quantile_head = QuantileHead(4, 1, np.tile(QUANTILE_LEVELS, (1, 1)))
    >>> learnt_quantiles(net, np.zeros((3, 2), np.float32), 8, "cpu").shape
    (3, 1, 25)
    """
    head = module.quantile_head
    if head is None:
        raise ValueError(
            "This network has no quantile head: fit with interval_method='pinball'."
        )

    def mean_plus_residual(X: torch.Tensor) -> tuple[torch.Tensor]:
        mean, hidden = module.mean_and_hidden(X)
        return (mean.unsqueeze(-1) + head(hidden),)

    (flat,) = run_in_batches(module, mean_plus_residual, inputs, batch_size, device)
    return flat.reshape(len(inputs), -1, len(QUANTILE_LEVELS)).astype(np.float64)


def interpolate_levels(grid: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles at ``levels`` from quantiles at ``QUANTILE_LEVELS`` (last axis).

    Linear in normal scores between the learnt levels (exact for a Gaussian
    posterior); a level outside the learnt range is an error.

    Examples
    --------
    >>> from scipy.stats import norm
    >>> grid = norm.ppf(QUANTILE_LEVELS)[None, :]
    >>> interpolate_levels(grid, np.array([0.3, 0.33])).round(4)
    array([[-0.5244, -0.4399]])
    """
    low, high = QUANTILE_LEVELS[0], QUANTILE_LEVELS[-1]
    if np.any((levels < low) | (levels > high)):
        raise ValueError(
            f"quantiles must lie within [{low}, {high}], the levels the pinball "
            f"heads learnt (interval_method='pinball'); got {levels.tolist()}. "
            "Use interval_method='gaussian' for more extreme levels."
        )
    scores, wanted = norm.ppf(QUANTILE_LEVELS), norm.ppf(levels)
    upper = np.clip(np.searchsorted(scores, wanted), 1, len(scores) - 1)
    lower = upper - 1
    weight = (wanted - scores[lower]) / (scores[upper] - scores[lower])
    exact = np.isclose(levels, QUANTILE_LEVELS[lower])
    values = grid[..., lower] * (1 - weight) + grid[..., upper] * weight
    values = np.where(exact, grid[..., lower], values)
    return np.where(
        np.isclose(levels, QUANTILE_LEVELS[upper]), grid[..., upper], values
    )
