"""Ctrl-C during training: keep the best weights so far, and say so.

skorch ends training on a KeyboardInterrupt without a word: ``partial_fit``
catches it, because its own ``EarlyStopping`` stops training by raising one.
:class:`InterruptGuard` tells the two apart, restores the best weights so far
when no ``EarlyStopping`` does, and :func:`warn_if_interrupted` reports it.
"""

from __future__ import annotations

import warnings
from copy import deepcopy
from typing import Any

import numpy as np
from skorch.callbacks import Callback, EarlyStopping


class InterruptGuard(Callback):
    """skorch callback that notices a user's KeyboardInterrupt.

    Place it after ``EarlyStopping``, whose ``on_train_end`` restores the
    best weights when there is one; without one the guard keeps the weights
    of the epoch with the lowest ``monitor`` itself, and restores them only
    when training was interrupted.

    Parameters
    ----------
    monitor : str, default="train_loss"
        History key that ranks epochs when there is no ``EarlyStopping``.

    Attributes
    ----------
    interrupted_ : bool
        Whether the last training run ended by an interrupt that was not
        early stopping, before ``max_epochs``.
    completed_epochs_ : int
        Epochs of the last run that ended (their ``on_epoch_end`` ran).
    best_epoch_ : int or None
        The epoch whose weights the network kept after an interrupt.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetRegressor
    >>> from skorch.callbacks import Callback
    >>> class StopAt2(Callback):
    ...     def on_epoch_end(self, net, **kwargs):
    ...         if len(net.history) == 2:
    ...             raise KeyboardInterrupt
    >>> guard = InterruptGuard()
    >>> net = NeuralNetRegressor(torch.nn.Linear, module__in_features=1,
    ...                          module__out_features=1, max_epochs=5,
    ...                          train_split=None, verbose=0,
    ...                          callbacks=[guard, StopAt2()])
    >>> X = np.ones((8, 1), dtype=np.float32)
    >>> _ = net.fit(X, X)
    >>> guard.interrupted_, guard.completed_epochs_
    (True, 2)
    """

    def __init__(self, monitor: str = "train_loss") -> None:
        self.monitor = monitor

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        self.interrupted_ = False
        self.completed_epochs_ = 0
        self.best_epoch_: int | None = None
        self._best_score = np.inf
        self._best_weights: dict[str, Any] | None = None

    def _early_stopping(self, net: Any) -> EarlyStopping | None:
        for _, callback in net.callbacks_:
            if isinstance(callback, EarlyStopping):
                return callback
        return None

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        self.completed_epochs_ += 1
        if self._early_stopping(net) is not None:
            return
        score = net.history[-1, self.monitor]
        if score < self._best_score:
            self._best_score = score
            self.best_epoch_ = net.history[-1, "epoch"]
            self._best_weights = deepcopy(net.module_.state_dict())

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        early_stopping = self._early_stopping(net)
        stopped_early = (
            early_stopping is not None
            and early_stopping.misses_ >= early_stopping.patience
        )
        self.interrupted_ = not (
            stopped_early or self.completed_epochs_ >= net.max_epochs
        )
        if early_stopping is not None:
            self.best_epoch_ = (
                early_stopping.best_epoch_
                if early_stopping.best_model_weights_ is not None
                else None
            )
        elif self.interrupted_ and self._best_weights is not None:
            net.module_.load_state_dict(self._best_weights)
        self._best_weights = None  # keep pickles small


def warn_interrupted_step(estimator_name: str, step: str, kept: str) -> None:
    """Warn that a KeyboardInterrupt ended ``step``, outside the epoch loop.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_interrupted_step("Est", "the variance head's training",
    ...                           "it keeps the best head so far")
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    Est: the variance head's training was interrupted (KeyboardInterrupt); ...
    """
    warnings.warn(
        f"{estimator_name}: {step} was interrupted (KeyboardInterrupt); {kept}. "
        "The estimator is fitted and usable; fine-tuning on real data, if any "
        "was to follow, is skipped.",
        UserWarning,
        stacklevel=3,
    )


def warn_if_interrupted(
    guard: InterruptGuard, net: Any, estimator_name: str, skipped: str = ""
) -> bool:
    """Warn when ``guard`` saw an interrupt; return whether it did.

    Examples
    --------
    >>> guard = InterruptGuard()
    >>> guard.interrupted_ = False
    >>> warn_if_interrupted(guard, None, "SimulationGroundedRegressor")
    False
    """
    if not guard.interrupted_:
        return False
    if guard.best_epoch_ is None:
        kept = (
            "the weights it had when interrupted (no epoch had ended, so there "
            "is no better one)"
        )
    else:
        kept = f"the weights of epoch {guard.best_epoch_}, the best so far"
    warnings.warn(
        f"{estimator_name}: training was interrupted (KeyboardInterrupt) after "
        f"{guard.completed_epochs_} of at most {net.max_epochs} epochs. The "
        f"network keeps {kept}; it is fitted and usable.{skipped}",
        UserWarning,
        stacklevel=2,
    )
    return True
