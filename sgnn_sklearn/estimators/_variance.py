"""A variance head for the regressor that leaves the posterior mean untouched.

The network is trained with squared error exactly as a plain network; then a
small head on its last hidden layer, with the body and the mean frozen,
learns the log-variance of the residuals by Gaussian negative
log-likelihood (a proper scoring rule), with early stopping of its own. The
mean is therefore the squared-loss network's, bit for bit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from numbers import Real
from typing import Any

import numpy as np
import torch
from torch import nn

from ._batches import PREDICT_BATCH_SIZE
from ._inference import run_in_batches
from ._seeding import fork_rng

# Bounds on the log-variance of standardised targets: exp(-20) to exp(10)
# covers any posterior the network can express and keeps exp() finite.
LOG_VARIANCE_BOUNDS = (-20.0, 10.0)
# The uncertainty heads keep the last hidden layer of every training row when
# it takes at most this much memory (131,072 rows of 128), and embed the rows
# again in each epoch otherwise (see FrozenNetwork).
HIDDEN_CACHE_BYTES = 64 * 2**20
# Rows embedded at once in an epoch when the hidden layer is not kept: a few
# tens of megabytes, and whole mini-batches (see train_head).
EPOCH_BLOCK_ROWS = 32_768
# After an interrupt the heads are set, untrained, from this many training
# rows at most: enough for the residuals' spread, quick whatever the budget.
MAX_UNTRAINED_ROWS = 8192


def embed_method(module: nn.Module) -> Any:
    """The network's ``embed`` method, or a clear error when it has none.

    Examples
    --------
    >>> from torch import nn
    >>> embed_method(nn.Linear(2, 1))
    Traceback (most recent call last):
    ...
    TypeError: The network Linear has no embed(X) method; ...
    """
    embed = getattr(module, "embed", None)
    if not callable(embed):
        raise TypeError(
            f"The network {type(module).__name__} has no embed(X) method; the "
            "estimators need its last hidden layer for predictive uncertainty and "
            "attribution. Give the architecture an embed(X) method."
        )
    return embed


def embedding_width(module: nn.Module, n_features: int) -> int:
    """Width of ``module.embed``'s output, found by one forward pass on zeros.

    Examples
    --------
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> embedding_width(MLP(3, 1, hidden_layer_sizes=(8, 5)), 3)
    5
    """
    embed = embed_method(module)
    zeros = np.zeros((1, n_features), dtype=np.float32)
    (hidden,) = run_in_batches(module, lambda batch: (embed(batch),), zeros, 1, "cpu")
    return int(hidden.shape[1])


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
    return 0.5 * (log_var + squared_residual * torch.exp(-log_var)).mean()


class FrozenNetwork:
    """The frozen network's residuals, and its last hidden layer on demand.

    What the uncertainty heads learn from: they read the last hidden layer
    and model the residual. The residuals ``targets - mean`` (a few numbers
    per row) are computed once. The last hidden layer is kept for every row
    when it takes at most ``HIDDEN_CACHE_BYTES``; otherwise :meth:`hidden`
    embeds the rows asked for again at each call, so that a fit on 10^6
    simulations does not hold a 128-wide hidden layer per row beside its
    inputs. Both give the same bits: embeddings are computed row by row (see
    ``run_in_batches``).

    Parameters
    ----------
    module : GaussianHead
        The trained network.
    inputs : ndarray of shape (n_samples, n_features)
        The network inputs.
    targets : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The network targets.
    batch_size : int
        Training batch size; rows are embedded in batches of at least
        ``PREDICT_BATCH_SIZE``.
    device : str
        Where the network runs.

    Attributes
    ----------
    residual : ndarray of shape (n_samples, n_outputs)
        ``targets`` less the network's mean.
    width : int
        Width of the last hidden layer.
    block_rows : int
        How many rows a head in training asks :meth:`hidden` for at once:
        one (a mini-batch) when the hidden layer is kept, which then copies no
        more than a mini-batch; ``EPOCH_BLOCK_ROWS`` when it is not, so that
        the rows are embedded in batches of useful size.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> net = GaussianHead(MLP, n_features=2, n_outputs=1, hidden_layer_sizes=(4,))
    >>> frozen = FrozenNetwork(net, np.zeros((3, 2), np.float32),
    ...                        np.ones(3, np.float32), 8, "cpu")
    >>> frozen.residual.shape, tuple(frozen.hidden(np.array([0, 2])).shape)
    ((3, 1), (2, 4))
    """

    def __init__(
        self,
        module: GaussianHead,
        inputs: np.ndarray,
        targets: np.ndarray,
        batch_size: int,
        device: str,
    ) -> None:
        self.module, self.inputs, self.device = module, inputs, device
        self.batch_size = max(batch_size, PREDICT_BATCH_SIZE)
        self.width = embedding_width(module, inputs.shape[1])
        self._hidden: torch.Tensor | None = None
        self.block_rows = EPOCH_BLOCK_ROWS
        if len(inputs) * self.width * 4 <= HIDDEN_CACHE_BYTES:
            self.block_rows = 1
            mean, hidden = run_in_batches(
                module, module.mean_and_hidden, inputs, self.batch_size, device
            )
            self._hidden = torch.as_tensor(hidden)
        else:
            (mean,) = run_in_batches(
                module,
                lambda batch: (module.mean_and_hidden(batch)[0],),
                inputs,
                self.batch_size,
                device,
            )
        self.residual = targets.reshape(len(targets), -1) - mean

    def hidden(self, rows: Any) -> torch.Tensor:
        """The last hidden layer of ``rows`` (non-negative indices), on the CPU."""
        if self._hidden is not None:
            index = torch.as_tensor(rows)
            if index.dtype == torch.int64 and index.dim() == 1:
                # The same rows as self._hidden[rows], five times faster for a
                # mini-batch: this runs at every step of a head's training.
                return self._hidden.index_select(0, index)
            return self._hidden[rows]
        (hidden,) = run_in_batches(
            self.module,
            lambda batch: (self.module.embed(batch),),
            self.inputs[np.asarray(rows)],
            self.batch_size,
            self.device,
        )
        return torch.as_tensor(hidden)


def fit_variance_head(
    module: GaussianHead,
    inputs: np.ndarray,
    targets: np.ndarray,
    train: np.ndarray,
    valid: np.ndarray | None,
    *,
    lr: float,
    batch_size: int,
    max_epochs: int,
    patience: int | None,
    seed: int,
    device: str,
    warm_start: bool = False,
) -> None:
    """Train the variance head on the frozen network's residuals.

    The residuals are computed once, the last hidden layer once or block by
    block in each epoch (see :class:`FrozenNetwork`); the head is fitted
    by Adam on Gaussian NLL over the ``train`` rows, and with ``patience``
    set, stopped when the NLL on the ``valid`` rows (or, without them, on the
    ``train`` rows) has not improved for ``patience`` epochs, keeping the best
    weights. Unless ``warm_start``, the head starts from the constant
    log-variance of the training residuals.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sgnn_sklearn.estimators._networks import MLP
    >>> net = GaussianHead(MLP, n_features=2, n_outputs=1, hidden_layer_sizes=(4,))
    >>> X = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    >>> y = np.full((50, 1), 3.0, np.float32)
    >>> fit_variance_head(net, X, y, np.arange(40), np.arange(40, 50), lr=1e-2,
    ...                   batch_size=16, max_epochs=5, patience=2, seed=0,
    ...                   device="cpu")
    >>> with torch.no_grad():
    ...     mean, log_var = net.mean_and_log_variance(torch.as_tensor(X))
    >>> residual_variance = float(((torch.as_tensor(y) - mean) ** 2).mean())
    >>> bool(abs(float(log_var.mean()) - np.log(residual_variance)) < 0.2)
    True
    """
    frozen = FrozenNetwork(module, inputs, targets, batch_size, device)
    squared = torch.as_tensor(frozen.residual**2)
    head = module.log_variance
    if not warm_start:
        final = head[-1]
        assert isinstance(final, nn.Linear)
        with torch.no_grad():
            floor = float(np.exp(LOG_VARIANCE_BOUNDS[0]))
            initial = squared[train].mean(dim=0).clamp_min(floor).log()
            final.bias.copy_(initial.to(final.bias.device))

    def loss(hidden: torch.Tensor, rows: Any) -> torch.Tensor:
        log_var = module.log_variance_of(hidden.to(device))
        return gaussian_nll(log_var, squared[rows].to(device))

    train_head(
        head,
        loss,
        frozen.hidden,
        train,
        valid,
        lr=lr,
        batch_size=batch_size,
        max_epochs=max_epochs,
        patience=patience,
        seed=seed,
        block_rows=frozen.block_rows,
    )


def train_head(
    head: nn.Module,
    loss: Callable[[torch.Tensor, Any], torch.Tensor],
    hidden: Callable[[Any], torch.Tensor],
    train: np.ndarray,
    valid: np.ndarray | None,
    *,
    lr: float,
    batch_size: int,
    max_epochs: int,
    patience: int | None,
    seed: int,
    block_rows: int = 1,
) -> None:
    """Fit a head by Adam on ``loss(hidden(rows), rows)``, with early stopping.

    ``hidden(rows)`` is what the head reads for the given rows (indices), and
    ``loss(hidden, rows)`` their mean loss. Each epoch draws the rows in a
    random order and asks ``hidden`` for ``block_rows`` of them at a time
    (whole mini-batches, at least one, so the mini-batches and their results
    do not depend on it). With ``patience`` set, training stops when
    the loss on the ``valid`` rows (or, without them, on the ``train`` rows),
    computed on all of them at once, has not improved for ``patience``
    epochs, and the best weights are kept. The head is left in eval mode.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> head = torch.nn.Linear(1, 1)
    >>> x, y = torch.ones(20, 1), torch.full((20, 1), 2.0)
    >>> train_head(head, lambda h, rows: ((head(h) - y[rows]) ** 2).mean(),
    ...            lambda rows: x[rows], np.arange(15), None, lr=0.05,
    ...            batch_size=5, max_epochs=300, patience=None, seed=0)
    >>> with torch.no_grad():
    ...     bool(abs(float(head(torch.ones(1, 1))) - 2.0) < 0.05)
    True
    """
    monitor = train if valid is None or len(valid) == 0 else valid
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(head.parameters(), lr=lr)
    train_rows = torch.as_tensor(train)
    block_rows = max(1, block_rows // batch_size) * batch_size
    # Early stopping compares the loss of all monitored rows computed in one
    # pass (a batched product's last bits depend on its number of rows), so
    # their hidden layer is kept; without early stopping the loss is only
    # checked to be finite, block by block.
    monitor_hidden = None if patience is None else hidden(monitor)

    def monitored() -> float:
        assert monitor_hidden is not None
        with torch.no_grad():
            return float(loss(monitor_hidden, monitor))

    def finite() -> bool:
        if monitor_hidden is not None:
            return bool(np.isfinite(monitored()))
        with torch.no_grad():
            return all(
                np.isfinite(float(loss(hidden(rows), rows)))
                for rows in _blocks(monitor, block_rows)
            )

    best = np.inf if monitor_hidden is None else monitored()
    best_state, since_best = copy.deepcopy(head.state_dict()), 0
    head.train()
    try:
        for _ in range(max_epochs):
            order = train_rows[torch.randperm(len(train_rows), generator=generator)]
            for block in _blocks(order, block_rows):
                block_hidden = hidden(block)
                if not head.training:  # hidden() may run the network in eval mode
                    head.train()
                for start in range(0, len(block), batch_size):
                    rows = slice(start, start + batch_size)
                    optimizer.zero_grad()
                    loss(block_hidden[rows], block[rows]).backward()
                    optimizer.step()
            if patience is None:
                best_state = copy.deepcopy(head.state_dict())
                continue
            score = monitored()
            if score < best:
                best, best_state, since_best = (
                    score,
                    copy.deepcopy(head.state_dict()),
                    0,
                )
            else:
                since_best += 1
                if since_best >= patience:
                    break
    except KeyboardInterrupt:
        # Ctrl-C: stop at once with the best head so far, and let it through.
        head.load_state_dict(best_state)
        head.eval()
        raise
    head.load_state_dict(best_state)
    head.eval()
    if not finite():
        raise FloatingPointError(
            "The training of an uncertainty head (variance or quantiles) "
            "diverged: its loss is not finite. Lower lr (or finetune_lr when "
            "fine-tuning)."
        )


def _blocks(rows: Any, size: int) -> Iterator[Any]:
    """Consecutive slices of ``rows`` of ``size`` (the last one shorter)."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
