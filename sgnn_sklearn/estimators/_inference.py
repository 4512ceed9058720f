"""Run a trained module over inputs in batches, in evaluation mode."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


def run_in_batches(
    module: torch.nn.Module,
    function: Callable[[torch.Tensor], tuple[torch.Tensor, ...]],
    inputs: np.ndarray,
    batch_size: int,
    device: str,
) -> tuple[np.ndarray, ...]:
    """``function(batch)`` over ``inputs`` in batches, with ``module`` in eval mode.

    ``function`` returns a tuple of tensors with one row per input; their
    batches are concatenated, as float32 arrays. The module's training mode
    is restored afterwards.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> net = nn.Linear(3, 2)
    >>> (out,) = run_in_batches(net, lambda x: (net(x),), np.zeros((5, 3), np.float32),
    ...                         2, "cpu")
    >>> out.shape
    (5, 2)
    """
    if len(inputs) == 0:
        placeholder = np.zeros((1, *inputs.shape[1:]), dtype=np.float32)
        outputs = run_in_batches(module, function, placeholder, 1, device)
        return tuple(output[:0] for output in outputs)
    was_training = module.training
    module.eval()
    parts: list[tuple[np.ndarray, ...]] = []
    try:
        with torch.no_grad():
            for start in range(0, len(inputs), batch_size):
                batch = torch.as_tensor(inputs[start : start + batch_size]).to(device)
                parts.append(tuple(t.flatten(1).cpu().numpy() for t in function(batch)))
    finally:
        module.train(was_training)
    return tuple(
        np.concatenate(columns).astype(np.float32, copy=False)
        for columns in zip(*parts, strict=True)
    )
