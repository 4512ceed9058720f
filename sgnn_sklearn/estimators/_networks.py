"""Torch modules the estimators train: an MLP and a 1-D convolutional network.

Every module exposes ``embed(X)``, its last hidden layer, which attribution and
diagnostics use as the network's own representation of an input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

# Adam and AdamW update all of a network's tensors in one grouped operation
# ("foreach"), where torch's default on the CPU updates them one at a time
# from Python: the step is a fifth faster (a fit on 10^4 SIR simulations 2-4%)
# and gives the same bits (tests/test_determinism.py checks that it does).
OPTIMIZER_KWARGS: dict[str, Any] = {"foreach": True}


def _dense_stack(
    n_in: int, hidden_layer_sizes: Sequence[int], dropout: float
) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in hidden_layer_sizes:
        layers += [nn.Linear(n_in, int(width)), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        n_in = int(width)
    return nn.Sequential(*layers)


class MLP(nn.Module):
    """Fully connected network: ReLU hidden layers, then a linear head.

    Parameters
    ----------
    n_features : int
        Input dimension.
    n_outputs : int
        Output dimension (targets, or class logits).
    hidden_layer_sizes : sequence of int, default=(128, 128)
        Width of each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.

    Examples
    --------
    >>> import torch
    >>> net = MLP(n_features=4, n_outputs=2, hidden_layer_sizes=(8,))
    >>> net(torch.zeros(3, 4)).shape, net.embed(torch.zeros(3, 4)).shape
    (torch.Size([3, 2]), torch.Size([3, 8]))
    """

    def __init__(
        self,
        n_features: int,
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] = (128, 128),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.body = _dense_stack(n_features, hidden_layer_sizes, dropout)
        width = int(hidden_layer_sizes[-1]) if len(hidden_layer_sizes) else n_features
        self.head = nn.Linear(width, n_outputs)

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations."""
        return self.body(X)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(X))


class ConvNet(nn.Module):
    """1-D convolutional network for time series, then dense layers and a head.

    Two strided convolutions (16 and 32 channels, kernel 5, stride 2) read the
    series as one channel; their flattened output feeds ReLU hidden layers.
    Strides keep the temporal position, which growth and epidemic curves need.

    Parameters
    ----------
    n_features : int
        Length of each series.
    n_outputs : int
        Output dimension.
    hidden_layer_sizes : sequence of int, default=(128, 128)
        Width of each dense hidden layer after the convolutions.
    dropout : float, default=0.0
        Dropout probability after each dense hidden layer.

    Examples
    --------
    >>> import torch
    >>> net = ConvNet(n_features=30, n_outputs=3, hidden_layer_sizes=(16,))
    >>> net(torch.zeros(2, 30)).shape
    torch.Size([2, 3])
    """

    channels = (16, 32)
    kernel_size = 5

    def __init__(
        self,
        n_features: int,
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] = (128, 128),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        convs: list[nn.Module] = []
        n_in, length = 1, n_features
        for n_out in self.channels:
            convs += [
                nn.Conv1d(n_in, n_out, self.kernel_size, stride=2, padding=2),
                nn.ReLU(),
            ]
            n_in, length = n_out, (length - 1) // 2 + 1
        self.conv = nn.Sequential(*convs)
        self.body = _dense_stack(n_in * length, hidden_layer_sizes, dropout)
        width = (
            int(hidden_layer_sizes[-1]) if len(hidden_layer_sizes) else n_in * length
        )
        self.head = nn.Linear(width, n_outputs)

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations."""
        return self.body(self.conv(X.unsqueeze(1)).flatten(1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(X))


ARCHITECTURES: dict[str, type[nn.Module]] = {"mlp": MLP, "cnn": ConvNet}
