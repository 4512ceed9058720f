"""Count observation models: Poisson and negative-binomial noise around a mean.

The negative binomial is parameterised by its mean ``mu`` and size
(dispersion) ``k``: variance ``mu + mu**2 / k``, so it tends to the Poisson as
``k`` grows. In scipy's terms it is ``nbinom(n=k, p=k / (k + mu))``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
from scipy.special import gammaln, xlogy

from .._pages import forget_rows, releasable_empty

NOISE_MODELS = ("poisson", "negbin")

# Rows of counts drawn at once (4 MB for series of 60 days).
DRAW_BLOCK_ROWS = 8192


class CountLaw(NamedTuple):
    """Independent counts around ``mean``, some of them reported as zero.

    Each count is Poisson or negative binomial (size ``dispersion``, shape
    (n_samples, 1)) around ``mean``; with probability ``missing`` (shape
    (n_samples, 1), or None for never) the report is missing and recorded as
    zero.

    Examples
    --------
    >>> import numpy as np
    >>> law = CountLaw(np.array([[2.0, 0.0]]), "poisson", None, None)
    >>> law_log_pmf(np.array([[2.0, 0.0]]), law).round(3).tolist()
    [[-1.307, 0.0]]
    """

    mean: np.ndarray
    noise: str
    dispersion: np.ndarray | None
    missing: np.ndarray | None


def law_log_pmf(counts: np.ndarray, law: CountLaw) -> np.ndarray:
    """Log probability of ``counts`` under ``law``, element by element.

    Examples
    --------
    >>> import numpy as np
    >>> law = CountLaw(np.array([[3.0]]), "poisson", None, np.array([[0.5]]))
    >>> bool(law_log_pmf(np.array([[0.0]]), law)[0, 0] > np.log(0.5))
    True
    """
    log_pmf = count_log_pmf(counts, law.mean, law.noise, law.dispersion)
    if law.missing is None:
        return log_pmf
    missing = np.broadcast_to(law.missing, log_pmf.shape)
    with np.errstate(divide="ignore"):
        reported = np.log1p(-missing) + log_pmf
        return np.where(counts == 0, np.logaddexp(np.log(missing), reported), reported)


def check_noise(noise: Any, owner: str) -> str:
    """Return ``noise`` when it names a count observation model, else raise.

    Parameters
    ----------
    noise : object
        Should be ``"poisson"`` or ``"negbin"``.
    owner : str
        Who asks, named in the error message.

    Returns
    -------
    str

    Examples
    --------
    >>> check_noise("negbin", "SIR")
    'negbin'
    >>> check_noise("gaussian", "SIR")
    Traceback (most recent call last):
    ...
    ValueError: SIR: noise must be 'poisson' or 'negbin'; got 'gaussian'.
    """
    if not isinstance(noise, str) or noise not in NOISE_MODELS:
        raise ValueError(
            f"{owner}: noise must be 'poisson' or 'negbin'; got {noise!r}."
        )
    return noise


def check_counts(X: Any, shape: tuple[int, ...], owner: str) -> np.ndarray:
    """Return ``X`` as floats, or raise unless it holds counts of ``shape``.

    Counts may be stored as floats, but must be finite, non-negative and
    whole.

    Parameters
    ----------
    X : array-like
        The observed counts.
    shape : tuple of int
        The expected shape.
    owner : str
        Who asks, named in error messages.

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> check_counts([[0, 3.0]], (1, 2), "SIR")
    array([[0., 3.]])
    >>> check_counts([[0, 2.5]], (1, 2), "SIR")
    Traceback (most recent call last):
    ...
    ValueError: SIR: X must hold non-negative whole counts; got 2.5 at (0, 1).
    """
    X = np.asarray(X, dtype=float)
    if X.shape != shape:
        raise ValueError(f"{owner}: X has shape {X.shape}; expected {shape}.")
    bad = ~(np.isfinite(X) & (X >= 0)) | (X != np.floor(X))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        value = float(X[where])
        raise ValueError(
            f"{owner}: X must hold non-negative whole counts; got {value} at {where}."
        )
    return X


def sample_counts(
    mean: np.ndarray,
    noise: str,
    rng: np.random.Generator,
    dispersion: np.ndarray | None = None,
) -> np.ndarray:
    """Draw counts around ``mean``, element by element.

    Parameters
    ----------
    mean : ndarray
        Non-negative expected counts.
    noise : {"poisson", "negbin"}
        The observation model.
    rng : numpy.random.Generator
        Source of randomness.
    dispersion : ndarray, default=None
        The negative-binomial size ``k`` (positive), broadcastable against
        ``mean``; required when ``noise="negbin"``.

    Returns
    -------
    ndarray of float, shaped like ``mean``

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = sample_counts(np.full((2, 3), 4.0), "negbin", rng, np.array([[5.0]]))
    >>> x.shape, bool((x == np.round(x)).all())
    ((2, 3), True)
    """
    mean = np.asarray(mean)
    shape = mean.shape
    k, blocks = _row_blocks(mean, noise, dispersion)
    if blocks is None:
        if noise == "negbin":
            # The gamma-Poisson mixture is the negative binomial, and is faster
            # to draw than numpy's negative_binomial(n, p), which also needs p.
            mean = rng.gamma(k, mean / k)
        return rng.poisson(mean).astype(np.float64)
    # Drawn in blocks of rows into one array, each stage over all the rows
    # before the next, so the generator gives every value what it gave when
    # each stage drew the whole array at once; the whole-array temporaries
    # (the gamma scale, the gamma draws, int64 counts and their float copy)
    # would be three more arrays of the counts' size (458 MB each at 10^6
    # series of 60 days).
    # Releasable: an offline fit returns each block of rows to the system as
    # it standardises it (see sgnn_sklearn._pages).
    counts = releasable_empty(shape, np.dtype(np.float64))
    if noise == "negbin":
        k = np.broadcast_to(k, shape)
        for rows in blocks:
            counts[rows] = rng.gamma(k[rows], mean[rows] / k[rows])
            # A mean kept in a temporary file (an offline fit's latent
            # trajectories) leaves memory once read (sgnn_sklearn._pages).
            forget_rows(mean, rows)
        mean = counts  # each block of counts replaces its gamma draws
    for rows in blocks:
        counts[rows] = rng.poisson(mean[rows])
        forget_rows(mean, rows)
    return counts


def iter_count_blocks(
    mean: np.ndarray,
    noise: str,
    rng: np.random.Generator,
    dispersion: np.ndarray | None = None,
) -> Iterator[tuple[slice, np.ndarray]]:
    """The rows of :func:`sample_counts`, one block at a time, with the same bits.

    Yields ``(rows, counts[rows])`` for consecutive blocks of
    ``DRAW_BLOCK_ROWS`` rows, where ``counts`` is what ``sample_counts(mean,
    noise, rng, dispersion)`` returns, and leaves ``rng`` where that call
    leaves it; all the counts are never held at once. ``sample_counts`` draws
    the negative binomial's gamma stage over every row before the Poisson
    stage, so here the gamma stage is drawn twice: once over every row,
    noting the generator's state at each block, then each block's again from
    its state as its Poisson counts are drawn.

    Examples
    --------
    >>> import numpy as np
    >>> mean, k = np.full((3, 2), 4.0), np.array([[5.0]])
    >>> whole = sample_counts(mean, "negbin", np.random.default_rng(0), k)
    >>> blocks = iter_count_blocks(mean, "negbin", np.random.default_rng(0), k)
    >>> bool((np.vstack([b for _, b in blocks]) == whole).all())
    True
    """
    mean = np.asarray(mean)
    shape = mean.shape
    k, blocks = _row_blocks(mean, noise, dispersion)
    if blocks is None:
        yield slice(None), sample_counts(mean, noise, rng, dispersion)
        return
    states = []
    if noise == "negbin":
        k = np.broadcast_to(k, shape)
        for rows in blocks:
            states.append(rng.bit_generator.state)
            rng.gamma(k[rows], mean[rows] / k[rows])
            # A mean kept in a temporary file (an offline fit's latent
            # trajectories) leaves memory once read (sgnn_sklearn._pages).
            forget_rows(mean, rows)
        replay = np.random.Generator(type(rng.bit_generator)())
    for i, rows in enumerate(blocks):
        block_mean = mean[rows]
        if noise == "negbin":
            replay.bit_generator.state = states[i]
            block_mean = replay.gamma(k[rows], block_mean / k[rows])
        counts = rng.poisson(block_mean).astype(np.float64)
        forget_rows(mean, rows)
        yield rows, counts


def _row_blocks(
    mean: np.ndarray, noise: str, dispersion: np.ndarray | None
) -> tuple[Any, list[slice] | None]:
    """The negative binomial's size, and the blocks of rows to draw the counts in.

    None for the blocks when the counts are drawn whole: ``mean`` is a scalar,
    or the size broadcasts ``mean`` to a larger shape.
    """
    shape = mean.shape
    k = _negbin_size(dispersion) if noise == "negbin" else None
    if not shape or (
        k is not None and np.broadcast_shapes(shape, np.shape(k)) != shape
    ):
        return k, None
    return k, [
        slice(start, start + DRAW_BLOCK_ROWS)
        for start in range(0, shape[0], DRAW_BLOCK_ROWS)
    ]


def sample_law(law: CountLaw, rng: np.random.Generator) -> np.ndarray:
    """Draw counts from ``law``: noise around its mean, then missing reports.

    Examples
    --------
    >>> import numpy as np
    >>> law = CountLaw(np.full((1, 4), 5.0), "poisson", None, np.array([[1.0]]))
    >>> sample_law(law, np.random.default_rng(0)).tolist()
    [[0.0, 0.0, 0.0, 0.0]]
    """
    X = sample_counts(law.mean, law.noise, rng, law.dispersion)
    return X if law.missing is None else drop_reports(X, law.missing, rng)


def drop_reports(
    X: np.ndarray, missing: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Record each report of ``X`` as zero with probability ``missing``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> drop_reports(np.ones((1, 3)), np.array([[0.0]]), rng).tolist()
    [[1.0, 1.0, 1.0]]
    """
    return np.where(rng.random(X.shape) < missing, 0.0, X)


