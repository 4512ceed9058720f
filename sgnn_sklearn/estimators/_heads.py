"""What the uncertainty heads read, and how they are trained.

Every head (the variance head, the pinball quantiles, the mixture) learns
on the frozen network: its residuals, its last hidden layer and, for the
mixture, its inputs. :class:`FrozenNetwork` computes these once per trained
network and serves every head; :class:`HeadTraining` holds the rows and the
settings all heads share, and :func:`train_head` is the loop they all run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from ._batches import PREDICT_BATCH_SIZE
from ._inference import run_in_batches
from ._networks import OPTIMIZER_KWARGS

if TYPE_CHECKING:
    from ._variance import GaussianHead

# The uncertainty heads keep the last hidden layer of every training row when
# it takes at most this much memory (131,072 rows of 128), and embed the rows
# again in each epoch otherwise (see FrozenNetwork).
HIDDEN_CACHE_BYTES = 64 * 2**20
# Rows embedded at once in an epoch when the hidden layer is not kept: a few
# tens of megabytes, and whole mini-batches (see train_head).
EPOCH_BLOCK_ROWS = 32_768


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
    >>> from sgnn_sklearn.estimators._variance import GaussianHead
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


@dataclass(frozen=True)
class HeadTraining:
    """The rows and settings every uncertainty head of one network trains with.

    Parameters
    ----------
    train : ndarray of int
        Rows the heads learn from.
    valid : ndarray of int or None
        Rows early stopping monitors; without them, the ``train`` rows.
    lr : float
        Adam's learning rate.
    batch_size : int
        Rows per step.
    max_epochs : int
        Most epochs.
    patience : int or None
        Epochs without improvement before training stops, keeping the best
        weights; None trains ``max_epochs`` and keeps the last.
    seed : int
        Seeds the order of the rows in each epoch (and a new head's weights).
    warm_start : bool, default=False
        Continue from the heads a network already has (fine-tuning) instead
        of making new ones.

    Examples
    --------
    >>> import numpy as np
    >>> training = HeadTraining(np.arange(8), None, lr=0.01, batch_size=4,
    ...                         max_epochs=3, patience=None, seed=0)
    >>> training.monitored_rows().tolist() == list(range(8))
    True
    """

    train: np.ndarray
    valid: np.ndarray | None
    lr: float
    batch_size: int
    max_epochs: int
    patience: int | None
    seed: int
    warm_start: bool = False

    def monitored_rows(self) -> np.ndarray:
        """The rows early stopping watches: ``valid``, or ``train`` without them."""
        return self.train if self.valid is None or len(self.valid) == 0 else self.valid


def train_head(
    head: nn.Module,
    loss: Callable[[torch.Tensor, Any], torch.Tensor],
    hidden: Callable[[Any], torch.Tensor],
    training: HeadTraining,
    block_rows: int = 1,
) -> None:
    """Fit a head by Adam on ``loss(hidden(rows), rows)``, with early stopping.

    ``hidden(rows)`` is what the head reads for the given rows (indices), and
    ``loss(hidden, rows)`` their mean loss. Each epoch draws the training
    rows in a random order and asks ``hidden`` for ``block_rows`` of them at
    a time (whole mini-batches, at least one, so the mini-batches and their
    results do not depend on it). With ``training.patience`` set, training
    stops when the loss on the monitored rows, computed on all of them at
    once, has not improved for that many epochs, and the best weights are
    kept. The head is left in eval mode.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> head = torch.nn.Linear(1, 1)
    >>> x, y = torch.ones(20, 1), torch.full((20, 1), 2.0)
    >>> training = HeadTraining(np.arange(15), None, lr=0.05, batch_size=5,
    ...                         max_epochs=300, patience=None, seed=0)
    >>> train_head(head, lambda h, rows: ((head(h) - y[rows]) ** 2).mean(),
    ...            lambda rows: x[rows], training)
    >>> with torch.no_grad():
    ...     bool(abs(float(head(torch.ones(1, 1))) - 2.0) < 0.05)
    True
    """
    monitor = training.monitored_rows()
    patience, batch_size = training.patience, training.batch_size
    generator = torch.Generator().manual_seed(training.seed)
    optimizer = torch.optim.Adam(head.parameters(), lr=training.lr, **OPTIMIZER_KWARGS)
    train_rows = torch.as_tensor(training.train)
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
                for rows in row_blocks(monitor, block_rows)
            )

    best = np.inf if monitor_hidden is None else monitored()
    best_state, since_best = copy.deepcopy(head.state_dict()), 0
    head.train()
    try:
        for _ in range(training.max_epochs):
            order = train_rows[torch.randperm(len(train_rows), generator=generator)]
            for block in row_blocks(order, block_rows):
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
            "The training of an uncertainty head (variance, quantiles or mixture) "
            "diverged: its loss is not finite. Lower lr (or finetune_lr when "
            "fine-tuning)."
        )


def row_blocks(rows: Any, size: int) -> Iterator[Any]:
    """Consecutive slices of ``rows`` of ``size`` (the last one shorter).

    Examples
    --------
    >>> [block.tolist() for block in row_blocks(np.arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
