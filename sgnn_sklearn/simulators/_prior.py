"""Priors over simulator parameters and the random generators that draw them."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def as_generator(random_state: Any) -> np.random.Generator:
    """Turn ``random_state`` into a ``numpy.random.Generator``.

    ``None`` gives fresh entropy, an int seeds a new generator, a
    ``Generator`` is used as is and a legacy ``RandomState`` seeds a new
    generator from its stream (so it advances, as in scikit-learn).

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        The source of randomness.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> g = as_generator(0)
    >>> float(g.random()) == float(as_generator(0).random())
    True
    """
    if random_state is None or isinstance(random_state, numbers.Integral | np.integer):
        return np.random.default_rng(
            None if random_state is None else int(random_state)
        )
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise TypeError(
        "random_state must be None, an int, a numpy Generator or a numpy "
        f"RandomState; got {type(random_state).__name__}."
    )


def check_prior(prior: Any, name: str) -> None:
    """Raise a clear error when ``prior`` is not a usable prior.

    A prior is a ``(low, high)`` tuple (uniform), a fixed number, or an
    object with scipy.stats' ``rvs(size=..., random_state=...)``.

    Parameters
    ----------
    prior : object
        The prior to check.
    name : str
        The parameter's name, used in the error message.

    Examples
    --------
    >>> check_prior((0.1, 0.5), "beta")
    >>> check_prior((0.5, 0.1), "beta")
    Traceback (most recent call last):
    ...
    ValueError: Prior for 'beta' must have low <= high; got (0.5, 0.1).
    """
    if hasattr(prior, "rvs"):
        return
    if isinstance(prior, numbers.Real) and not isinstance(prior, bool):
        if not np.isfinite(float(prior)):
            raise ValueError(f"Fixed value for {name!r} must be finite; got {prior}.")
        return
    if isinstance(prior, tuple | list) and len(prior) == 2:
        low, high = prior
        if not all(
            isinstance(v, numbers.Real) and np.isfinite(float(v)) for v in (low, high)
        ):
            raise ValueError(
                f"Prior for {name!r} must be a (low, high) pair of finite numbers; "
                f"got {prior!r}."
            )
        if low > high:
            raise ValueError(
                f"Prior for {name!r} must have low <= high; got {tuple(prior)}."
            )
        return
    raise TypeError(
        f"Prior for {name!r} must be a (low, high) tuple, a number, or an object "
        "with an rvs(size=..., random_state=...) method such as a frozen "
        f"scipy.stats distribution; got {prior!r}."
    )


def sample_prior(
    prior: Any, n_samples: int, rng: np.random.Generator, name: str
) -> np.ndarray:
    """Draw ``n_samples`` values of one parameter from its prior.

    Parameters
    ----------
    prior : tuple, number or object with ``rvs``
        See :func:`check_prior`.
    n_samples : int
        Number of draws.
    rng : numpy.random.Generator
        Source of randomness.
    name : str
        The parameter's name, used in error messages.

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> rng = np.random.default_rng(0)
    >>> sample_prior((0.0, 1.0), 3, rng, "a").shape
    (3,)
    >>> sample_prior(stats.norm(0, 1), 3, rng, "b").shape
    (3,)
    """
    check_prior(prior, name)
    if hasattr(prior, "rvs"):
        values = np.asarray(prior.rvs(size=n_samples, random_state=rng), dtype=float)
        values = values.reshape(-1)
        if values.shape != (n_samples,):
            raise ValueError(
                f"Prior for {name!r} returned {values.size} values from "
                f"rvs(size={n_samples}); expected {n_samples}."
            )
        return values
    if isinstance(prior, numbers.Real):
        return np.full(n_samples, float(prior))
    low, high = prior
    return rng.uniform(float(low), float(high), size=n_samples)


def prior_bounds(prior: Any, name: str) -> tuple[float, float]:
    """Return the support of a prior as ``(low, high)``.

    Used by likelihood-based baselines to bound their optimisers.

    Parameters
    ----------
    prior : tuple, number or object with ``rvs``
        See :func:`check_prior`. A scipy distribution's ``support()`` is used.
    name : str
        The parameter's name, used in error messages.

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> prior_bounds((0.1, 0.4), "beta")
    (0.1, 0.4)
    """
    check_prior(prior, name)
    if hasattr(prior, "support"):
        low, high = prior.support()
        return float(low), float(high)
    if hasattr(prior, "rvs"):
        return -np.inf, np.inf
    if isinstance(prior, numbers.Real):
        return float(prior), float(prior)
    return float(prior[0]), float(prior[1])