def count_log_pmf(
    counts: np.ndarray,
    mean: np.ndarray,
    noise: str,
    dispersion: np.ndarray | None = None,
) -> np.ndarray:
    """Log probability of ``counts`` given ``mean``, element by element.

    Parameters
    ----------
    counts : ndarray
        Non-negative whole counts (possibly stored as floats).
    mean : ndarray
        Expected counts, broadcastable against ``counts``.
    noise : {"poisson", "negbin"}
        The observation model.
    dispersion : ndarray, default=None
        The negative-binomial size ``k``, broadcastable against ``counts``;
        required when ``noise="negbin"``.

    Returns
    -------
    ndarray
        ``-inf`` where a positive count has zero mean.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> lp = count_log_pmf(np.array([3.0]), np.array([2.0]), "poisson")
    >>> bool(np.isclose(lp[0], stats.poisson.logpmf(3, 2.0)))
    True
    """
    if noise == "poisson":
        return xlogy(counts, mean) - mean - gammaln(counts + 1)
    k = _negbin_size(dispersion)
    return (
        gammaln(counts + k)
        - gammaln(k)
        - gammaln(counts + 1)
        - k * np.log1p(mean / k)
        + xlogy(counts, mean)
        - xlogy(counts, k + mean)
    )


def _negbin_size(dispersion: np.ndarray | None) -> np.ndarray:
    if dispersion is None:
        raise ValueError("Negative-binomial noise needs a dispersion; got None.")
    return dispersion
