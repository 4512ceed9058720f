"""Fine-tuning on a few real labels that moves only as far as the labels support.

A handful of noisy labels can pull a simulation-trained network away from a
posterior mean that thousands of simulations pin down. So the labels first
decide how far to move: copies of the network are fine-tuned on K-1 folds of
them and scored on the K-th, epoch by epoch, with the unchanged network as
epoch 0, so that every label is held out once. The number of epochs with the
lowest held-out loss is then run on all labels, but only when its gain over
epoch 0 exceeds one standard error of the per-label differences (the
one-standard-error rule of cross-validation); otherwise the zero-shot
network is kept as it is.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import KFold
from skorch.utils import to_tensor

# Folds of the labels that decide the number of fine-tuning epochs.
N_FOLDS = 5
# Below this many labels no fold can be held out: the zero-shot network is kept.
MIN_LABELS = 2
# ``finetune_lr=None`` fine-tunes at this share of the simulation phase's ``lr``.
DEFAULT_LR_SCALE = 0.1


def finetune_lr(lr: float, finetune_lr: float | None) -> float:
    """The learning rate of fine-tuning: ``finetune_lr``, or a tenth of ``lr``.

    Examples
    --------
    >>> finetune_lr(1e-3, None), finetune_lr(1e-3, 5e-4)
    (0.0001, 0.0005)
    """
    return lr * DEFAULT_LR_SCALE if finetune_lr is None else finetune_lr


def per_label_loss(net: Any, X: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The net's training criterion on each row of ``(X, targets)``, in eval mode.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetRegressor
    >>> net = NeuralNetRegressor(torch.nn.Linear, module__in_features=1,
    ...                          module__out_features=1).initialize()
    >>> with torch.no_grad():
    ...     _ = net.module_.weight.fill_(2.0), net.module_.bias.fill_(0.0)
    >>> X = np.ones((3, 1), dtype=np.float32)
    >>> per_label_loss(net, X, X * [[3], [2], [0]]).tolist()
    [1.0, 0.0, 4.0]
    """
    criterion = copy.copy(net.criterion_)
    criterion.reduction = "none"
    net.module_.eval()
    with torch.no_grad():
        prediction = net.infer(X)
        loss = criterion(prediction, to_tensor(targets, device=net.device))
    loss = loss.reshape(len(X), -1).mean(dim=1)
    return np.asarray(loss.cpu().numpy(), dtype=np.float64)


def choose_epochs(
    net: Any,
    X: np.ndarray,
    targets: np.ndarray,
    *,
    max_epochs: int,
    patience: int,
    random_state: int,
) -> tuple[int, np.ndarray, bool]:
    """Choose the number of fine-tuning epochs by K-fold cross-validation.

    ``min(5, n)`` copies of ``net`` are fine-tuned in lockstep, each on all
    labels but one fold, and after every epoch scored on that fold, so that
    each label has a held-out loss per epoch; epoch 0 is the network as it
    is. The search stops ``patience`` epochs after the last improvement of
    the mean or at ``max_epochs``. The epoch with the lowest mean loss is
    chosen when its gain over epoch 0 exceeds one standard error of the
    per-label differences; otherwise 0. ``net`` itself is not changed.

    Parameters
    ----------
    net : skorch net, initialised
        The simulation-trained network, with the fine-tuning learning rate.
        Its criterion must be a torch loss with a ``reduction`` attribute.
    X : ndarray of shape (n_samples, n_features)
        Network inputs of the labelled real data.
    targets : ndarray
        Their encoded targets.
    max_epochs : int
        Most epochs tried.
    patience : int
        Epochs without improvement of the mean held-out loss before the
        search ends.
    random_state : int
        Seeds the folds.

    Returns
    -------
    n_epochs : int
        The chosen number of epochs; 0 keeps ``net`` unchanged.
    losses : ndarray of shape (n_tried + 1,)
        Mean held-out loss after each number of epochs, from 0.
    interrupted : bool
        Whether a KeyboardInterrupt (Ctrl-C) ended the search early; the
        choice is then made among the epochs tried.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetRegressor
    >>> X = np.linspace(-1, 1, 40, dtype=np.float32).reshape(-1, 1)
    >>> net = NeuralNetRegressor(torch.nn.Linear, module__in_features=1,
    ...                          module__out_features=1, lr=0.1, train_split=None,
    ...                          verbose=0).initialize()
    >>> n_epochs, losses, _ = choose_epochs(net, X, 2 * X, max_epochs=30,
    ...                                     patience=5, random_state=0)
    >>> n_epochs > 0, bool(losses[n_epochs] < losses[0])
    (True, True)
    """
    n_folds = min(N_FOLDS, len(X))
    folds = list(KFold(n_folds, shuffle=True, random_state=random_state).split(X))
    copies = []
    for _ in folds:
        fold_net = copy.deepcopy(net)
        # No early stopping or logging of its own: the held-out labels decide.
        fold_net.train_split, fold_net.callbacks, fold_net.verbose = None, [], 0
        fold_net.initialize_callbacks()
        copies.append(fold_net)

    def held_out_losses() -> np.ndarray:
        losses = np.empty(len(X))
        for fold_net, (_, valid) in zip(copies, folds, strict=True):
            losses[valid] = per_label_loss(fold_net, X[valid], targets[valid])
        return losses

    by_epoch = [held_out_losses()]
    best = 0
    interrupted = False
    for epoch in range(1, max_epochs + 1):
        if epoch - best > patience:
            break
        try:
            # fit_loop, unlike partial_fit, lets a KeyboardInterrupt through.
            for fold_net, (train, _) in zip(copies, folds, strict=True):
                fold_net.fit_loop(X[train], targets[train], epochs=1)
        except KeyboardInterrupt:
            interrupted = True
            break
        by_epoch.append(held_out_losses())
        if by_epoch[-1].mean() < by_epoch[best].mean():
            best = epoch
    gain = by_epoch[0] - by_epoch[best]
    standard_error = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else 0.0
    n_epochs = best if gain.mean() > standard_error else 0
    return n_epochs, np.array([losses.mean() for losses in by_epoch]), interrupted
