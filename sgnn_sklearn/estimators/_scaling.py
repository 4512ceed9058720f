"""A ``StandardScaler`` fitted block by block, bit for bit as ``StandardScaler().fit``.

scikit-learn's ``StandardScaler.fit`` computes its variance with full-size
float64 temporaries (``X - mean`` and its square, a NaN mask and its float
copy): on 10^6 simulations of 60 days, about 1.5 GB on top of the data. The
two-pass algorithm it uses sums columns with ``numpy.sum(axis=0)``, which on a
C-contiguous array adds the rows one after another; summing block by block,
each block's sum started from the running total, gives the same floats. So
the statistics below are those of ``StandardScaler().fit(X)`` to the last
bit, with temporaries of one block (``tests/test_scaling.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.preprocessing._data import _handle_zeros_in_scale, _is_constant_feature

# Rows per block (a float64 block of 65,536 x 60 is 31 MB).
BLOCK_ROWS = 65_536


def _column_sum(
    X: np.ndarray,
    shift: np.ndarray | None,
    square: bool,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """``((X - shift) ** 2).sum(axis=0)`` (or without the square), block by block.

    Each block is summed starting from the total so far, so the rows are
    added in the order ``numpy.sum(axis=0)`` adds them over the whole array.
    ``transform``, when given, is applied to each block first.
    """
    total: np.ndarray | None = None
    for start in range(0, len(X), BLOCK_ROWS):
        block = X[start : start + BLOCK_ROWS]
        if transform is not None:
            block = transform(block)
        if shift is not None:
            block = block - shift
            if square:
                block **= 2
        if total is not None:
            block = np.concatenate([total[None], block])
        total = np.sum(block, axis=0)
    assert total is not None
    return total


def fit_standard_scaler(
    X: np.ndarray, transform: Callable[[np.ndarray], np.ndarray] | None = None
) -> StandardScaler:
    """``StandardScaler().fit(X)``, with memory for one block beyond ``X``.

    Only a C-contiguous float64 array without NaN, the offline fit's
    simulations, takes the blockwise path (or a float32 one with a
    ``transform`` that makes float64 blocks of it: the fit's counts held as
    float32); anything else is fitted by ``StandardScaler`` itself.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    transform : callable, default=None
        An elementwise transform (``numpy.log1p``, say): the scaler is then
        that of ``StandardScaler().fit(transform(X))``, to the last bit, with
        ``transform`` applied one block at a time. A transform that mixes
        rows or values would make statistics of something else.

    Returns
    -------
    StandardScaler
        Fitted, with the same ``mean_``, ``var_``, ``scale_`` and
        ``n_samples_seen_`` as ``StandardScaler().fit(X)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).lognormal(size=(1000, 3))
    >>> a, b = fit_standard_scaler(X), StandardScaler().fit(X)
    >>> bool((a.mean_ == b.mean_).all() and (a.scale_ == b.scale_).all())
    True
    >>> a = fit_standard_scaler(X, np.log1p)
    >>> bool((a.scale_ == StandardScaler().fit(np.log1p(X)).scale_).all())
    True
    """
    blockwise = (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and (X.dtype == np.float64 or (X.dtype == np.float32 and transform))
        and X.flags.c_contiguous
        and len(X) > 2
    )
    total = _column_sum(X, None, False, transform) if blockwise else None
    if total is None or not np.isfinite(total).all():
        # StandardScaler reports or handles NaN and inf.
        return StandardScaler().fit(X if transform is None else transform(X))
    # The attributes' types and the input checks come from a fit on two rows;
    # the statistics are then those of StandardScaler's two-pass algorithm
    # (sklearn.utils.extmath._incremental_mean_and_var from no samples seen).
    scaler = StandardScaler().fit(X[:2] if transform is None else transform(X[:2]))
    n_samples = np.full(X.shape[1], float(len(X)))
    mean = (np.zeros(X.shape[1]) + total) / n_samples
    shift = total / n_samples
    unnormalized = _column_sum(X, shift, True, transform)
    unnormalized -= _column_sum(X, shift, False, transform) ** 2 / n_samples
    var = unnormalized / n_samples
    scaler.mean_, scaler.var_ = mean, var
    scaler.n_samples_seen_ = type(scaler.n_samples_seen_)(n_samples[0])
    constant = _is_constant_feature(var, mean, scaler.n_samples_seen_)
    scaler.scale_ = _handle_zeros_in_scale(
        np.sqrt(var), copy=False, constant_mask=constant
    )
    return scaler
