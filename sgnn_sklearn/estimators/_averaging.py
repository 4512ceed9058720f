"""A running average of the network's weights, validated and kept.

Stochastic gradient steps leave the weights jittering around the minimum
they approach; the average of the last steps' weights lies nearer it than
any one of them (Polyak averaging). :class:`WeightAverage` keeps an
exponential average whose window grows with training: at step ``t`` the new
weights count ``WINDOW - 1`` parts in ``WINDOW + t``, so the average spans
about the last ``t / (WINDOW - 1)`` steps at every budget, and no decay rate
needs tuning to it. Early stopping and the learning-rate schedule judge the
averaged network, and the averaged network is the one kept.
"""

from __future__ import annotations

from typing import Any

import torch
from skorch.callbacks import Callback

# The average at step t spans about the last t / (WINDOW - 1) steps.
WINDOW = 10


class WeightAverage(Callback):
    """skorch callback: train one network, validate and keep its running average.

    The optimiser steps the network's own weights; after each training step
    the average moves towards them. Before the validation batches of an
    epoch (or at its end, when nothing is held out) the average takes the
    network's place, so that the validation loss, early stopping and the
    learning-rate schedule judge it and early stopping stores it; the next
    epoch resumes from the stepped weights. At the end of training the
    network holds the average of the last epoch, unless early stopping
    restores the average of a better one. Only parameters are averaged, not
    buffers. Place it before ``EarlyStopping``.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetRegressor
    >>> average = WeightAverage()
    >>> net = NeuralNetRegressor(torch.nn.Linear, module__in_features=1,
    ...                          module__out_features=1, max_epochs=3,
    ...                          train_split=None, verbose=0, callbacks=[average])
    >>> X = np.ones((8, 1), dtype=np.float32)
    >>> _ = net.fit(X, X)
    >>> average.n_steps_
    3
    """

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        self._params = list(net.module_.parameters())
        self._average = [p.detach().clone() for p in self._params]
        self._stepped: list[torch.Tensor] | None = None
        self.n_steps_ = 0

    def on_epoch_begin(self, net: Any, **kwargs: Any) -> None:
        if self._stepped is not None:
            _copy(self._stepped, self._params)
            self._stepped = None

    def on_batch_begin(self, net: Any, training: bool = False, **kwargs: Any) -> None:
        if not training:
            self._swap_in()

    def on_batch_end(self, net: Any, training: bool = False, **kwargs: Any) -> None:
        if not training:
            return
        self.n_steps_ += 1
        weight = (WINDOW - 1) / (WINDOW + self.n_steps_)
        with torch.no_grad():
            for average, param in zip(self._average, self._params, strict=True):
                average.lerp_(param, weight)

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        self._swap_in()

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        # After an interrupt within an epoch the network holds stepped weights.
        self._swap_in()
        # Spent, and pickled with the net: no copy of the weights stays behind.
        self._params, self._average, self._stepped = [], [], None

    def _swap_in(self) -> None:
        """Put the average in the network's place, keeping the stepped weights."""
        if self._stepped is not None:
            return
        self._stepped = [p.detach().clone() for p in self._params]
        _copy(self._average, self._params)


def _copy(source: list[torch.Tensor], target: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for s, t in zip(source, target, strict=True):
            t.copy_(s)
