"""Predictions that do not depend on how the rows are batched, nor move torch's RNG.

A matrix product or a convolution on CPU (MKL, OpenBLAS, oneDNN) picks its
kernel, and with it the order of the additions, from the shape of the whole
batch, so a row's float32 output can change in its last bits with the number
of rows predicted with it and with its position among them. During
prediction the skorch nets below therefore compute every
``torch.nn.functional.linear`` (what ``nn.Linear`` calls) and every
``torch.nn.functional.conv1d`` (``nn.Conv1d``) as small products per row, of
the same shape whatever the batch: ``predict`` then returns bit-identical
values whatever the batch size and however ``X`` is split. Training is left
to the fast batched kernels. :func:`run_in_batches`, which evaluates other
outputs of a trained module (the variance head, say), does the same. Other
layers that mix a row's values by a batched kernel (``conv2d``, attention) in
a custom architecture are not covered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from skorch import NeuralNetClassifier, NeuralNetRegressor
from torch.overrides import TorchFunctionMode

from ._seeding import DrawsFromFitGenerator, use_generator_dropout


def rowwise_linear(
    input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """``F.linear`` computed as one ``(1, in) @ (in, out)`` product per row.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(3, 2)
    >>> x = torch.randn(5, 3)
    >>> out = rowwise_linear(x, layer.weight, layer.bias)
    >>> torch.allclose(out, layer(x)), torch.equal(out[1:2], rowwise_linear(
    ...     x[1:2], layer.weight, layer.bias))
    (True, True)
    """
    rows = input.reshape(-1, 1, input.shape[-1])
    n_rows, n_out = rows.shape[0], weight.shape[0]
    weight_t = weight.t().expand(n_rows, *weight.t().shape)
    if bias is None:
        out = torch.bmm(rows, weight_t)
    else:
        out = torch.baddbmm(bias.expand(n_rows, 1, n_out), rows, weight_t)
    return out.reshape(*input.shape[:-1], n_out)


def rowwise_conv1d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> torch.Tensor:
    """``F.conv1d`` computed per row, as a product of the same shape for every row.

    Each row's sliding windows, ``(length_out, in_channels * kernel)``, are
    multiplied by the flattened kernel in one batched product whose per-row
    shape does not depend on the number of rows. Grouped or string-padded
    convolutions are computed one row at a time instead.

    Examples
    --------
    >>> import torch
    >>> conv = torch.nn.Conv1d(2, 3, 5, stride=2, padding=2)
    >>> x = torch.randn(6, 2, 11)
    >>> out = rowwise_conv1d(x, conv.weight, conv.bias, 2, 2)
    >>> torch.allclose(out, conv(x), atol=1e-6), torch.equal(
    ...     out[4:5], rowwise_conv1d(x[4:5], conv.weight, conv.bias, 2, 2))
    (True, True)
    """
    (stride,), (dilation,) = _single(stride), _single(dilation)
    if groups != 1 or isinstance(padding, str) or input.dim() != 3:
        rows = [
            F.conv1d(row[None], weight, bias, stride, padding, dilation, groups)
            for row in input
        ]
        return (
            torch.cat(rows)
            if rows
            else F.conv1d(input, weight, bias, stride, padding, dilation, groups)
        )
    (padding,) = _single(padding)
    n_rows, n_out, kernel = input.shape[0], weight.shape[0], weight.shape[2]
    padded = F.pad(input, (padding, padding))
    span = (kernel - 1) * dilation + 1
    windows = padded.unfold(2, span, stride)[..., ::dilation]  # (n, c, l, k)
    windows = windows.permute(0, 2, 1, 3).reshape(n_rows, windows.shape[2], -1)
    kernel_t = weight.reshape(n_out, -1).t().expand(n_rows, -1, -1)
    if bias is None:
        out = torch.bmm(windows, kernel_t)
    else:
        out = torch.baddbmm(bias.expand(n_rows, 1, n_out), windows, kernel_t)
    return out.transpose(1, 2)


def _single(value: Any) -> tuple[int]:
    return (value,) if isinstance(value, int) else tuple(value)  # type: ignore[return-value]


class RowwiseLinear(TorchFunctionMode):
    """Within this context, ``F.linear`` and ``F.conv1d`` on CPU run per row.

    See :func:`rowwise_linear` and :func:`rowwise_conv1d`.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(4, 3)
    >>> x = torch.randn(100, 4)
    >>> with RowwiseLinear():
    ...     whole, alone = layer(x), layer(x[7:8])
    >>> torch.equal(whole[7:8], alone)
    True
    """

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        if args and isinstance(args[0], torch.Tensor) and args[0].device.type == "cpu":
            if func is F.linear:
                return rowwise_linear(*args, **kwargs)
            if func is F.conv1d:
                return rowwise_conv1d(*args, **kwargs)
        return func(*args, **kwargs)


class ReproducibleInferenceMixin:
    """skorch net mixin: predictions independent of batching, and of torch's RNG.

    Predictions (``evaluation_step``) run under :class:`RowwiseLinear`, and
    the data loaders that feed them draw their seed from a generator of their
    own: a ``DataLoader`` otherwise takes one number from torch's global
    generator each time it is iterated, so every ``predict`` would move it.
    """

    def evaluation_step(self, batch: Any, training: bool = False) -> Any:
        if training:
            return super().evaluation_step(batch, training)  # type: ignore[misc]
        with RowwiseLinear():
            return super().evaluation_step(batch, training)  # type: ignore[misc]

    def initialize_module(self) -> Any:
        # The initial weights and dropout masks come from the training's own
        # generator (see _seeding), not from torch's global one.
        with DrawsFromFitGenerator():
            super().initialize_module()  # type: ignore[misc]
        use_generator_dropout(self.module_)  # type: ignore[attr-defined]
        return self

    def get_iterator(self, dataset: Any, training: bool = False) -> Any:
        iterator = super().get_iterator(dataset, training)  # type: ignore[misc]
        if not training and getattr(iterator, "generator", False) is None:
            iterator.generator = torch.Generator()
        return iterator


class ReproducibleNetRegressor(ReproducibleInferenceMixin, NeuralNetRegressor):
    """skorch ``NeuralNetRegressor`` whose predictions do not depend on batching.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> net = ReproducibleNetRegressor(
    ...     torch.nn.Linear, module__in_features=3, module__out_features=1,
    ...     max_epochs=1, batch_size=4, verbose=0)
    >>> X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    >>> _ = net.fit(X, X[:, :1])
    >>> one_by_one = np.concatenate([net.predict(X[i:i + 1]) for i in range(50)])
    >>> bool((net.predict(X) == one_by_one).all())
    True
    >>> before = torch.get_rng_state()
    >>> _ = net.predict(X)
    >>> torch.equal(before, torch.get_rng_state())
    True
    """


class ReproducibleNetClassifier(ReproducibleInferenceMixin, NeuralNetClassifier):
    """skorch ``NeuralNetClassifier`` whose predictions do not depend on batching.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> net = ReproducibleNetClassifier(
    ...     torch.nn.Linear, module__in_features=3, module__out_features=2,
    ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=1, verbose=0)
    >>> X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    >>> _ = net.fit(X, (X[:, 0] > 0).astype(np.int64))
    >>> bool((net.predict_proba(X)[:5] == net.predict_proba(X[:5])).all())
    True
    """


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
    is restored afterwards. Linear layers run under :class:`RowwiseLinear`,
    so the outputs do not depend on ``batch_size``.

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
        shapes = run_in_batches(module, function, placeholder, 1, device)
        return tuple(output[:0] for output in shapes)
    was_training = module.training
    module.eval()
    # Each batch's outputs are written into arrays allocated for all rows:
    # keeping the batches and joining them would hold every output twice
    # (for the variance head, the last hidden layer of every training row).
    outputs: tuple[np.ndarray, ...] = ()
    try:
        with torch.no_grad(), RowwiseLinear():
            for start in range(0, len(inputs), batch_size):
                batch = torch.as_tensor(inputs[start : start + batch_size]).to(device)
                parts = [t.flatten(1).cpu().numpy() for t in function(batch)]
                if not outputs:
                    outputs = tuple(
                        np.empty((len(inputs), part.shape[1]), dtype=np.float32)
                        for part in parts
                    )
                for output, part in zip(outputs, parts, strict=True):
                    output[start : start + len(part)] = part
    finally:
        module.train(was_training)
    return outputs
