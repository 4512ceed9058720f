"""Training that cannot give finite answers is refused, with what to change.

Two ways a network ends up predicting NaN: targets that overflow float32 once
standardised (:func:`as_network_targets` refuses them before training), and a
loss that diverges, from too high a learning rate say (:class:`FiniteLoss`
stops training at the first epoch whose loss is not finite). Either way
``fit`` raises, and the estimator keeps the state it had before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from skorch.callbacks import Callback


def as_network_targets(encoded: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return standardised float32 targets, or refuse those that are not finite.

    Parameters
    ----------
    encoded : ndarray of float32
        The targets as the network learns them (standardised).
    y : ndarray
        The targets as given, for the message.

    Returns
    -------
    ndarray of float32
        ``encoded``.

    Examples
    --------
    >>> import numpy as np
    >>> as_network_targets(np.array([0.5], np.float32), np.array([3.0]))
    array([0.5], dtype=float32)
    >>> as_network_targets(np.array([np.inf], np.float32), np.array([1e300]))
    Traceback (most recent call last):
    ...
    ValueError: y has values too large for the network: 1 of 1 values are not ...
    """
    finite = np.isfinite(encoded)
    if finite.all():
        return encoded
    largest = np.nanmax(np.abs(np.asarray(y, dtype=float)))
    raise ValueError(
        f"y has values too large for the network: {int((~finite).sum())} of "
        f"{finite.size} values are not finite once standardised by the "
        "statistics of the training targets and cast to float32 (largest "
        f"absolute value in y: {largest:.3g}; float32 reaches "
        f"{np.finfo(np.float32).max:.3g}). Rescale the targets, e.g. with a log "
        "transform, in the simulator and in the real data alike."
    )


class FiniteLoss(Callback):
    """skorch callback: raise when an epoch's loss is NaN or infinite.

    Parameters
    ----------
    estimator_name : str
        Named in the message.
    lr_name : str
        The parameter that sets this training's learning rate.
    lr : float
        Its value.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetRegressor
    >>> net = NeuralNetRegressor(torch.nn.Linear, module__in_features=1,
    ...                          module__out_features=1, max_epochs=3, lr=1e30,
    ...                          train_split=None, verbose=0,
    ...                          callbacks=[FiniteLoss("Net", "lr", 1e30)])
    >>> X = np.ones((8, 1), dtype=np.float32)
    >>> net.fit(X, X)
    Traceback (most recent call last):
    ...
    FloatingPointError: Net: training diverged: the train_loss of epoch ...
    """

    def __init__(self, estimator_name: str, lr_name: str, lr: float) -> None:
        self.estimator_name = estimator_name
        self.lr_name = lr_name
        self.lr = lr

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        record = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            if key in record and not np.isfinite(record[key]):
                raise FloatingPointError(
                    f"{self.estimator_name}: training diverged: the {key} of "
                    f"epoch {record['epoch']} is {record[key]}. The fit was "
                    "abandoned; the estimator keeps the state it had before it. "
                    f"Lower {self.lr_name} (now {self.lr:g}); with targets of "
                    "extreme size or spread, rescale them (e.g. a log transform)."
                )
