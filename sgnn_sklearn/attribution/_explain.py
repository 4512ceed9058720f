"""`explain_mechanism`: back to simulation, through the network's own representation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..estimators._memory import fitted_memory_bank
from ..estimators._variance import check_coverage
from ..simulators._validation import check_n_samples
from ._explanation import MechanismExplanation


def kernel_weights(distances: np.ndarray, kernel: str) -> np.ndarray:
    """Normalised weights of each row's neighbours, nearest first.

    ``"uniform"`` weighs every neighbour alike; ``"gaussian"`` weighs them by
    ``exp(-d**2 / (2 h**2))`` with ``h`` half the distance to the farthest
    neighbour of the row, so nearer simulations count more.

    Examples
    --------
    >>> import numpy as np
    >>> kernel_weights(np.array([[0.0, 1.0]]), "uniform").tolist()
    [[0.5, 0.5]]
    >>> w = kernel_weights(np.array([[0.0, 1.0]]), "gaussian")
    >>> bool(w[0, 0] > w[0, 1]), float(w.sum())
    (True, 1.0)
    """
    if kernel == "uniform":
        weights = np.ones_like(distances, dtype=float)
    elif kernel == "gaussian":
        bandwidth = np.maximum(distances[:, -1:] / 2, np.finfo(float).tiny)
        weights = np.exp(-0.5 * (distances / bandwidth) ** 2)
    else:
        raise ValueError(f"kernel must be 'uniform' or 'gaussian'; got {kernel!r}.")
    return weights / weights.sum(axis=1, keepdims=True)


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, levels: np.ndarray
) -> np.ndarray:
    """Quantiles of each row of ``values`` under its ``weights``, NaN ignored.

    The weighted empirical distribution puts each value at the midpoint of its
    cumulative weight (Hazen's rule, which equal weights reduce to);
    quantiles interpolate between those points. A row with no finite value
    gives NaN.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_values)
    weights : ndarray of shape (n_rows, n_values)
        Non-negative weights.
    levels : ndarray of shape (n_levels,)
        Quantile levels in [0, 1].

    Returns
    -------
    ndarray of shape (n_rows, n_levels)

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[1.0, 2.0, 3.0, 4.0], [np.nan, 1.0, 1.0, np.nan]])
    >>> weighted_quantiles(values, np.ones((2, 4)), np.array([0.5])).ravel().tolist()
    [2.5, 1.0]
    """
    finite = np.isfinite(values)
    weights = np.where(finite, weights, 0.0)
    order = np.argsort(np.where(finite, values, np.inf), axis=1)
    values = np.take_along_axis(values, order, axis=1)
    weights = np.take_along_axis(weights, order, axis=1)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        positions = (np.cumsum(weights, axis=1) - weights / 2) / total
    out = np.full((len(values), len(levels)), np.nan)
    for row in np.flatnonzero(total[:, 0] > 0):
        keep = weights[row] > 0
        out[row] = np.interp(levels, positions[row, keep], values[row, keep])
    return out


def explain_mechanism(
    estimator: Any,
    X: Any,
    n_neighbors: int = 100,
    *,
    coverage: float = 0.9,
    kernel: str = "uniform",
) -> MechanismExplanation:
    """Explain predictions by the training simulations the network finds most alike.

    Each row of ``X`` is embedded with the fitted network's last hidden layer
    and matched to its nearest neighbours among the training simulations kept
    in ``estimator.memory_bank_``. The mechanisms and latent parameters of
    those simulations approximate the posterior given the row ("back to
    simulation" attribution): the share of each mechanism among the
    neighbours estimates its posterior probability, and the neighbours'
    parameters are draws from an approximate posterior of the parameters.

    Parameters
    ----------
    estimator : fitted SimulationGroundedRegressor or SimulationGroundedClassifier
        Fitted on a simulator, with ``memory_bank_size > 0``.
    X : array-like of shape (n_samples, n_features)
        Observations to explain.
    n_neighbors : int, default=100
        Number of training simulations matched to each row; at most the size
        of the memory bank. More neighbours give smoother shares and wider
        parameter summaries.
    coverage : float in (0, 1), default=0.9
        Posterior probability of the central interval reported per parameter.
    kernel : {"uniform", "gaussian"}, default="uniform"
        How the neighbours are weighted; see :func:`kernel_weights`.

    Returns
    -------
    MechanismExplanation
        Mechanism posterior, parameter summaries and the neighbours.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    ValueError
        If the estimator kept no simulations (fitted without a simulator, or
        with ``memory_bank_size=0``), or ``n_neighbors`` exceeds the memory bank.

    Examples
    --------
    >>> from sgnn_sklearn import SimulationGroundedClassifier
    >>> from sgnn_sklearn.attribution import explain_mechanism
    >>> from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator
    >>> mix = MixtureSimulator([("quiet", LinearGaussian(noise_std=0.3)),
    ...                         ("noisy", LinearGaussian(noise_std=3.0))])
    >>> clf = SimulationGroundedClassifier(mix, n_simulations=1000, max_epochs=10,
    ...                                    random_state=0).fit()
    >>> explanation = explain_mechanism(clf, mix.simulate(3, random_state=1).X,
    ...                                 n_neighbors=50)
    >>> explanation.mechanism_names, explanation.mechanism_proba.shape
    (('noisy', 'quiet'), (3, 2))
    >>> explanation.param_names, explanation.param_mean.shape
    (('theta0',), (3, 1))
    """
    bank = fitted_memory_bank(estimator, "explain_mechanism")
    n_neighbors = check_n_samples(n_neighbors, "n_neighbors")
    coverage = check_coverage(coverage)
    inputs = estimator._network_inputs(X)
    embeddings = estimator._embed_inputs(inputs)
    distances, positions = bank.neighbors(embeddings, n_neighbors)
    weights = kernel_weights(distances, kernel)
    params = bank.params[positions]
    mechanism = None if bank.mechanism is None else bank.mechanism[positions]
    mechanism_proba = None
    if mechanism is not None:
        mechanism_proba = np.stack(
            [
                (weights * (mechanism == name)).sum(axis=1)
                for name in bank.mechanism_names or ()
            ],
            axis=1,
        )
    tail = (1 - coverage) / 2
    n_samples, n_params = len(embeddings), len(bank.param_names)
    summaries = np.full((n_samples, n_params, 3), np.nan)
    for j in range(n_params):
        column = params[:, :, j]
        present = np.isfinite(column)
        with np.errstate(invalid="ignore", divide="ignore"):
            summaries[:, j, 0] = np.where(present, weights * column, 0).sum(
                axis=1
            ) / np.where(present, weights, 0).sum(axis=1)
        summaries[:, j, 1:] = weighted_quantiles(
            column, weights, np.array([tail, 1 - tail])
        )
    return MechanismExplanation(
        mechanism_names=bank.mechanism_names,
        mechanism_proba=mechanism_proba,
        param_names=bank.param_names,
        param_mean=summaries[:, :, 0],
        param_lower=summaries[:, :, 1],
        param_upper=summaries[:, :, 2],
        coverage=coverage,
        neighbor_index=bank.simulation_index[positions],
        neighbor_distance=distances,
        neighbor_weight=weights,
        neighbor_params=params,
        neighbor_mechanism=mechanism,
        series=estimator.input_scaler_.inverse_transform(inputs),
        simulated_series=estimator.input_scaler_.inverse_transform(bank.inputs),
        neighbor_position=positions,
    )
